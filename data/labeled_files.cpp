#include "data/labeled_files.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>

#include <nlohmann/json.hpp>

#include "data/text.h"
#include "space/error.h"
#include "space/json_text.h"

namespace qtnas {
namespace {

struct RawExample {
  std::string text;
  std::string label;
  int line_no = 0;
};

bool is_blank(std::string_view s) { return std::all_of(s.begin(), s.end(), is_space); }

std::string trimmed(std::string_view s) { return std::string(trim(s)); }

// Reads the non-blank lines of a file with their 1-based line numbers. Drops a UTF-8 byte order mark and
// the '\r' of Windows line ends, which spreadsheet exports often carry.
std::vector<std::pair<int, std::string>> read_lines(const std::string& path) {
  std::ifstream in = open_input_file(path);
  std::vector<std::pair<int, std::string>> lines;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (line_no == 1 && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!is_blank(line)) lines.emplace_back(line_no, std::move(line));
  }
  QTNAS_CHECK(!in.bad(), "'{}': read error", path);
  return lines;
}

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
    fields.push_back(line.substr(start, tab - start));
  fields.push_back(line.substr(start));
  return fields;
}

void check_example(const std::string& path, const RawExample& ex) {
  QTNAS_CHECK(!is_blank(ex.text), "{}:{}: empty text", path, ex.line_no);
  QTNAS_CHECK(!ex.label.empty(), "{}:{}: empty label", path, ex.line_no);
}

std::vector<RawExample> read_tsv(const std::string& path) {
  const auto lines = read_lines(path);
  QTNAS_CHECK(!lines.empty(), "'{}': empty file (expected a header line with 'text' and 'label' columns)", path);
  const int header_line = lines[0].first;
  const std::vector<std::string> columns = split_tabs(lines[0].second);
  auto column_index = [&](const std::string& name) {
    int found = -1;
    for (size_t i = 0; i < columns.size(); ++i) {
      if (trim(columns[i]) != name) continue;
      QTNAS_CHECK(found < 0, "{}:{}: the header names the column '{}' twice", path, header_line, name);
      found = static_cast<int>(i);
    }
    if (found < 0) {
      std::string listed;
      for (const auto& c : columns) listed += (listed.empty() ? "'" : ", '") + trimmed(c) + "'";
      QTNAS_FAIL("{}:{}: the header has no '{}' column (columns found: {}; fields are separated by tabs)", path,
                 header_line, name, listed);
    }
    return found;
  };
  const int text_col = column_index("text");
  const int label_col = column_index("label");

  std::vector<RawExample> examples;
  for (size_t i = 1; i < lines.size(); ++i) {
    const auto& [line_no, line] = lines[i];
    std::vector<std::string> fields = split_tabs(line);
    QTNAS_CHECK(fields.size() == columns.size(), "{}:{}: expected {} tab-separated fields as in the header, found {}",
                path, line_no, columns.size(), fields.size());
    RawExample ex{std::move(fields[text_col]), trimmed(fields[label_col]), line_no};
    check_example(path, ex);
    examples.push_back(std::move(ex));
  }
  QTNAS_CHECK(!examples.empty(), "'{}': no examples after the header line", path);
  return examples;
}

std::vector<RawExample> read_jsonl(const std::string& path) {
  std::vector<RawExample> examples;
  for (const auto& [line_no, line] : read_lines(path)) {
    const nlohmann::json obj = parse_json_text(line, fmt::format("{}:{}", path, line_no));
    QTNAS_CHECK(obj.is_object(), "{}:{}: expected a JSON object {{\"text\": ..., \"label\": ...}}, found {}", path,
                line_no, obj.type_name());
    QTNAS_CHECK(obj.contains("text"), "{}:{}: missing key \"text\"", path, line_no);
    QTNAS_CHECK(obj.contains("label"), "{}:{}: missing key \"label\"", path, line_no);
    const nlohmann::json& text = obj["text"];
    const nlohmann::json& label = obj["label"];
    QTNAS_CHECK(text.is_string(), "{}:{}: \"text\" must be a string, found {}", path, line_no, text.type_name());
    RawExample ex{text.get<std::string>(), "", line_no};
    if (label.is_string()) {
      ex.label = trimmed(label.get<std::string>());
    } else if (label.is_number_integer()) {
      ex.label = label.dump();  // decimal text, also for unsigned 64-bit values
    } else {
      QTNAS_FAIL("{}:{}: \"label\" must be a string or an integer, found {} {}", path, line_no, label.type_name(),
                 label.dump());
    }
    check_example(path, ex);
    examples.push_back(std::move(ex));
  }
  QTNAS_CHECK(!examples.empty(), "'{}': empty file (no examples)", path);
  return examples;
}

std::vector<RawExample> read_examples(FileFormat format, const std::string& path) {
  return format == FileFormat::TSV ? read_tsv(path) : read_jsonl(path);
}

bool parse_integer(const std::string& s, long long* value) {
  const char* end = s.data() + s.size();
  const auto [ptr, ec] = std::from_chars(s.data(), end, *value);
  return ec == std::errc() && ptr == end;
}

std::vector<std::string> sorted_label_names(const std::string& path, const std::vector<RawExample>& train) {
  std::vector<std::string> names;
  for (const auto& ex : train) names.push_back(ex.label);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  QTNAS_CHECK(names.size() >= 2, "'{}': found only 1 class ('{}'); a classification task needs at least two", path,
              names[0]);
  long long unused;
  const bool all_integers =
      std::all_of(names.begin(), names.end(), [&](const std::string& s) { return parse_integer(s, &unused); });
  if (all_integers) {
    // Tie on equal values ("2" and "02") by text so that the order stays total and deterministic.
    std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
      long long x = 0, y = 0;
      parse_integer(a, &x);
      parse_integer(b, &y);
      return x != y ? x < y : a < b;
    });
  }
  return names;
}

std::vector<Example> to_examples(const std::vector<RawExample>& raw, const std::map<std::string, int>& ids,
                                 const std::string& path, const char* split) {
  std::vector<Example> examples;
  examples.reserve(raw.size());
  for (const auto& ex : raw) {
    const auto it = ids.find(ex.label);
    QTNAS_CHECK(it != ids.end(), "{}:{}: label '{}' (in the {} split) does not occur in the training split", path,
                ex.line_no, ex.label, split);
    examples.push_back({ex.text, it->second});
  }
  return examples;
}

std::map<std::string, int> label_ids(const std::vector<std::string>& names) {
  std::map<std::string, int> ids;
  for (size_t i = 0; i < names.size(); ++i) ids[names[i]] = static_cast<int>(i);
  return ids;
}

std::string file_name(const std::string& path) { return std::filesystem::path(path).filename().string(); }

}  // namespace

FileFormat parse_file_format(const std::string& name) {
  if (name == "tsv") return FileFormat::TSV;
  if (name == "jsonl") return FileFormat::JSONL;
  QTNAS_FAIL("unknown data file format '{}' (allowed: tsv, jsonl)", name);
}

Dataset load_labeled_files(FileFormat format, const std::string& train, const std::string& val,
                           const std::string& test) {
  const std::vector<RawExample> raw_train = read_examples(format, train);
  const std::vector<RawExample> raw_val = read_examples(format, val);
  const std::vector<RawExample> raw_test = read_examples(format, test);
  Dataset dataset;
  dataset.name = file_name(train);
  dataset.label_names = sorted_label_names(train, raw_train);
  const auto ids = label_ids(dataset.label_names);
  dataset.train = to_examples(raw_train, ids, train, "train");
  dataset.val = to_examples(raw_val, ids, val, "val");
  dataset.test = to_examples(raw_test, ids, test, "test");
  return dataset;
}

Dataset load_labeled_file_split(FileFormat format, const std::string& path) {
  std::vector<RawExample> parts[3];
  for (RawExample& ex : read_examples(format, path))
    parts[static_cast<int>(split_of(ex.text))].push_back(std::move(ex));
  const Split splits[3] = {Split::Train, Split::Val, Split::Test};
  for (int s = 0; s < 3; ++s) {
    QTNAS_CHECK(!parts[s].empty(),
                "'{}': the 80/10/10 hash split of its {} examples left the {} split empty; add examples or give "
                "separate train/val/test files",
                path, parts[0].size() + parts[1].size() + parts[2].size(), split_name(splits[s]));
  }
  Dataset dataset;
  dataset.name = file_name(path);
  dataset.label_names = sorted_label_names(path, parts[0]);
  const auto ids = label_ids(dataset.label_names);
  dataset.train = to_examples(parts[0], ids, path, "train");
  dataset.val = to_examples(parts[1], ids, path, "val");
  dataset.test = to_examples(parts[2], ids, path, "test");
  return dataset;
}

}  // namespace qtnas
