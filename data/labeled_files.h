// A user's own task: labelled texts, or labelled pairs of texts, in TSV, CSV or JSON files; either three files
// (train/val/test) or one file split 80/10/10 by a hash of each example. Every bad input is an Error naming the
// file (and line).
#pragma once

#include <optional>
#include <string>

#include "data/dataset.h"

namespace qtnas {

enum class FileFormat { TSV, CSV, JSON };

// "tsv" -> TSV, "csv" -> CSV, "json" or "jsonl" -> JSON; anything else throws Error listing the allowed values.
FileFormat parse_file_format(const std::string& name);
// By the file's extension, ignoring case: .tsv, .csv, .json or .jsonl. Throws Error naming the file and --format
// for any other.
FileFormat format_from_extension(const std::string& path);

// Which columns (TSV, CSV) or keys (JSON) hold the example. An empty text_pair: single texts.
struct Columns {
  std::string text = "text";
  std::string label = "label";
  std::string text_pair;
};

// Formats (blank lines are skipped in all of them):
//   TSV:  a header line naming the columns; then one example per line, fields separated by tabs. No quoting: a
//         '"' is an ordinary character (as in the GLUE files), so a text cannot hold a tab or a newline.
//   CSV:  RFC 4180, read by libcsv: a header line, then records of comma-separated fields; a field in double
//         quotes may hold commas, newlines and doubled quotes (""). Spaces around an unquoted field are dropped.
//   JSON: JSON Lines (one object per line), or one array of objects (`[{"text": ..., "label": 0}, ...]`,
//         detected by its leading '['); line numbers are those where each object starts.
// The columns may come in any order; other columns are ignored. A missing column is an Error listing the
// columns (or keys) the file has. A label is a string or, in JSON, an integer (kept as its decimal text); so a
// label column that mixes integers and strings is read as strings. Labels are trimmed of surrounding
// whitespace; texts are kept as written. Label names are the distinct labels of the training split, sorted
// numerically if all are integers ("2" before "10"), else bytewise.
// Throws Error (file and line named where there is one) for: a missing/unreadable file, an empty file, a
// malformed line or record, a missing column, a missing or empty text, pair text or label, fewer than two
// classes in train, a val/test label not seen in train, and an empty split. Dataset name = the train file's name
// without its directory. `format` nullopt: each file's format_from_extension.
Dataset load_labeled_files(std::optional<FileFormat> format, const std::string& train, const std::string& val,
                           const std::string& test, const Columns& columns = {});

// One file, split by split_of(example). Dataset name = the file name without its directory.
Dataset load_labeled_file_split(std::optional<FileFormat> format, const std::string& path,
                                const Columns& columns = {});

}  // namespace qtnas
