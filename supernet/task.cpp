#include "supernet/task.h"

#include <filesystem>

#include "data/task.h"
#include "space/error.h"
#include "space/hash.h"

namespace qtnas {

Tokenizer load_training_tokenizer(const std::string& supernet_path, const CheckpointMeta& meta) {
  const std::string tokenizer_path =
      (std::filesystem::path(supernet_path).parent_path() / "tokenizer.model").string();
  Tokenizer tokenizer = Tokenizer::load(tokenizer_path);
  QTNAS_CHECK(hash_hex(stable_hash(tokenizer.serialized())) == meta.tokenizer_fingerprint,
              "tokenizer '{}' is not the one supernet '{}' was trained with", tokenizer_path, supernet_path);
  return tokenizer;
}

SupernetTask load_supernet_task(const std::string& path, const nlohmann::json& task_options) {
  LoadedCheckpoint ckpt = load_checkpoint(path);
  Tokenizer tokenizer = load_training_tokenizer(path, ckpt.meta);
  const std::string bytes = tokenizer.serialized();
  Dataset data = load_task(task_options);
  check_task_labels(data, ckpt.meta, path);
  const int seq = ckpt.net->space().config().max_seq_len;
  EncodedSplit val = encode_split(data.val, tokenizer, seq);
  EncodedSplit test = encode_split(data.test, tokenizer, seq);
  return {std::move(ckpt), std::move(tokenizer), bytes, std::move(data), std::move(val), std::move(test)};
}

void check_task_labels(const Dataset& data, const CheckpointMeta& meta, const std::string& supernet_path) {
  QTNAS_CHECK(data.label_names == meta.label_names,
              "the task's labels differ from those supernet '{}' was trained on (wrong --task?)", supernet_path);
  QTNAS_CHECK(data.pairs == meta.pairs, "supernet '{}' was trained on {}, but the task gives {} (--text-pair-column)",
              supernet_path, meta.pairs ? "pairs of texts" : "single texts",
              data.pairs ? "pairs of texts" : "single texts");
}

}  // namespace qtnas
