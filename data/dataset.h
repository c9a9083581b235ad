// A labelled text-classification task split into train/val/test, the deterministic hash split that
// every loader uses, and the one helper that opens an input file with a one-line error.
#pragma once

#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace qtnas {

struct Example {
  std::string text;
  int label = 0;          // index into Dataset::label_names
  std::string text_pair{};  // the second text of a sentence-pair task; empty otherwise
};

struct Dataset {
  std::string name;                      // "wordnet" or a file name
  std::vector<std::string> label_names;  // label id -> name
  std::vector<Example> train, val, test;
  bool pairs = false;                    // a sentence-pair task: every example has a text_pair
  int num_classes() const { return static_cast<int>(label_names.size()); }
};

enum class Split { Train, Val, Test };

// Deterministic 80/10/10 split: bucket = stable_hash(key) % 100; < 80 train, < 90 val, else test.
// The same key lands in the same split on every machine and in every version.
Split split_of(std::string_view key);
// The split of an example: keyed by its text, or for a pair by both texts ("a\x1fb").
Split split_of(const Example& example);

// "train", "val" or "test".
const char* split_name(Split split);

// Writes `dir`/train.jsonl, val.jsonl and test.jsonl: one {"text": ..., "label": "<label name>"} line per
// example ("text_pair" too for a pair task), in split order (what `qtnas data --write-split` gives, and a jsonl task reads back as the same split).
// Creates `dir`; throws Error if a file cannot be written.
void write_split_jsonl(const Dataset& data, const std::string& dir);

// Opens `path` for reading in binary mode. Throws Error "cannot open 'path': <reason from the OS>"
// when it is missing, a directory or unreadable.
std::ifstream open_input_file(const std::string& path);

}  // namespace qtnas
