// A user's own task: labelled texts in TSV or JSONL files, either three files (train/val/test) or one
// file split 80/10/10 by a hash of each text. Every bad input is an Error naming the file (and line).
#pragma once

#include <string>

#include "data/dataset.h"

namespace qtnas {

enum class FileFormat { TSV, JSONL };

// "tsv" -> TSV, "jsonl" -> JSONL; anything else throws Error listing the allowed values.
FileFormat parse_file_format(const std::string& name);

// Formats (blank lines are skipped in both):
//   TSV:   a header line naming the columns, which must include `text` and `label` (any order, extra columns
//          ignored); then one example per line, fields separated by tabs, no quoting. A trailing '\r' is dropped.
//   JSONL: one object per line, {"text": "...", "label": "pos"}; label is a string or an integer (kept as its
//          decimal text); other keys are ignored.
// Labels are trimmed of surrounding whitespace; texts are kept as written. Label names are the distinct
// labels of the training split, sorted numerically if all are integers ("2" before "10"), else bytewise.
// Throws Error (file and line named where there is one) for: a missing/unreadable file, an empty file, a
// malformed line, a missing column, an empty text or label, fewer than two classes in train, a val/test label
// not seen in train, and an empty split. Dataset name = the train file's name without its directory.
Dataset load_labeled_files(FileFormat format, const std::string& train, const std::string& val,
                           const std::string& test);

// One file, split by split_of(text). Dataset name = the file name without its directory.
Dataset load_labeled_file_split(FileFormat format, const std::string& path);

}  // namespace qtnas
