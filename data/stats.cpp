#include "data/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include <fmt/format.h>

#include "space/error.h"

namespace qtnas {
namespace {

int nearest_rank(const std::vector<int>& sorted, double percent) {
  const size_t rank = static_cast<size_t>(std::ceil(percent / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::max<size_t>(rank, 1) - 1];
}

SplitStats split_stats(const char* name, const std::vector<Example>& examples, int num_classes,
                       const Tokenizer& tokenizer, int max_len) {
  SplitStats stats;
  stats.split = name;
  stats.examples = examples.size();
  stats.class_counts.assign(num_classes, 0);
  std::vector<int> lengths;
  lengths.reserve(examples.size());
  for (const Example& ex : examples) {
    QTNAS_CHECK(ex.label >= 0 && ex.label < num_classes, "{} example has label {} outside [0, {})", name, ex.label,
                num_classes);
    ++stats.class_counts[ex.label];
    lengths.push_back(tokenizer.length(ex));
  }
  if (lengths.empty()) return stats;
  std::sort(lengths.begin(), lengths.end());
  LengthStats& l = stats.lengths;
  l.mean = std::accumulate(lengths.begin(), lengths.end(), 0.0) / static_cast<double>(lengths.size());
  l.median = nearest_rank(lengths, 50);
  l.p95 = nearest_rank(lengths, 95);
  l.p99 = nearest_rank(lengths, 99);
  l.max = lengths.back();
  const auto truncated = lengths.end() - std::upper_bound(lengths.begin(), lengths.end(), max_len);
  l.truncated_fraction = static_cast<double>(truncated) / static_cast<double>(lengths.size());
  return stats;
}

}  // namespace

int covering_seq_len(const std::vector<Example>& train, const Tokenizer& tokenizer, double percent) {
  QTNAS_CHECK(!train.empty(), "no training texts to measure the sequence length on");
  std::vector<int> lengths;
  lengths.reserve(train.size());
  for (const Example& ex : train) lengths.push_back(tokenizer.length(ex));
  std::sort(lengths.begin(), lengths.end());
  const int covered = nearest_rank(lengths, percent);
  return std::max(16, (covered + 7) / 8 * 8);
}

DatasetStats compute_stats(const Dataset& dataset, const Tokenizer& tokenizer, int max_len) {
  QTNAS_CHECK(max_len >= 1, "max_len must be at least 1, got {}", max_len);
  DatasetStats stats;
  stats.name = dataset.name;
  stats.label_names = dataset.label_names;
  stats.vocab_size = tokenizer.vocab_size();
  stats.max_len = max_len;
  const int k = dataset.num_classes();
  stats.splits.push_back(split_stats("train", dataset.train, k, tokenizer, max_len));
  stats.splits.push_back(split_stats("val", dataset.val, k, tokenizer, max_len));
  stats.splits.push_back(split_stats("test", dataset.test, k, tokenizer, max_len));
  if (!dataset.train.empty()) stats.covering_seq_len = covering_seq_len(dataset.train, tokenizer);
  const auto& train_counts = stats.splits[0].class_counts;
  const SplitStats& test = stats.splits[2];
  if (k > 0 && test.examples > 0) {
    const size_t majority = std::max_element(train_counts.begin(), train_counts.end()) - train_counts.begin();
    stats.majority_fraction_test =
        static_cast<double>(test.class_counts[majority]) / static_cast<double>(test.examples);
  }
  return stats;
}

nlohmann::json to_json(const DatasetStats& stats) {
  nlohmann::json splits = nlohmann::json::array();
  for (const SplitStats& s : stats.splits) {
    const LengthStats& l = s.lengths;
    splits.push_back({{"split", s.split},
                      {"examples", s.examples},
                      {"class_counts", s.class_counts},
                      {"lengths",
                       {{"mean", l.mean},
                        {"median", l.median},
                        {"p95", l.p95},
                        {"p99", l.p99},
                        {"max", l.max},
                        {"truncated_fraction", l.truncated_fraction}}}});
  }
  return {{"name", stats.name},
          {"label_names", stats.label_names},
          {"num_classes", stats.label_names.size()},
          {"vocab_size", stats.vocab_size},
          {"max_len", stats.max_len},
          {"majority_fraction_test", stats.majority_fraction_test},
          {"covering_seq_len", stats.covering_seq_len},
          {"splits", splits}};
}

std::string to_table(const DatasetStats& stats) {
  std::string out = fmt::format("dataset {}: {} classes, vocabulary {} tokens, max_len {}\n", stats.name,
                                stats.label_names.size(), stats.vocab_size, stats.max_len);
  out += fmt::format("{:<6} {:>9} {:>8} {:>7} {:>5} {:>5} {:>6} {:>10}\n", "split", "examples", "mean_len", "median",
                     "p95", "p99", "max", "truncated");
  for (const SplitStats& s : stats.splits) {
    const LengthStats& l = s.lengths;
    out += fmt::format("{:<6} {:>9} {:>8.1f} {:>7} {:>5} {:>5} {:>6} {:>9.1f}%\n", s.split, s.examples, l.mean,
                       l.median, l.p95, l.p99, l.max, 100.0 * l.truncated_fraction);
  }
  out += fmt::format("majority-class baseline on test: {:.1f}%\n", 100.0 * stats.majority_fraction_test);
  out += fmt::format("--seq-len auto: {} tokens cover {:.0f}% of the training texts\n", stats.covering_seq_len,
                     kCoveredPercent);
  size_t width = 5;
  for (const auto& name : stats.label_names) width = std::max(width, name.size());
  out += fmt::format("{:<{}}", "class", width);
  for (const SplitStats& s : stats.splits) out += fmt::format(" {:>9}", s.split);
  out += '\n';
  for (size_t c = 0; c < stats.label_names.size(); ++c) {
    out += fmt::format("{:<{}}", stats.label_names[c], width);
    for (const SplitStats& s : stats.splits)
      out += fmt::format(" {:>9}", c < s.class_counts.size() ? s.class_counts[c] : 0);
    out += '\n';
  }
  return out;
}

}  // namespace qtnas
