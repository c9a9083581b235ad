// A latency model that needs no measuring, for tests of what uses one (search, runs, commands).
#pragma once

#include "latency_models/environment.h"
#include "latency_models/latency_model.h"
#include "latency_models/measurement_store.h"

namespace qtnas::testing {

// A latency model over a table of made-up but plausible costs (per block: 0.1 ms a head, 0.004 ms an FFN
// neuron; bf16 x3, int8 x0.6; 0.2 ms for the rest) under this machine's environment at batch 1 with `threads`
// threads, so that tests need no measuring.
inline AdditiveLatencyModel toy_latency_model(const SearchSpace& space, int threads) {
  const SpaceConfig& c = space.config();
  Environment env = current_environment(1, c.max_seq_len);
  env.threads = threads;
  const size_t per = c.precisions.size() * c.sparsity_pct_choices.size();
  int widths = 0;
  for (int f : c.ffn_choices) widths += f > 0;
  LayerTable table{0.2, std::vector<double>(c.max_heads * per), std::vector<double>(widths * per)};
  AdditiveLatencyModel layout = AdditiveLatencyModel::table_only(space, env, table);
  const double factor[] = {1.0, 3.0, 0.6};  // fp32, bf16, int8
  for (Precision p : c.precisions) {
    for (int s : c.sparsity_pct_choices) {
      for (int h = 1; h <= c.max_heads; ++h) table.attention_ms[layout.attention_index(h, p, s)] = 0.1 * h * factor[int(p)];
      for (int f : c.ffn_choices) {
        if (f > 0) table.ffn_ms[layout.ffn_index(f, p, s)] = 0.004 * f * factor[int(p)];
      }
    }
  }
  return AdditiveLatencyModel::table_only(space, env, table);
}

// Writes into `store` what `qtnas profile` would have measured on a machine whose latencies are exactly
// `truth`'s table: the empty model, every layer kind alone, and `subnets` random subnets (seeded), in one group
// each and without speed references, so that fit_from_store() recovers the table.
inline void profile_toy_machine(MeasurementStore& store, const SearchSpace& space, const AdditiveLatencyModel& truth,
                                int subnets, uint64_t seed) {
  const SpaceConfig& c = space.config();
  const Environment& env = truth.environment();
  const std::string h = space.hash_hex();
  const Arch empty{std::vector<LayerArch>(c.layers)};
  auto add = [&](MeasurementKind kind, const Arch& arch) {
    const int64_t group = store.new_group();
    store.add(env, h, MeasurementKind::Empty, Arch{}, LatencyStats{truth.table().empty_ms}, group);
    store.add(env, h, kind, arch, LatencyStats{truth.table_ms(arch)}, group);
  };
  for (Precision p : c.precisions) {
    for (int sparsity : c.sparsity_pct_choices) {
      for (int heads = 1; heads <= c.max_heads; ++heads) {
        Arch a = empty;
        a.layers[0] = {heads, 0, sparsity, p};
        add(MeasurementKind::Attention, a);
      }
      for (int f : c.ffn_choices) {
        if (f == 0) continue;
        Arch a = empty;
        a.layers[0] = {0, f, sparsity, p};
        add(MeasurementKind::Ffn, a);
      }
    }
  }
  Rng rng(seed);
  for (int i = 0; i < subnets; ++i) add(MeasurementKind::Subnet, space.sample(rng));
}

}  // namespace qtnas::testing
