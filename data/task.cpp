#include "data/task.h"

#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "data/labeled_files.h"
#include "data/stats.h"
#include "data/text.h"
#include "data/wordnet.h"
#include "space/error.h"
#include "space/hash.h"

namespace qtnas {

Dataset load_task(const nlohmann::json& options) {
  const bool has_files = options.contains("data") || options.contains("train") || options.contains("val") ||
                         options.contains("test");
  const std::string task = options.value("task", has_files ? "files" : "wordnet");
  if (task == "wordnet") {
    QTNAS_CHECK(!has_files, "--task wordnet takes no --data/--train files");
    return load_wordnet(options.value("wordnet-dir", std::string(kWordnetDir)));
  }
  QTNAS_CHECK(task == "files" || task == "tsv" || task == "csv" || task == "json" || task == "jsonl",
              "unknown task '{}' (allowed: wordnet, files, tsv, csv, json, jsonl)", task);
  // "files" takes each file's format from --format or its extension; the older task names fix the format.
  std::optional<FileFormat> format;
  if (task != "files") format = parse_file_format(task);
  if (options.contains("format")) {
    const FileFormat given = parse_file_format(options["format"].get<std::string>());
    QTNAS_CHECK(!format || *format == given, "--task {} contradicts --format {}", task,
                options["format"].get<std::string>());
    format = given;
  }
  Columns columns;
  columns.text = options.value("text-column", columns.text);
  columns.label = options.value("label-column", columns.label);
  columns.text_pair = options.value("text-pair-column", columns.text_pair);
  QTNAS_CHECK(!columns.text.empty() && !columns.label.empty(), "--text-column and --label-column cannot be empty");
  QTNAS_CHECK(columns.text != columns.label && columns.text_pair != columns.text && columns.text_pair != columns.label,
              "--text-column, --label-column and --text-pair-column must name different columns");
  const bool split_files = options.contains("train") || options.contains("val") || options.contains("test");
  if (options.contains("data")) {
    QTNAS_CHECK(!split_files, "give either --data or --train/--val/--test, not both");
    return load_labeled_file_split(format, options["data"].get<std::string>(), columns);
  }
  QTNAS_CHECK(options.contains("train") && options.contains("val") && options.contains("test"),
              "a task of files needs --data FILE, or all of --train, --val and --test");
  return load_labeled_files(format, options["train"].get<std::string>(), options["val"].get<std::string>(),
                            options["test"].get<std::string>(), columns);
}

std::vector<std::string> training_texts(const Dataset& data) {
  std::vector<std::string> texts;
  texts.reserve(data.train.size() * (data.pairs ? 2 : 1));
  for (const auto& e : data.train) texts.push_back(e.text);
  if (data.pairs)
    for (const auto& e : data.train) texts.push_back(e.text_pair);
  return texts;
}

std::vector<std::string> read_unlabeled_texts(const std::vector<std::string>& paths) {
  std::vector<std::string> texts;
  for (const std::string& path : paths) {
    std::ifstream in(path);
    QTNAS_CHECK(in && !std::filesystem::is_directory(path), "cannot read unlabeled texts '{}'", path);
    for (std::string line; std::getline(in, line);) {
      if (!trim(line).empty()) texts.push_back(line);
    }
  }
  return texts;
}

TaskContext prepare_task(const nlohmann::json& options, int vocab_size, const std::string& workdir,
                         std::vector<std::string> unlabeled, const std::function<void(const std::string&)>& on_note) {
  Dataset data = load_task(options);
  QTNAS_CHECK(vocab_size >= 8, "--vocab-size must be at least 8, got {}", vocab_size);
  const std::string path = workdir + "/tokenizer.model";
  const std::vector<std::string> texts = training_texts(data);
  const auto start = std::chrono::steady_clock::now();
  bool reused = false;
  Tokenizer tokenizer = Tokenizer::train_or_load(texts, vocab_size, path, &reused, unlabeled);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (on_note) {
    on_note(fmt::format("tokenizer: {} {} (vocabulary {}, {} training texts{}, {:.1f} s)", reused ? "reused" : "trained",
                        path, tokenizer.vocab_size(), texts.size(),
                        reused || unlabeled.empty() ? "" : fmt::format(" and {} unlabeled", unlabeled.size()),
                        seconds));
  }
  const std::string fingerprint = hash_hex(stable_hash(tokenizer.serialized()));
  return {std::move(data), std::move(tokenizer), path, fingerprint, reused, std::move(unlabeled)};
}

int parse_seq_len(const std::string& text, const TaskContext* task, int fallback) {
  if (text == "auto") return task ? covering_seq_len(task->data.train, task->tokenizer) : fallback;
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  QTNAS_CHECK(ec == std::errc() && end == text.data() + text.size() && value >= 2,
              "--seq-len must be 'auto' or an integer of at least 2, got '{}'", text);
  return value;
}

DataReport run_data_job(const DataJob& job, const std::function<void(const std::string&)>& on_note) {
  DataReport r{prepare_task(job.task_options, job.vocab_size, job.workdir, {}, on_note), {}, std::nullopt, ""};
  if (!job.write_split.empty()) {
    write_split_jsonl(r.task.data, job.write_split);
    on_note(fmt::format("split written to {}/{{train,val,test}}.jsonl", job.write_split));
  }
  r.stats = compute_stats(r.task.data, r.task.tokenizer, parse_seq_len(job.seq_len, &r.task, 0));
  r.baseline = baseline_if_wanted(job.baseline, r.task.data, job.workdir, &r.baseline_why);
  return r;
}

nlohmann::json to_json(const DataReport& r) {
  nlohmann::json out = to_json(r.stats);
  out["baseline"] = to_json(r.baseline, r.baseline_why);
  out["tokenizer"] = {{"path", r.task.tokenizer_path},
                      {"reused", r.task.tokenizer_reused},
                      {"vocab_size", r.task.tokenizer.vocab_size()},
                      {"fingerprint", r.task.tokenizer_fingerprint}};
  out["pairs"] = r.task.data.pairs;
  return out;
}

std::string describe(const DataReport& r) {
  return to_table(r.stats) + describe(r.baseline, r.baseline_why) + "\n" +
         fmt::format("tokenizer: {} ({}, vocabulary {}, fingerprint {})\n", r.task.tokenizer_path,
                     r.task.tokenizer_reused ? "reused" : "trained", r.task.tokenizer.vocab_size(),
                     r.task.tokenizer_fingerprint);
}

}  // namespace qtnas
