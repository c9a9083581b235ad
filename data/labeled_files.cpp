#include "data/labeled_files.h"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <map>

#include <csv.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "data/text.h"
#include "space/error.h"
#include "space/json_text.h"

namespace qtnas {
namespace {

struct RawExample {
  std::string text;
  std::string text_pair;
  std::string label;
  int line_no = 0;
};

bool is_blank(std::string_view s) { return std::all_of(s.begin(), s.end(), is_space); }

std::string trimmed(std::string_view s) { return std::string(trim(s)); }

const char* kBom = "\xEF\xBB\xBF";

// Reads the lines of a file with their 1-based line numbers, blank ones included. Drops a UTF-8 byte order mark
// and the '\r' of Windows line ends, which spreadsheet exports often carry.
std::vector<std::pair<int, std::string>> read_lines(const std::string& path) {
  std::ifstream in = open_input_file(path);
  std::vector<std::pair<int, std::string>> lines;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (line_no == 1 && line.rfind(kBom, 0) == 0) line.erase(0, 3);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.emplace_back(line_no, std::move(line));
  }
  QTNAS_CHECK(!in.bad(), "'{}': read error", path);
  return lines;
}

// "'a', 'b'" (or with another quote): the columns or keys a file has, for messages.
std::string listed(const std::vector<std::string>& names, char quote = '\'') {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + std::string(1, quote) + n + quote;
  return out;
}

// TSV and CSV: a header and rows of fields, each with the line it starts on.
struct Record {
  int line_no = 0;
  std::vector<std::string> fields;
};
struct Table {
  std::vector<Record> records;  // the header first
  const char* layout = "";      // how fields are separated, for messages
};

std::vector<std::string> split_tabs(const std::string& line) {
  std::vector<std::string> fields;
  size_t start = 0;
  for (size_t tab; (tab = line.find('\t', start)) != std::string::npos; start = tab + 1)
    fields.push_back(line.substr(start, tab - start));
  fields.push_back(line.substr(start));
  return fields;
}

Table read_tsv_table(const std::string& path) {
  Table table{{}, "fields are separated by tabs"};
  for (auto& [line_no, line] : read_lines(path)) {
    if (!is_blank(line)) table.records.push_back({line_no, split_tabs(line)});
  }
  return table;
}

// libcsv calls back once per field and once per record end. Lines are fed one at a time, so that each record
// knows the line it starts on.
struct CsvReader {
  Table table{{}, "a CSV file (RFC 4180)"};
  std::vector<std::string> fields;
  int line_no = 0;
  int record_line = 0;  // where the record being read started; 0 between records

  static void on_field(void* data, size_t size, void* self) {
    static_cast<CsvReader*>(self)->fields.emplace_back(static_cast<const char*>(data), data ? size : 0);
  }
  static void on_record(int /*terminator*/, void* self) {
    auto* r = static_cast<CsvReader*>(self);
    // A line of spaces alone is one empty field: blank, like the blank lines libcsv skips itself.
    const bool blank = r->fields.size() == 1 && r->fields[0].empty();
    if (!blank) r->table.records.push_back({r->record_line, std::move(r->fields)});
    r->fields.clear();
    r->record_line = 0;
  }
};

Table read_csv_table(const std::string& path) {
  std::ifstream in = open_input_file(path);
  csv_parser parser;
  // Not CSV_STRICT: a quote inside an unquoted field (`5" screen`) stays a character, as spreadsheets write it.
  QTNAS_CHECK(csv_init(&parser, 0) == 0, "'{}': cannot start the CSV parser", path);
  CsvReader reader;
  std::string line;
  auto fail = [&](const char* where) {
    const std::string why = csv_strerror(csv_error(&parser));
    csv_free(&parser);
    QTNAS_FAIL("{}:{}: malformed CSV {} ({})", path, reader.record_line ? reader.record_line : reader.line_no, where,
               why);
  };
  while (std::getline(in, line)) {
    ++reader.line_no;
    if (reader.line_no == 1 && line.rfind(kBom, 0) == 0) line.erase(0, 3);
    if (reader.record_line == 0 && !line.empty() && line != "\r") reader.record_line = reader.line_no;
    line += '\n';
    if (csv_parse(&parser, line.data(), line.size(), CsvReader::on_field, CsvReader::on_record, &reader) !=
        line.size())
      fail("record");
  }
  if (in.bad()) {
    csv_free(&parser);
    QTNAS_FAIL("'{}': read error", path);
  }
  // Every line was fed with its line end, so a record still open at the end is inside a quoted field.
  const int open_record = reader.record_line;
  csv_fini(&parser, CsvReader::on_field, CsvReader::on_record, &reader);
  csv_free(&parser);
  QTNAS_CHECK(open_record == 0, "{}:{}: malformed CSV record: a quoted field is never closed", path, open_record);
  return std::move(reader.table);
}

std::vector<RawExample> examples_from_table(const std::string& path, const Table& table, const Columns& columns) {
  QTNAS_CHECK(!table.records.empty(), "'{}': empty file (expected a header line naming the columns '{}' and '{}')",
              path, columns.text, columns.label);
  const Record& header = table.records[0];
  std::vector<std::string> names;
  for (const auto& c : header.fields) names.push_back(trimmed(c));
  auto column_index = [&](const std::string& name) {
    int found = -1;
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] != name) continue;
      QTNAS_CHECK(found < 0, "{}:{}: the header names the column '{}' twice", path, header.line_no, name);
      found = static_cast<int>(i);
    }
    QTNAS_CHECK(found >= 0, "{}:{}: the header has no '{}' column (columns found: {}; {})", path, header.line_no, name,
                listed(names), table.layout);
    return found;
  };
  const int text_col = column_index(columns.text);
  const int label_col = column_index(columns.label);
  const int pair_col = columns.text_pair.empty() ? -1 : column_index(columns.text_pair);

  std::vector<RawExample> examples;
  for (size_t i = 1; i < table.records.size(); ++i) {
    const Record& r = table.records[i];
    QTNAS_CHECK(r.fields.size() == names.size(), "{}:{}: expected {} fields as in the header, found {} ({})", path,
                r.line_no, names.size(), r.fields.size(), table.layout);
    examples.push_back({r.fields[size_t(text_col)], pair_col < 0 ? "" : r.fields[size_t(pair_col)],
                        trimmed(r.fields[size_t(label_col)]), r.line_no});
  }
  QTNAS_CHECK(!examples.empty(), "'{}': no examples after the header line", path);
  return examples;
}

// The line on which each element of a top-level JSON array starts. `text` is valid JSON (already parsed).
std::vector<int> array_element_lines(const std::string& text) {
  std::vector<int> lines;
  int line = 1, depth = 0;
  bool in_string = false, escaped = false, expect_element = false;
  for (char c : text) {
    if (c == '\n') ++line;
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (is_space(c)) continue;
    if (depth == 1 && expect_element && c != ']') {
      lines.push_back(line);
      expect_element = false;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') expect_element = ++depth == 1;
    else if (c == ']' || c == '}') --depth;
    else if (c == ',' && depth == 1) expect_element = true;
  }
  return lines;
}

std::string keys_of(const nlohmann::json& obj) {
  std::vector<std::string> keys;
  for (const auto& item : obj.items()) keys.push_back(item.key());
  return keys.empty() ? "none" : listed(keys, '"');
}

RawExample example_from_object(const nlohmann::json& obj, const Columns& columns, const std::string& where,
                               int line_no) {
  QTNAS_CHECK(obj.is_object(), "{}: expected a JSON object {{\"{}\": ..., \"{}\": ...}}, found {}", where,
              columns.text, columns.label, obj.type_name());
  auto text_at = [&](const std::string& key) {
    QTNAS_CHECK(obj.contains(key), "{}: missing key \"{}\" (keys found: {})", where, key, keys_of(obj));
    const nlohmann::json& v = obj[key];
    QTNAS_CHECK(v.is_string(), "{}: \"{}\" must be a string, found {}", where, key, v.type_name());
    return v.get<std::string>();
  };
  RawExample ex{text_at(columns.text), columns.text_pair.empty() ? "" : text_at(columns.text_pair), "", line_no};
  QTNAS_CHECK(obj.contains(columns.label), "{}: missing key \"{}\" (keys found: {})", where, columns.label,
              keys_of(obj));
  const nlohmann::json& label = obj[columns.label];
  if (label.is_string()) {
    ex.label = trimmed(label.get<std::string>());
  } else if (label.is_number_integer()) {
    ex.label = label.dump();  // decimal text, also for unsigned 64-bit values
  } else {
    QTNAS_FAIL("{}: \"{}\" must be a string or an integer, found {} {}", where, columns.label, label.type_name(),
               label.dump());
  }
  return ex;
}

std::vector<RawExample> read_json(const std::string& path, const Columns& columns) {
  const auto lines = read_lines(path);
  const auto first = std::find_if(lines.begin(), lines.end(), [](const auto& l) { return !is_blank(l.second); });
  QTNAS_CHECK(first != lines.end(), "'{}': empty file (no examples)", path);
  std::vector<RawExample> examples;
  if (trim(first->second).front() == '[') {  // one array of objects
    std::string text;
    for (const auto& l : lines) text += l.second + "\n";
    const nlohmann::json array = parse_json_text(text, path);
    QTNAS_CHECK(array.is_array(), "'{}': expected one JSON array of objects, found {}", path, array.type_name());
    const std::vector<int> starts = array_element_lines(text);
    QTNAS_ASSERT(starts.size() == array.size(), "{} JSON array elements, {} start lines", array.size(), starts.size());
    for (size_t i = 0; i < array.size(); ++i)
      examples.push_back(example_from_object(array[i], columns, fmt::format("{}:{}", path, starts[i]), starts[i]));
    QTNAS_CHECK(!examples.empty(), "'{}': an empty array (no examples)", path);
    return examples;
  }
  for (const auto& [line_no, line] : lines) {
    if (is_blank(line)) continue;
    const std::string where = fmt::format("{}:{}", path, line_no);
    examples.push_back(example_from_object(parse_json_text(line, where), columns, where, line_no));
  }
  return examples;
}

std::vector<RawExample> read_examples(std::optional<FileFormat> format, const std::string& path,
                                      const Columns& columns) {
  std::vector<RawExample> examples;
  switch (format ? *format : format_from_extension(path)) {
    case FileFormat::TSV: examples = examples_from_table(path, read_tsv_table(path), columns); break;
    case FileFormat::CSV: examples = examples_from_table(path, read_csv_table(path), columns); break;
    case FileFormat::JSON: examples = read_json(path, columns); break;
  }
  for (const RawExample& ex : examples) {
    QTNAS_CHECK(!is_blank(ex.text), "{}:{}: empty text", path, ex.line_no);
    QTNAS_CHECK(columns.text_pair.empty() || !is_blank(ex.text_pair), "{}:{}: empty second text ('{}')", path,
                ex.line_no, columns.text_pair);
    QTNAS_CHECK(!ex.label.empty(), "{}:{}: empty label", path, ex.line_no);
  }
  return examples;
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
    examples.push_back({ex.text, it->second, ex.text_pair});
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
  if (name == "csv") return FileFormat::CSV;
  if (name == "json" || name == "jsonl") return FileFormat::JSON;
  QTNAS_FAIL("unknown data file format '{}' (allowed: tsv, csv, json, jsonl)", name);
}

FileFormat format_from_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == ".tsv") return FileFormat::TSV;
  if (ext == ".csv") return FileFormat::CSV;
  if (ext == ".json" || ext == ".jsonl") return FileFormat::JSON;
  QTNAS_FAIL("'{}': cannot tell its format from the extension '{}' (known: .tsv, .csv, .json, .jsonl); give --format",
             path, ext);
}

namespace {

Dataset make_dataset(const std::string& train_path, std::vector<RawExample> parts[3], const std::string paths[3],
                     const Columns& columns) {
  Dataset dataset;
  dataset.name = file_name(train_path);
  dataset.pairs = !columns.text_pair.empty();
  dataset.label_names = sorted_label_names(train_path, parts[0]);
  const auto ids = label_ids(dataset.label_names);
  dataset.train = to_examples(parts[0], ids, paths[0], "train");
  dataset.val = to_examples(parts[1], ids, paths[1], "val");
  dataset.test = to_examples(parts[2], ids, paths[2], "test");
  return dataset;
}

}  // namespace

Dataset load_labeled_files(std::optional<FileFormat> format, const std::string& train, const std::string& val,
                           const std::string& test, const Columns& columns) {
  const std::string paths[3] = {train, val, test};
  std::vector<RawExample> parts[3];
  for (int s = 0; s < 3; ++s) parts[s] = read_examples(format, paths[s], columns);
  return make_dataset(train, parts, paths, columns);
}

Dataset load_labeled_file_split(std::optional<FileFormat> format, const std::string& path, const Columns& columns) {
  std::vector<RawExample> parts[3];
  for (RawExample& ex : read_examples(format, path, columns)) {
    const Split split = split_of(Example{ex.text, 0, ex.text_pair});
    parts[static_cast<int>(split)].push_back(std::move(ex));
  }
  const Split splits[3] = {Split::Train, Split::Val, Split::Test};
  for (int s = 0; s < 3; ++s) {
    QTNAS_CHECK(!parts[s].empty(),
                "'{}': the 80/10/10 hash split of its {} examples left the {} split empty; add examples or give "
                "separate train/val/test files",
                path, parts[0].size() + parts[1].size() + parts[2].size(), split_name(splits[s]));
  }
  const std::string paths[3] = {path, path, path};
  return make_dataset(path, parts, paths, columns);
}

}  // namespace qtnas
