#include "supernet/task.h"

#include <filesystem>
#include <fstream>

#include "data/task.h"
#include "space/error.h"
#include "space/hash.h"

namespace qtnas {

namespace {

std::string tokenizer_beside(const std::string& supernet_path) {
  return (std::filesystem::path(supernet_path).parent_path() / "tokenizer.model").string();
}

}  // namespace

Tokenizer load_training_tokenizer(const std::string& supernet_path, const CheckpointMeta& meta) {
  const std::string tokenizer_path = tokenizer_beside(supernet_path);
  QTNAS_CHECK(std::filesystem::exists(tokenizer_path),
              "supernet '{}' needs the tokenizer it was trained with beside it, '{}', which is missing", supernet_path,
              tokenizer_path);
  Tokenizer tokenizer = Tokenizer::load(tokenizer_path);
  QTNAS_CHECK(hash_hex(stable_hash(tokenizer.serialized())) == meta.tokenizer_fingerprint,
              "tokenizer '{}' is not the one supernet '{}' was trained with", tokenizer_path, supernet_path);
  return tokenizer;
}

void place_training_tokenizer(const std::string& supernet_path, const Tokenizer& tokenizer) {
  const std::filesystem::path path = tokenizer_beside(supernet_path);
  const std::string bytes = tokenizer.serialized();
  if (std::filesystem::exists(path)) {
    QTNAS_CHECK(Tokenizer::load(path.string()).serialized() == bytes,
                "'{}' holds the tokenizer of another task: write supernet '{}' to another folder", path.string(),
                supernet_path);
    return;
  }
  if (!path.parent_path().empty()) std::filesystem::create_directories(path.parent_path());
  const std::filesystem::path partial = path.string() + ".partial";
  std::ofstream(partial, std::ios::binary) << bytes;
  QTNAS_CHECK(std::filesystem::file_size(partial) == bytes.size(), "cannot write tokenizer '{}'", path.string());
  std::filesystem::rename(partial, path);
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
