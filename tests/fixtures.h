// Shared fixtures of the torch tests: a tiny search space and a tiny learnable synthetic task.
#pragma once

#include <vector>

#include "space/search_space.h"
#include "supernet/batches.h"

namespace qtnas::testing {

// hidden 32, up to 2 heads of 16, FFN {0, 32, 64}, vocabulary 40, 12 tokens, 3 classes.
inline SpaceConfig tiny_space(int layers = 2, std::vector<int> sparsity_pct = {0, 50}) {
  SpaceConfig c;
  c.layers = layers;
  c.hidden = 32;
  c.max_heads = 2;
  c.head_dim = 16;
  c.ffn_choices = {0, 32, 64};
  c.sparsity_pct_choices = std::move(sparsity_pct);
  c.vocab_size = 40;
  c.max_seq_len = 12;
  c.num_classes = 3;
  return c;
}

// [CLS] and 3-10 random tokens, one of which is the marker 4, 5 or 6 that gives the label: learnable only by
// attending to the tokens, so accuracies far from chance (1/3) show a working model.
inline EncodedSplit synthetic_split(size_t n, uint64_t seed) {
  Rng rng(seed);
  EncodedSplit s;
  for (size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(rng.uniform(3));
    std::vector<int> ids = {2};
    const size_t len = 3 + rng.uniform(8);
    for (size_t t = 0; t < len; ++t) ids.push_back(7 + static_cast<int>(rng.uniform(33)));
    ids[1 + rng.uniform(len)] = 4 + label;
    s.ids.push_back(ids);
    s.labels.push_back(label);
  }
  return s;
}

}  // namespace qtnas::testing
