// A latency model that needs no measuring, for tests of what uses one (search, runs, commands).
#pragma once

#include <cmath>

#include "latency_models/environment.h"
#include "latency_models/latency_model.h"
#include "latency_models/measurement_store.h"

namespace qtnas::testing {

// A latency model over a table of made-up but plausible costs (per block: 0.1 ms a head, 0.004 ms an FFN
// neuron; bf16 x3, int8 x0.6; on fewer tokens, a cost that is not proportional to them; 0.2 ms for the rest)
// under this machine's environment at batch 1 with `threads` threads, so that tests need no measuring.
inline AdditiveLatencyModel toy_latency_model(const SearchSpace& space, int threads) {
  const SpaceConfig& c = space.config();
  Environment env = current_environment(1, c.max_seq_len);
  env.threads = threads;
  LayerTable table{0.2, std::vector<double>(AdditiveLatencyModel::attention_entries(c)),
                   std::vector<double>(AdditiveLatencyModel::ffn_entries(c))};
  AdditiveLatencyModel layout = AdditiveLatencyModel::table_only(space, env, table);
  const double factor[] = {1.0, 3.0, 0.6};  // fp32, bf16, int8
  for (Precision p : c.precisions) {
    for (int s : c.sparsity_pct_choices) {
      for (int k : c.keep_pct_choices) {
        const double attention = 0.3 + 0.7 * std::pow(k / 100.0, 1.5), ffn = 0.2 + 0.8 * k / 100.0;
        for (int h = 1; h <= c.max_heads; ++h) {
          table.attention_ms[layout.attention_index(h, p, s, k)] = 0.1 * h * factor[int(p)] * attention;
        }
        for (int f : c.ffn_choices) {
          if (f > 0) table.ffn_ms[layout.ffn_index(f, p, s, k)] = 0.004 * f * factor[int(p)] * ffn;
        }
      }
    }
  }
  return AdditiveLatencyModel::table_only(space, env, table);
}

// Writes into `store` what `qtnas profile` would have measured on a machine whose latencies are exactly
// `truth`'s table: every layer kind at every keep over its base model (layer_kind_arch), and `subnets` random
// subnets (seeded) at truth's prediction beside the empty model, in one group each and without speed references,
// so that fit_from_store() recovers the table and truth's correction.
inline void profile_toy_machine(MeasurementStore& store, const SearchSpace& space, const AdditiveLatencyModel& truth,
                                int subnets, uint64_t seed) {
  const SpaceConfig& c = space.config();
  const Environment& env = truth.environment();
  const std::string h = space.hash_hex();
  auto add = [&](MeasurementKind kind, const Arch& arch, int keep_pct, double ms) {
    const int64_t group = store.new_group();
    const Arch base = layer_kind_base(c, keep_pct);
    store.add(env, h, MeasurementKind::Empty, base,
              LatencyStats{base.layers.empty() ? truth.table().empty_ms : truth.table_ms(base)}, group);
    store.add(env, h, kind, arch, LatencyStats{ms}, group);
  };
  for (Precision p : c.precisions) {
    for (int sparsity : c.sparsity_pct_choices) {
      for (int keep : c.keep_pct_choices) {
        for (int heads = 1; heads <= c.max_heads; ++heads) {
          const Arch a = layer_kind_arch(c, {heads, 0, sparsity, p}, keep);
          add(MeasurementKind::Attention, a, keep, truth.table_ms(a));
        }
        for (int f : c.ffn_choices) {
          if (f == 0) continue;
          const Arch a = layer_kind_arch(c, {0, f, sparsity, p}, keep);
          add(MeasurementKind::Ffn, a, keep, truth.table_ms(a));
        }
      }
    }
  }
  Rng rng(seed);
  for (int i = 0; i < subnets; ++i) {
    const Arch a = space.sample(rng);
    add(MeasurementKind::Subnet, a, 100, truth.predict_ms(a));  // the correction included
  }
}

}  // namespace qtnas::testing
