// From tokenized examples to padded tensor batches: a fixed evaluation order, and a shuffled training order
// that groups examples of similar length (WordNet glosses have a median of 17 tokens: padding to 64 would
// waste most of the compute).
#pragma once

#include <torch/torch.h>

#include <vector>

#include "data/dataset.h"
#include "data/tokenizer.h"
#include "space/rng.h"

namespace qtnas {

struct EncodedSplit {
  std::vector<std::vector<int>> ids;  // per example: [CLS] + pieces, at most seq_len
  std::vector<int64_t> labels;
  size_t size() const { return labels.size(); }
};

// Tokenizes in parallel (the tokenizer is thread-safe).
EncodedSplit encode_split(const std::vector<Example>& examples, const Tokenizer& tokenizer, int seq_len);

struct Batch {
  torch::Tensor ids;     // [B, L] int64, padded with the pad id 0 to the longest example in the batch
  torch::Tensor pad;     // [B, L] bool, true where padded
  torch::Tensor labels;  // [B] int64
};
Batch make_batch(const EncodedSplit& split, const std::vector<size_t>& indices);

// All examples, or a fixed random subset of `limit` of them, sorted by length and cut into batches: the same
// batches every time.
std::vector<std::vector<size_t>> eval_batches(const EncodedSplit& split, int batch_size, size_t limit = 0);

// One epoch of training batches, determined by `seed` and `epoch` alone (so a resumed run recomputes it):
// shuffled, grouped by length in windows of 50 batches, batch order shuffled.
std::vector<std::vector<size_t>> epoch_batches(const EncodedSplit& split, int batch_size, uint64_t seed,
                                               int64_t epoch);

}  // namespace qtnas
