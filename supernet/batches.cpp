#include "supernet/batches.h"

#include <algorithm>
#include <numeric>

#include <tbb/parallel_for.h>

#include "space/error.h"

namespace qtnas {
namespace {

void shuffle(std::vector<size_t>& v, Rng& rng) {
  for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.uniform(i)]);
}

std::vector<std::vector<size_t>> cut(const std::vector<size_t>& order, int batch_size) {
  std::vector<std::vector<size_t>> batches;
  for (size_t start = 0; start < order.size(); start += batch_size) {
    const size_t end = std::min(order.size(), start + size_t(batch_size));
    batches.emplace_back(order.begin() + start, order.begin() + end);
  }
  return batches;
}

}  // namespace

EncodedSplit encode_split(const std::vector<Example>& examples, const Tokenizer& tokenizer, int seq_len) {
  EncodedSplit out;
  out.ids.resize(examples.size());
  out.labels.resize(examples.size());
  tbb::parallel_for(size_t(0), examples.size(), [&](size_t i) {
    out.ids[i] = tokenizer.encode(examples[i], seq_len);
    out.labels[i] = examples[i].label;
  });
  return out;
}

Batch make_batch(const EncodedSplit& split, const std::vector<size_t>& indices) {
  QTNAS_CHECK(!indices.empty(), "empty batch");
  size_t len = 0;
  for (size_t i : indices) len = std::max(len, split.ids[i].size());
  const int64_t b = static_cast<int64_t>(indices.size());
  torch::Tensor ids = torch::zeros({b, int64_t(len)}, torch::kLong);
  torch::Tensor pad = torch::ones({b, int64_t(len)}, torch::kBool);
  torch::Tensor labels = torch::empty({b}, torch::kLong);
  auto ids_a = ids.accessor<int64_t, 2>();
  auto pad_a = pad.accessor<bool, 2>();
  auto labels_a = labels.accessor<int64_t, 1>();
  for (int64_t r = 0; r < b; ++r) {
    const auto& row = split.ids[indices[r]];
    for (size_t t = 0; t < row.size(); ++t) {
      ids_a[r][t] = row[t];
      pad_a[r][t] = false;
    }
    labels_a[r] = split.labels[indices[r]];
  }
  return {ids, pad, labels};
}

std::vector<std::vector<size_t>> eval_batches(const EncodedSplit& split, int batch_size, size_t limit) {
  QTNAS_CHECK(batch_size >= 1, "batch size must be positive, got {}", batch_size);
  std::vector<size_t> order(split.size());
  std::iota(order.begin(), order.end(), 0);
  if (limit > 0 && limit < split.size()) {
    // A fixed random subset: files are often grouped by class (WordNet: nouns first), so a prefix would not be
    // representative.
    Rng rng(0x5eed);
    shuffle(order, rng);
    order.resize(limit);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return split.ids[a].size() != split.ids[b].size() ? split.ids[a].size() < split.ids[b].size() : a < b;
  });
  return cut(order, batch_size);
}

std::vector<std::vector<size_t>> epoch_batches(const EncodedSplit& split, int batch_size, uint64_t seed,
                                               int64_t epoch) {
  QTNAS_CHECK(batch_size >= 1, "batch size must be positive, got {}", batch_size);
  Rng rng(seed * 0x9e3779b97f4a7c15ULL + uint64_t(epoch) + 1);
  std::vector<size_t> order(split.size());
  std::iota(order.begin(), order.end(), 0);
  shuffle(order, rng);
  const size_t window = size_t(batch_size) * 50;
  for (size_t start = 0; start < order.size(); start += window) {
    const auto end = order.begin() + std::min(order.size(), start + window);
    std::stable_sort(order.begin() + start, end,
                     [&](size_t a, size_t b) { return split.ids[a].size() < split.ids[b].size(); });
  }
  auto batches = cut(order, batch_size);
  for (size_t i = batches.size(); i > 1; --i) std::swap(batches[i - 1], batches[rng.uniform(i)]);
  return batches;
}

}  // namespace qtnas
