#include "cli/supernet_task.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "data/labeled_files.h"
#include "data/wordnet.h"
#include "space/error.h"
#include "space/hash.h"

namespace qtnas::cli {

nlohmann::json task_options_json(const po::variables_map& vm) {
  nlohmann::json j = nlohmann::json::object();
  for (const char* key : {"task", "wordnet-dir", "data", "train", "val", "test"}) {
    if (vm.count(key)) j[key] = vm[key].as<std::string>();
  }
  return j;
}

namespace {

Dataset load_task_json(const nlohmann::json& j) {
  const std::string task = j.value("task", "wordnet");
  if (task == "wordnet") return load_wordnet(j.value("wordnet-dir", "/usr/share/wordnet"));
  QTNAS_CHECK(task == "tsv" || task == "jsonl", "unknown task '{}' (allowed: wordnet, tsv, jsonl)", task);
  const FileFormat format = parse_file_format(task);
  if (j.contains("data")) return load_labeled_file_split(format, j["data"].get<std::string>());
  QTNAS_CHECK(j.contains("train") && j.contains("val") && j.contains("test"),
              "--task {} needs --data FILE, or all of --train, --val and --test", task);
  return load_labeled_files(format, j["train"].get<std::string>(), j["val"].get<std::string>(),
                            j["test"].get<std::string>());
}

}  // namespace

std::string file_hash(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  QTNAS_CHECK(in, "cannot read '{}'", path);
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return hash_hex(stable_hash(bytes.str()));
}

SupernetTask load_supernet_task(const std::string& path, const nlohmann::json& task_options) {
  LoadedCheckpoint ckpt = load_checkpoint(path);
  const std::string tokenizer_path = (std::filesystem::path(path).parent_path() / "tokenizer.model").string();
  Tokenizer tokenizer = Tokenizer::load(tokenizer_path);
  const std::string bytes = tokenizer.serialized();
  QTNAS_CHECK(hash_hex(stable_hash(bytes)) == ckpt.meta.tokenizer_fingerprint,
              "tokenizer '{}' is not the one supernet '{}' was trained with", tokenizer_path, path);
  Dataset data = load_task_json(task_options);
  QTNAS_CHECK(data.label_names == ckpt.meta.label_names,
              "the task's labels differ from those supernet '{}' was trained on (wrong --task?)", path);
  const int seq = ckpt.net->space().config().max_seq_len;
  EncodedSplit val = encode_split(data.val, tokenizer, seq);
  EncodedSplit test = encode_split(data.test, tokenizer, seq);
  return {std::move(ckpt), std::move(tokenizer), bytes, std::move(data), std::move(val), std::move(test)};
}

}  // namespace qtnas::cli
