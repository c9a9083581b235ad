// A task as the commands name it, and made ready for a model: which data (the embedded WordNet default, or the
// user's files), its tokenizer, and the sequence length. The task options are JSON because a search run stores
// them, so that `resume` and `export` reload the very same data.
//
// Task options (every key optional):
//   "task"         "wordnet" (the default without files) | "files" (the default with files) | "tsv" | "csv" |
//                  "json" | "jsonl" (files of that format, as older runs stored it)
//   "wordnet-dir"  WordNet 3.0's dict folder (default data/wordnet.h kWordnetDir)
//   "data"         one file, split 80/10/10 by a hash of each example; or
//   "train", "val", "test"  three files
//   "format"       "tsv" | "csv" | "json" | "jsonl" (default: by each file's extension)
//   "text-column", "label-column"  (default "text", "label"); "text-pair-column": a sentence-pair task
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/baseline.h"
#include "data/dataset.h"
#include "data/stats.h"
#include "data/tokenizer.h"

namespace qtnas {

// The keys of the task options, each a string (named as the command's options are). Without "task", a task
// with any of data, train, val, test is "files", else "wordnet".
inline constexpr const char* kTaskOptionKeys[] = {"task",   "wordnet-dir", "data",        "train",        "val",
                                                  "test",   "format",      "text-column", "label-column",
                                                  "text-pair-column"};

// The task the options name. Throws qtnas::Error on an unknown task, a contradictory or incomplete set of
// files, or an unreadable or malformed file.
Dataset load_task(const nlohmann::json& options);

// The texts a tokenizer of the task learns from: the training texts, and the second texts of a pair task.
std::vector<std::string> training_texts(const Dataset& data);

// The non-blank lines of each file, in order: unlabeled texts, one a line. Throws qtnas::Error naming an
// unreadable file.
std::vector<std::string> read_unlabeled_texts(const std::vector<std::string>& paths);

// A task ready for the model: its data and its tokenizer.
struct TaskContext {
  Dataset data;
  Tokenizer tokenizer;
  std::string tokenizer_path;
  std::string tokenizer_fingerprint;  // hash of the tokenizer's bytes, recorded in checkpoints
  bool tokenizer_reused = false;
  std::vector<std::string> unlabeled;  // for pretraining only; never validation or test texts
};

// Loads the task and trains its tokenizer into `workdir`/tokenizer.model on the training texts and `unlabeled`,
// or reuses the one there if it was trained on the same training texts with the same vocabulary (see
// Tokenizer::train_or_load). `on_note` gets one line saying which, and how long it took. Throws qtnas::Error
// on bad options, unreadable files or vocab_size < 8.
TaskContext prepare_task(const nlohmann::json& options, int vocab_size, const std::string& workdir,
                         std::vector<std::string> unlabeled, const std::function<void(const std::string&)>& on_note);

// `qtnas data`'s job: the task prepared in `workdir` (prepare_task), its split written as JSONL when
// `write_split` names a folder (write_split_jsonl), its statistics at `seq_len` (parse_seq_len's text), and the
// TF-IDF SVM baseline beside them (tfidf_svm_baseline) unless skipped.
struct DataJob {
  nlohmann::json task_options;
  int vocab_size = 0;
  std::string workdir;
  std::string seq_len = "auto";
  std::string write_split;  // '': none
  bool baseline = true;
};

struct DataReport {
  TaskContext task;
  DatasetStats stats;
  std::optional<BaselineResult> baseline;
  std::string baseline_why;  // when there is none
};

// `on_note` gets a line each for the tokenizer and the split written. Throws qtnas::Error as the functions named
// above do.
DataReport run_data_job(const DataJob& job, const std::function<void(const std::string&)>& on_note);

// What `qtnas data` shows: the statistics, the baseline beside them (or why there is none), the tokenizer
// {"path", "reused", "vocab_size", "fingerprint"} and "pairs"; as JSON, or as text.
nlohmann::json to_json(const DataReport& r);
std::string describe(const DataReport& r);

// A sequence length as a user gives it: an integer of at least 2, or "auto", the length that covers 95% of
// the training texts (stats.h covering_seq_len), or `fallback` without a task. Throws qtnas::Error otherwise.
int parse_seq_len(const std::string& text, const TaskContext* task, int fallback);

}  // namespace qtnas
