// Statistics of a task as seen by the model (class balance, token lengths, truncation) for `qtnas data`.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/tokenizer.h"

namespace qtnas {

// Token lengths include [CLS]. Percentiles are nearest-rank (the smallest length with at least p% of the
// examples at or below it; median = p50). All zero for an empty split.
struct LengthStats {
  double mean = 0;
  int median = 0, p95 = 0, p99 = 0, max = 0;
  double truncated_fraction = 0;  // fraction of examples with length > max_len
};

struct SplitStats {
  std::string split;                // "train", "val", "test"
  size_t examples = 0;
  std::vector<size_t> class_counts;  // label id -> examples
  LengthStats lengths;
};

struct DatasetStats {
  std::string name;
  std::vector<std::string> label_names;
  std::vector<SplitStats> splits;  // train, val, test
  int vocab_size = 0;              // the tokenizer's real vocabulary size
  int max_len = 0;
  // Accuracy on test of always predicting the most frequent training class (the baseline to beat).
  double majority_fraction_test = 0;
  int covering_seq_len = 0;  // covering_seq_len() of the training split
};

// The sequence length `--seq-len auto` resolves to: the nearest-rank `percent` percentile of the training
// texts' token lengths ([CLS] included), rounded up to a multiple of 8, at least 16. Throws Error on no texts.
inline constexpr double kCoveredPercent = 95;
int covering_seq_len(const std::vector<Example>& train, const Tokenizer& tokenizer, double percent = kCoveredPercent);

// Throws Error if max_len < 1.
DatasetStats compute_stats(const Dataset& dataset, const Tokenizer& tokenizer, int max_len);

nlohmann::json to_json(const DatasetStats& stats);

// Several lines: the task, per split its size and length statistics, then a table of classes (name, train,
// val, test). Ends with a newline.
std::string to_table(const DatasetStats& stats);

}  // namespace qtnas
