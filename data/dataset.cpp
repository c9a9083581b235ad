#include "data/dataset.h"

#include <cerrno>
#include <cstring>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "space/error.h"
#include "space/hash.h"

namespace qtnas {

Split split_of(std::string_view key) {
  const uint64_t bucket = stable_hash(key) % 100;
  if (bucket < 80) return Split::Train;
  if (bucket < 90) return Split::Val;
  return Split::Test;
}

Split split_of(const Example& example) {
  return example.text_pair.empty() ? split_of(example.text) : split_of(example.text + '\x1f' + example.text_pair);
}

const char* split_name(Split split) {
  switch (split) {
    case Split::Train: return "train";
    case Split::Val: return "val";
    case Split::Test: return "test";
  }
  return "?";
}

std::ifstream open_input_file(const std::string& path) {
  // Opening a directory succeeds on Linux and only the first read fails; say so up front instead.
  std::error_code ec;
  QTNAS_CHECK(!std::filesystem::is_directory(path, ec), "cannot open '{}': Is a directory", path);
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    QTNAS_FAIL("cannot open '{}': {}", path, err != 0 ? std::strerror(err) : "unreadable");
  }
  return in;
}

void write_split_jsonl(const Dataset& data, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  QTNAS_CHECK(!ec, "cannot create '{}': {}", dir, ec.message());
  const std::pair<Split, const std::vector<Example>*> splits[] = {
      {Split::Train, &data.train}, {Split::Val, &data.val}, {Split::Test, &data.test}};
  for (const auto& [split, examples] : splits) {
    const std::string path = dir + "/" + split_name(split) + ".jsonl";
    std::ofstream out(path);
    for (const Example& e : *examples) {
      nlohmann::json row = {{"text", e.text}};
      if (data.pairs) row["text_pair"] = e.text_pair;
      row["label"] = data.label_names.at(e.label);
      out << row.dump() << "\n";
    }
    QTNAS_CHECK(out.good(), "cannot write '{}'", path);
  }
}

}  // namespace qtnas
