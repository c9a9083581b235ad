#include "latency_models/profiler.h"

#include <algorithm>
#include <cmath>
#include <chrono>
#include <filesystem>
#include <map>
#include <set>

#include "export/subnet_module.h"
#include "space/error.h"
#include "space/hash.h"

namespace qtnas {
namespace {

struct Job {
  MeasurementKind kind;  // Attention, Ffn or Subnet
  Arch arch;
};

// The largest arch in each precision and the smallest: always measured, never held out.
std::vector<Arch> anchor_archs(const SearchSpace& space) {
  std::vector<Arch> out;
  for (Precision p : space.config().precisions) out.push_back(space.largest(p));
  out.push_back(space.smallest());
  return out;
}

// Subnets that cover the space: anchors, then samples of which half are forced to one precision throughout.
std::vector<Job> subnet_jobs(const SearchSpace& space, int count, uint64_t seed) {
  std::vector<Job> jobs;
  std::set<uint64_t> seen;
  auto add = [&](const Arch& a) {
    if (seen.insert(arch_id(a)).second) jobs.push_back({MeasurementKind::Subnet, a});
  };
  for (const Arch& a : anchor_archs(space)) add(a);
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

// The block a layer-kind measurement is of, and the tokens it ran on: its arch's last layer that runs.
const LayerArch& measured_block(const Arch& arch) {
  for (size_t i = arch.layers.size(); i-- > 0;) {
    if (!arch.layers[i].skipped()) return arch.layers[i];
  }
  QTNAS_FAIL("a layer-kind measurement without a layer");
}

// One block of each kind over the base model of each keep: jobs[k] for keep_pct_choices[k].
std::vector<std::vector<Job>> layer_jobs(const SpaceConfig& sc) {
  std::vector<std::vector<Job>> jobs;
  for (int keep : sc.keep_pct_choices) {
    jobs.emplace_back();
    for (Precision p : sc.precisions) {
      for (int s : sc.sparsity_pct_choices) {
        for (int h = 1; h <= sc.max_heads; ++h) {
          jobs.back().push_back({MeasurementKind::Attention, layer_kind_arch(sc, {h, 0, s, p}, keep)});
        }
        for (int f : sc.ffn_choices) {
          if (f > 0) jobs.back().push_back({MeasurementKind::Ffn, layer_kind_arch(sc, {0, f, s, p}, keep)});
        }
      }
    }
  }
  return jobs;
}

}  // namespace

std::vector<Arch> speed_reference_archs(const SearchSpace& space) {
  const SpaceConfig& sc = space.config();
  std::vector<int> widths;
  for (int f : sc.ffn_choices) {
    if (f > 0) widths.push_back(f);
  }
  const int heads = std::max(1, sc.max_heads / 2), ffn = widths.empty() ? 0 : widths[(widths.size() - 1) / 2];
  std::vector<Arch> out;
  for (Precision p : sc.precisions) {
    if (p == Precision::BF16) {  // one layer, one head, the narrowest FFN
      Arch a{std::vector<LayerArch>(sc.layers)};
      a.layers[0] = {1, widths.empty() ? 0 : widths[0], 0, p};
      out.push_back(a);
    } else {
      out.push_back(Arch{std::vector<LayerArch>(sc.layers, LayerArch{heads, ffn, 0, p})});
    }
  }
  for (const Arch& a : out) space.validate(a);
  return out;
}

std::vector<SpeedReference> build_speed_references(Supernet& net, const std::vector<SubnetMeasurement>& references) {
  std::vector<SpeedReference> out;
  for (const auto& r : references) out.push_back({build_subnet_module(net, r.arch), r.arch, r.latency_ms});
  return out;
}

namespace {

// Speed correction: the references' baselines (arch -> median latency), their ratios to them in each group, and
// every latency in `rows` divided by its arch's speed factor in its group. Only this space's reference archs
// count. Returns the baselines.
std::map<std::string, double> correct_for_speed(const SearchSpace& space, const Environment& env,
                                                MeasurementStore& store, std::vector<MeasurementStore::Row>& rows) {
  std::map<std::string, std::vector<double>> reference_ms;
  for (const Arch& a : speed_reference_archs(space)) reference_ms[to_string(a)];
  const std::vector<MeasurementStore::Reference> measured_references = store.references(env, space.hash_hex());
  for (const auto& r : measured_references) {
    const auto it = reference_ms.find(to_string(r.arch));
    if (it != reference_ms.end()) it->second.push_back(r.latency_ms);
  }
  std::map<std::string, double> baseline_ms;
  for (const auto& [arch, ms] : reference_ms) {
    if (!ms.empty()) baseline_ms[arch] = median(ms);
  }
  std::map<int64_t, std::map<Precision, PrecisionSpeed>> speeds;  // group -> precision -> speed
  for (const auto& r : measured_references) {
    const auto it = baseline_ms.find(to_string(r.arch));
    if (it != baseline_ms.end()) {
      speeds[r.group][reference_precision(r.arch)] = precision_speed(r.arch, it->second, r.latency_ms);
    }
  }
  for (auto& r : rows) {
    const auto it = speeds.find(r.group);
    if (it != speeds.end()) r.latency_ms /= speed_factor(r.arch, it->second);
  }
  return baseline_ms;
}

// The measurements sorted out: the per-layer table (medians of each runtime-equivalent block kind, minus its
// group's empty module) and each whole subnet's latencies.
struct SortedMeasurements {
  LayerTable table;
  std::map<std::string, std::vector<double>> subnet_ms;
  std::vector<std::string> subnet_order;  // first-measured order, for a stable report
  int layer_kinds = 0;
};

SortedMeasurements sort_measurements(const SearchSpace& space, const Environment& env,
                                     const AdditiveLatencyModel& layout, LayerTable table,
                                     const std::vector<MeasurementStore::Row>& rows) {
  const SpaceConfig& sc = space.config();
  // Costs of each runtime-equivalent kind: (attention?, heads or width, precision) -> block latencies.
  std::map<std::tuple<bool, int, Precision, int>, std::vector<double>> kinds;  // ... and keep
  std::vector<double> empty_ms;
  SortedMeasurements out;
  std::set<std::string> layer_kinds;
  double group_base_ms = -1;  // the group's base model (layer_kind_base)
  for (const auto& r : rows) {
    if (r.kind == MeasurementKind::Empty) {
      group_base_ms = r.latency_ms;
      if (r.arch.layers.empty()) empty_ms.push_back(r.latency_ms);
    } else if (r.kind == MeasurementKind::Subnet) {
      const std::string key = to_string(r.arch);
      if (out.subnet_ms[key].empty()) out.subnet_order.push_back(key);
      out.subnet_ms[key].push_back(r.latency_ms);
    } else if (group_base_ms >= 0) {
      layer_kinds.insert(to_string(r.kind) + to_string(r.arch));
      const LayerArch& l = measured_block(r.arch);
      const bool attention = r.kind == MeasurementKind::Attention;
      kinds[{attention, attention ? l.heads : l.ffn, l.precision, l.keep_pct}].push_back(r.latency_ms - group_base_ms);
    }
  }
  QTNAS_CHECK(!empty_ms.empty(), "the latency database has no measurements for {}; run qtnas profile",
              to_json(env).dump());
  table.empty_ms = median(empty_ms);
  for (Precision p : sc.precisions) {
    for (int s : sc.sparsity_pct_choices) {
      for (int k : sc.keep_pct_choices) {
        for (int h = 1; h <= sc.max_heads; ++h) {
          const auto it = kinds.find({true, h, p, k});
          QTNAS_CHECK(it != kinds.end(), "the latency database lacks attention blocks of {} heads in {} at keep {}%",
                      h, to_string(p), k);
          table.attention_ms[layout.attention_index(h, p, s, k)] = median(it->second);
        }
        for (int f : sc.ffn_choices) {
          if (f == 0) continue;
          const auto it = kinds.find({false, f, p, k});
          QTNAS_CHECK(it != kinds.end(), "the latency database lacks FFN blocks of width {} in {} at keep {}%", f,
                      to_string(p), k);
          table.ffn_ms[layout.ffn_index(f, p, s, k)] = median(it->second);
        }
      }
    }
  }
  out.table = std::move(table);
  out.layer_kinds = static_cast<int>(layer_kinds.size());
  return out;
}

// A subnet's latency from its measurements: their median under "round-ref" (each a median of per-round ratios,
// off either way), their lowest under the other statistics (10th percentiles, which a slow spell raises and
// nothing lowers).
double subnet_latency(const std::vector<double>& ms, const std::string& statistic) {
  return statistic == Environment::kRoundReferenced ? median(ms) : *std::min_element(ms.begin(), ms.end());
}

}  // namespace

ProfileResult fit_from_store(const SearchSpace& space, const Environment& env, MeasurementStore& store,
                             double holdout_fraction, const std::vector<SubnetMeasurement>& extra_train) {
  const SpaceConfig& sc = space.config();
  std::vector<MeasurementStore::Row> rows = store.rows(env, space.hash_hex());
  const std::map<std::string, double> baseline_ms = correct_for_speed(space, env, store, rows);
  const LayerTable zeros{0, std::vector<double>(AdditiveLatencyModel::attention_entries(sc)),
                         std::vector<double>(AdditiveLatencyModel::ffn_entries(sc))};
  const AdditiveLatencyModel layout = AdditiveLatencyModel::table_only(space, env, zeros);
  const SortedMeasurements sorted = sort_measurements(space, env, layout, zeros, rows);

  // Each subnet's latency from its measurements; anchors always fitted, the others held out by a hash of their id.
  ProfileResult result{layout, {}, {}, {}, {}, sorted.layer_kinds};
  std::set<std::string> anchors;
  for (const Arch& a : anchor_archs(space)) anchors.insert(to_string(a));
  const uint64_t held = static_cast<uint64_t>(std::lround(1000 * holdout_fraction));
  for (const std::string& key : sorted.subnet_order) {
    const std::vector<double>& ms = sorted.subnet_ms.at(key);
    const SubnetMeasurement m{parse_arch(key), subnet_latency(ms, env.statistic)};
    if (anchors.count(key)) {
      result.anchors.push_back(m);
      result.train.push_back(m);
    } else {
      (arch_id(m.arch) % 1000 < held ? result.held_out : result.train).push_back(m);
    }
  }
  result.train.insert(result.train.end(), extra_train.begin(), extra_train.end());
  QTNAS_CHECK(result.train.size() >= size_t(AdditiveLatencyModel::feature_count(sc)),
              "the latency database has {} subnets to fit on; at least {} are needed", result.train.size(),
              AdditiveLatencyModel::feature_count(sc));
  result.model = AdditiveLatencyModel::fit(space, env, sorted.table, result.train);
  std::vector<SubnetMeasurement> baselines;
  for (const auto& [arch, ms] : baseline_ms) baselines.push_back({parse_arch(arch), ms});
  result.model.set_references(std::move(baselines));
  result.holdout = evaluate_holdout(result.model, result.held_out);
  FitRecord record;
  record.measurement_db = std::filesystem::absolute(store.path()).string();
  record.holdout = result.holdout;
  record.measured = FitRecord::Measured{int(sorted.subnet_order.size()), result.layer_kinds, 0};
  result.model.set_fit_record(std::move(record));
  return result;
}

ProfileResult profile(Supernet& net, const ProfileConfig& c, MeasurementStore& store,
                      const std::function<void(int, int)>& progress) {
  const auto start = std::chrono::steady_clock::now();
  const SearchSpace& space = net->space();
  const SpaceConfig& sc = space.config();
  const Environment env = current_environment(c.measure.batch, c.measure.seq);
  const std::string space_hash = space.hash_hex();
  const int features = AdditiveLatencyModel::feature_count(sc);
  QTNAS_CHECK(c.subnets >= 2 * features, "profiling needs at least {} subnets, got {}", 2 * features, c.subnets);
  QTNAS_CHECK(sc.keep_pct_choices.size() == 1 || sc.layers >= 2,
              "profiling keep choices needs at least 2 layers: a block runs on fewer tokens after the layer that drops");

  // Groups of jobs over the same base model: those of each keep, the subnets with keep 100's. Layer kinds and
  // subnets in a random order: a slow spell of the machine then spreads over all kinds instead of inflating one
  // precision's whole table. A subnet's further measurements go to groups of subnets alone, so that no group
  // holds one subnet twice and each measurement is taken at another moment.
  const int group = std::max(1, c.group - 1);
  std::vector<std::vector<Job>> by_keep = layer_jobs(sc);
  const std::vector<Job> subnets = subnet_jobs(space, c.subnets, c.seed);
  by_keep.back().insert(by_keep.back().end(), subnets.begin(), subnets.end());  // keep 100 is last
  Rng rng(c.seed ^ 0x5eedULL);
  struct Group {
    int keep_pct;
    std::vector<Job> jobs;
  };
  std::vector<Group> planned;
  auto plan = [&](int keep_pct, std::vector<Job> jobs) {
    for (size_t i = jobs.size(); i > 1; --i) std::swap(jobs[i - 1], jobs[rng.uniform(i)]);
    for (size_t begin = 0; begin < jobs.size(); begin += group) {
      planned.push_back({keep_pct, {jobs.begin() + begin, jobs.begin() + std::min(jobs.size(), begin + group)}});
    }
  };
  for (size_t k = 0; k < by_keep.size(); ++k) plan(sc.keep_pct_choices[k], std::move(by_keep[k]));
  for (int r = 1; r < c.subnet_repeats; ++r) plan(100, subnets);
  for (size_t i = planned.size(); i > 1; --i) std::swap(planned[i - 1], planned[rng.uniform(i)]);

  // Each group is measured interleaved with the speed references and the empty model, and layer costs are
  // taken against the empty model of their own group, so slow drifts of the machine cancel (each forward is
  // divided by its round's speed, measure.h "round-ref", and the fit divides by each arch's speed factor in its
  // group too). A group whose references ran more than `disturbed_above` over
  // their typical latencies (the medians of the store's and this profile's so far) is measured again, up to
  // `max_passes` in all (measure.h). The first group runs a short untimed pass before: the first forwards of a
  // process pay for allocation and caches.
  const Arch empty{std::vector<LayerArch>(sc.layers)};
  const std::vector<Arch> references = speed_reference_archs(space);
  std::vector<torch::jit::Module> reference_modules;
  std::vector<std::vector<double>> reference_ms(references.size());
  for (const Arch& a : references) reference_modules.push_back(build_subnet_module(net, a));
  for (const auto& r : store.references(env, space_hash)) {
    for (size_t k = 0; k < references.size(); ++k) {
      if (r.arch == references[k]) reference_ms[k].push_back(r.latency_ms);
    }
  }
  const int groups = static_cast<int>(planned.size());
  int passes = 0;
  for (int g = 0; g < groups; ++g) {
    const std::vector<Job>& jobs = planned[g].jobs;
    const Arch base = layer_kind_base(sc, planned[g].keep_pct);
    std::vector<torch::jit::Module> modules = reference_modules;
    std::vector<Arch> archs = references;
    const bool base_is_empty = base.layers.empty();
    const Arch& group_base = base_is_empty ? empty : base;
    modules.push_back(build_subnet_module(net, group_base, /*allow_empty=*/base_is_empty));
    archs.push_back(group_base);
    for (const Job& job : jobs) {
      modules.push_back(build_subnet_module(net, job.arch));
      archs.push_back(job.arch);
    }
    MeasureConfig mc = c.measure;
    mc.vocab_size = sc.vocab_size;
    if (g == 0) {  // warms the process up: its warm-up forwards and one round, not timed
      MeasureConfig warm = mc;
      warm.rounds = 1;
      measure_interleaved(modules, warm);
    }
    std::vector<double> baselines;
    for (const auto& ms : reference_ms) baselines.push_back(median(ms));
    const ReferencedPass measured = measure_referenced(
        [&](int pass) {
          mc.seed = c.seed + 1000 * pass + g;
          return measure_one_pass(modules, archs, references.size(), env.statistic, mc);
        },
        baselines, mc.disturbed_above, mc.max_passes);
    passes += measured.passes;
    const int64_t id = store.new_group();
    for (size_t k = 0; k < references.size(); ++k) {
      store.add_reference(env, space_hash, id, references[k], measured.reference_ms[k]);
      reference_ms[k].push_back(measured.reference_ms[k]);
    }
    store.add(env, space_hash, MeasurementKind::Empty, base, measured.modules[0], id);
    for (size_t k = 0; k < jobs.size(); ++k) store.add(env, space_hash, jobs[k].kind, jobs[k].arch, measured.modules[1 + k], id);
    if (progress) progress(g + 1, groups);
  }

  ProfileResult result = fit_from_store(space, env, store, c.holdout_fraction);
  result.groups = groups;
  result.passes = passes;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

nlohmann::json profile_report(const ProfileResult& r) {
  nlohmann::json anchors = nlohmann::json::array();
  for (const auto& a : r.anchors) {
    anchors.push_back({{"arch", to_string(a.arch)}, {"measured_ms", a.latency_ms},
                       {"predicted_ms", r.model.predict_ms(a.arch)}});
  }
  nlohmann::json held_out = nlohmann::json::array();
  for (const auto& m : r.held_out) {
    const double predicted = r.model.predict_ms(m.arch);
    held_out.push_back({{"arch", to_string(m.arch)}, {"measured_ms", m.latency_ms}, {"predicted_ms", predicted},
                        {"error", predicted / m.latency_ms - 1}});
  }
  std::sort(held_out.begin(), held_out.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return std::abs(a["error"].get<double>()) > std::abs(b["error"].get<double>());
  });
  return {{"environment", to_json(r.model.environment())},
          {"holdout", to_json(r.holdout)},
          {"subnets_measured", r.train.size() + r.held_out.size()},
          {"layer_kinds_measured", r.layer_kinds},
          {"seconds", r.seconds},
          {"groups", r.groups},
          {"passes", r.passes},
          {"anchors", anchors},
          {"held_out", held_out}};
}

std::string describe_profile_report(const nlohmann::json& report) {
  const auto& holdout = report["holdout"];
  const auto& env = report["environment"];
  std::string out = fmt::format("batch {} seq {} threads {}: {} subnets and {} layer kinds in the database; {:.0f} s\n",
                                env["batch"].get<int>(), env["seq"].get<int>(), env["threads"].get<int>(),
                                report["subnets_measured"].get<size_t>(), report["layer_kinds_measured"].get<int>(),
                                report["seconds"].get<double>());
  if (report["groups"].get<int>() > 0) {
    out += fmt::format("{} groups of modules measured in {} passes (a group is measured again while its speed "
                       "references show the machine disturbed)\n",
                       report["groups"].get<int>(), report["passes"].get<int>());
  }
  out += fmt::format("holdout ({} subnets never fitted): {:.1f}% within +-10%, MAPE {:.2f}%, Kendall tau {:.3f}\n",
                     holdout["n"].get<int>(), 100 * holdout["within_10pct"].get<double>(),
                     100 * holdout["mape"].get<double>(), holdout["kendall_tau"].get<double>());
  for (const auto& a : report["anchors"]) {
    out += fmt::format("  measured {:9.3f} ms  predicted {:9.3f} ms  {}\n", a["measured_ms"].get<double>(),
                       a["predicted_ms"].get<double>(), a["arch"].get<std::string>());
  }
  const auto& misses = report["held_out"];
  for (size_t k = 0; k < std::min<size_t>(3, misses.size()); ++k) {
    out += fmt::format("  worst held-out miss {:+6.1f}%: measured {:.3f} ms  {}\n",
                       100 * misses[k]["error"].get<double>(), misses[k]["measured_ms"].get<double>(),
                       misses[k]["arch"].get<std::string>());
  }
  return out + "latency model: " + report["model"].get<std::string>() + "\n";
}

void check_profile_config(const ProfileConfig& config, const SpaceConfig& space) {
  const MeasureConfig& m = config.measure;
  QTNAS_CHECK(m.batch >= 1, "--batch must be positive, got {}", m.batch);
  QTNAS_CHECK(m.seq >= 1 && m.seq <= space.max_seq_len, "--seq must be in 1..{}, got {}", space.max_seq_len, m.seq);
  QTNAS_CHECK(m.rounds >= 3, "--rounds must be at least 3, got {}", m.rounds);
  QTNAS_CHECK(m.min_rounds >= 1, "--min-rounds must be positive, got {}", m.min_rounds);
  QTNAS_CHECK(config.subnet_repeats >= 1, "--subnet-repeats must be positive, got {}", config.subnet_repeats);
}

std::string default_latency_model_path(const std::string& db_path, const MeasureConfig& measure, int threads) {
  return fmt::format("{}.b{}.s{}.t{}.json", db_path, measure.batch, measure.seq, threads);
}

}  // namespace qtnas
