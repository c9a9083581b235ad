#include "latency_models/profiler.h"

#include <chrono>
#include <set>

#include "export/subnet_module.h"
#include "space/error.h"
#include "space/hash.h"

namespace qtnas {
namespace {

struct Job {
  std::string kind;  // "attention", "ffn" or "subnet"
  Arch arch;
  size_t table_index = 0;  // for layer kinds
  double latency_ms = 0;   // filled in by measuring
};

// Subnets that cover the space: anchors, then samples of which half are forced to one precision throughout.
std::vector<Job> subnet_jobs(const SearchSpace& space, int count, uint64_t seed, size_t* anchors) {
  std::vector<Job> jobs;
  std::set<uint64_t> seen;
  auto add = [&](const Arch& a) {
    if (seen.insert(arch_id(a)).second) jobs.push_back({"subnet", a});
  };
  for (Precision p : space.config().precisions) add(space.largest(p));
  add(space.smallest());
  *anchors = jobs.size();
  Rng rng(seed);
  for (int attempt = 0; int(jobs.size()) < count && attempt < 100 * count; ++attempt) {
    Arch a = space.sample(rng);
    if (rng.bernoulli(0.5)) {
      const Precision p = space.config().precisions[rng.uniform(space.config().precisions.size())];
      for (auto& l : a.layers) l.precision = l.skipped() ? Precision::FP32 : p;
    }
    add(a);
  }
  return jobs;
}

}  // namespace

ProfileResult profile(Supernet& net, const ProfileConfig& c, MeasurementStore& store,
                      const std::function<void(int, int)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  const SearchSpace& space = net->space();
  const SpaceConfig& sc = space.config();
  const Environment env = current_environment(c.measure.batch, c.measure.seq);
  const std::string space_hash = space.hash_hex();
  QTNAS_CHECK(c.subnets >= 2 * AdditiveLatencyModel::kFeatures, "profiling needs at least {} subnets, got {}",
              2 * AdditiveLatencyModel::kFeatures, c.subnets);

  // The table's layout (which slot each layer kind fills), from a model over an empty table.
  const size_t per = sc.precisions.size() * sc.sparsity_pct_choices.size();
  int ffn_widths = 0;
  for (int f : sc.ffn_choices) ffn_widths += f > 0;
  LayerTable table{0, std::vector<double>(sc.max_heads * per), std::vector<double>(ffn_widths * per)};
  const AdditiveLatencyModel layout = AdditiveLatencyModel::table_only(space, env, table);

  std::vector<Job> jobs;
  const Arch empty{std::vector<LayerArch>(sc.layers)};
  for (Precision p : sc.precisions) {
    for (int s : sc.sparsity_pct_choices) {
      for (int h = 1; h <= sc.max_heads; ++h) {
        Arch a = empty;
        a.layers[0] = {h, 0, s, p};
        jobs.push_back({"attention", a, layout.attention_index(h, p, s)});
      }
      for (int f : sc.ffn_choices) {
        if (f == 0) continue;
        Arch a = empty;
        a.layers[0] = {0, f, s, p};
        jobs.push_back({"ffn", a, layout.ffn_index(f, p, s)});
      }
    }
  }
  const size_t layer_jobs = jobs.size();
  size_t anchors = 0;
  for (auto& j : subnet_jobs(space, c.subnets, c.seed, &anchors)) jobs.push_back(std::move(j));

  // Each group is measured interleaved with the empty model, and layer costs are taken against the empty model
  // of their own group, so slow drifts of the machine cancel.
  std::vector<double> empty_ms;
  const int group = std::max(1, c.group - 1);
  const int groups = static_cast<int>((jobs.size() + group - 1) / group);
  for (int g = 0; g < groups; ++g) {
    const size_t begin = size_t(g) * group, end = std::min(jobs.size(), begin + group);
    std::vector<torch::jit::Module> modules = {build_subnet_module(net, empty, /*allow_empty=*/true)};
    for (size_t k = begin; k < end; ++k) modules.push_back(build_subnet_module(net, jobs[k].arch));
    MeasureConfig mc = c.measure;
    mc.seed = c.seed + g;
    mc.vocab_size = sc.vocab_size;
    const std::vector<LatencyStats> stats = measure_interleaved(modules, mc);
    store.add(env, space_hash, "empty", Arch{}, stats[0]);
    empty_ms.push_back(stats[0].median_ms);
    for (size_t k = begin; k < end; ++k) {
      const LatencyStats& s = stats[1 + k - begin];
      store.add(env, space_hash, jobs[k].kind, jobs[k].arch, s);
      jobs[k].latency_ms = jobs[k].kind == "subnet" ? s.median_ms : s.median_ms - stats[0].median_ms;
    }
    if (progress) progress(g + 1, groups);
  }

  std::sort(empty_ms.begin(), empty_ms.end());
  table.empty_ms = empty_ms[empty_ms.size() / 2];
  for (size_t k = 0; k < layer_jobs; ++k) {
    (jobs[k].kind == "attention" ? table.attention_ms : table.ffn_ms)[jobs[k].table_index] = jobs[k].latency_ms;
  }
  ProfileResult result{layout, {}, {}, {}, {}, static_cast<int>(layer_jobs), 0};
  // Held out: every k-th sampled subnet, decided by position alone (never by its latency).
  const size_t every = std::max<size_t>(2, std::lround(1.0 / std::max(0.01, c.holdout_fraction)));
  for (size_t k = layer_jobs; k < jobs.size(); ++k) {
    const size_t i = k - layer_jobs;
    const SubnetMeasurement m{jobs[k].arch, jobs[k].latency_ms};
    if (i < anchors) result.anchors.push_back(m);
    if (i >= anchors && (i - anchors) % every == every - 1) {
      result.held_out.push_back(m);
    } else {
      result.train.push_back(m);
    }
  }
  result.model = AdditiveLatencyModel::fit(space, env, table, result.train);
  result.holdout = evaluate_holdout(result.model, result.held_out);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace qtnas
