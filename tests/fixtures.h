// Shared fixtures of the torch tests: a tiny search space, a tiny learnable synthetic task, and a supernet
// briefly trained on it.
#pragma once

#include <filesystem>
#include <vector>

#include "space/search_space.h"
#include "supernet/batches.h"
#include "supernet/trainer.h"

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

// A supernet of tiny_space(2, {0, 50, 75}) with `keep_pct` as its keep choices and `pooling`, trained for `steps`
// steps on synthetic_split(512, 2), its checkpoint written to `checkpoint`; the same every call. 80 steps (a few
// seconds) take most archs far from chance (1/3).
inline Supernet briefly_trained_net(const std::filesystem::path& checkpoint, int64_t steps = 80,
                                    std::vector<int> keep_pct = {100}, Pooling pooling = Pooling::Cls) {
  torch::manual_seed(1);
  SpaceConfig space = tiny_space(2, {0, 50, 75});
  space.keep_pct_choices = std::move(keep_pct);
  space.pooling = pooling;
  TrainConfig config;
  config.steps = steps;
  config.lr = 3e-3;
  config.checkpoint_every = 1000;
  Trainer trainer(Supernet(space, 0.0), config, {space, 0.0, {"a", "b", "c"}, "", {}});
  trainer.run(synthetic_split(512, 2), synthetic_split(64, 3), checkpoint.string());
  return trainer.net();
}

}  // namespace qtnas::testing
