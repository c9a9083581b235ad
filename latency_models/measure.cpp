#include "latency_models/measure.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

#include "space/error.h"
#include "space/rng.h"

namespace qtnas {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

LatencyStats summarize(std::vector<double> samples) {
  LatencyStats s;
  if (samples.empty()) return s;
  std::vector<double> sorted = samples;
  std::sort(sorted.begin(), sorted.end());
  s.latency_ms = sorted[sorted.size() / 10];
  const double middle = median(samples);
  std::vector<double> deviations;
  for (double x : samples) deviations.push_back(std::fabs(x - middle));
  const double mad = median(deviations);
  std::vector<double> kept;
  for (double x : samples) {
    if (mad == 0 || std::fabs(x - middle) <= 5 * mad) kept.push_back(x);
  }
  s.median_ms = median(kept);
  s.min_ms = *std::min_element(kept.begin(), kept.end());
  s.max_ms = *std::max_element(kept.begin(), kept.end());
  s.mad_ms = mad;
  s.samples = static_cast<int>(kept.size());
  s.outliers = static_cast<int>(samples.size() - kept.size());
  return s;
}

std::vector<std::vector<double>> time_interleaved(std::vector<torch::jit::Module>& modules, const MeasureConfig& c) {
  torch::InferenceMode inference;
  const torch::Tensor ids = torch::randint(4, c.vocab_size, {c.batch, c.seq}, torch::kLong);
  const torch::Tensor pad = torch::zeros({c.batch, c.seq}, torch::kBool);
  std::vector<c10::IValue> inputs = {ids, pad};
  auto timed_forward = [&](torch::jit::Module& m) {
    const auto start = std::chrono::steady_clock::now();
    m.forward(inputs);
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  // The last warm-up forward tells how slow a module is, hence its number of rounds.
  std::vector<int> rounds(modules.size(), c.rounds);
  std::vector<bool> settle(modules.size(), true);
  for (size_t k = 0; k < modules.size(); ++k) {
    double ms = 0;
    for (int i = 0; i < std::max(1, c.warmup); ++i) ms = timed_forward(modules[k]);
    rounds[k] = std::clamp(static_cast<int>(c.budget_ms / std::max(ms, 1e-3)), std::min(c.min_rounds, c.rounds),
                           c.rounds);
    settle[k] = ms < c.settle_below_ms;
  }
  std::vector<std::vector<double>> samples(modules.size());
  std::vector<size_t> order(modules.size());
  std::iota(order.begin(), order.end(), 0);
  Rng rng(c.seed);
  for (int round = 0; round < c.rounds; ++round) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[rng.uniform(i)]);
    for (size_t k : order) {
      if (round >= rounds[k]) continue;
      if (settle[k]) modules[k].forward(inputs);  // settles this module's state; see measure.h
      samples[k].push_back(timed_forward(modules[k]));
    }
  }
  return samples;
}

std::vector<LatencyStats> measure_interleaved(std::vector<torch::jit::Module>& modules, const MeasureConfig& c) {
  std::vector<LatencyStats> out;
  for (auto& s : time_interleaved(modules, c)) out.push_back(summarize(std::move(s)));
  return out;
}

std::vector<LatencyStats> summarize_against_references(const std::vector<std::vector<double>>& times_ms,
                                                       const std::vector<Arch>& archs, size_t references) {
  QTNAS_CHECK(archs.size() == times_ms.size() && references <= times_ms.size(),
              "{} archs for {} measured modules ({} references)", archs.size(), times_ms.size(), references);
  std::vector<LatencyStats> out;
  std::vector<double> reference_p10;
  for (size_t k = 0; k < references; ++k) {
    out.push_back(summarize(times_ms[k]));
    reference_p10.push_back(out.back().latency_ms);
  }
  size_t rounds = 0;
  for (const auto& t : times_ms) rounds = std::max(rounds, t.size());
  std::vector<std::map<Precision, PrecisionSpeed>> round_speeds(rounds);
  for (size_t round = 0; round < rounds; ++round) {
    for (size_t r = 0; r < references; ++r) {
      const bool timed = round < times_ms[r].size() && reference_p10[r] > 0;
      round_speeds[round][reference_precision(archs[r])] =
          precision_speed(archs[r], reference_p10[r], timed ? times_ms[r][round] : reference_p10[r]);
    }
  }
  for (size_t k = references; k < times_ms.size(); ++k) {
    std::vector<double> corrected;
    for (size_t round = 0; round < times_ms[k].size(); ++round) {
      corrected.push_back(times_ms[k][round] / speed_factor(archs[k], round_speeds[round]));
    }
    LatencyStats s = summarize(corrected);
    s.latency_ms = median(corrected);
    out.push_back(s);
  }
  return out;
}

std::vector<LatencyStats> measure_one_pass(std::vector<torch::jit::Module>& modules, const std::vector<Arch>& archs,
                                           size_t references, const std::string& statistic, const MeasureConfig& c) {
  if (statistic != Environment::kRoundReferenced || references == 0) return measure_interleaved(modules, c);
  return summarize_against_references(time_interleaved(modules, c), archs, references);
}

Precision reference_precision(const Arch& reference) {
  for (const LayerArch& l : reference.layers) {
    if (!l.skipped()) return l.precision;
  }
  return Precision::FP32;
}

PrecisionSpeed precision_speed(const Arch& reference, double baseline_ms, double latency_ms) {
  return {latency_ms / baseline_ms, baseline_ms / std::max(1, reference.active_layers())};
}

double speed_factor(const Arch& arch, const std::map<Precision, PrecisionSpeed>& speeds) {
  double mean_layer_ms = 0;
  for (const auto& [p, s] : speeds) mean_layer_ms += s.layer_ms / speeds.size();
  const PrecisionSpeed unreferenced{1, speeds.empty() ? 1 : mean_layer_ms};
  auto speed = [&](Precision p) {
    const auto it = speeds.find(p);
    return it == speeds.end() ? unreferenced : it->second;
  };
  if (arch.active_layers() == 0) return speed(Precision::FP32).ratio;
  double weighted = 0, weights = 0;
  for (const LayerArch& l : arch.layers) {
    if (l.skipped()) continue;
    const PrecisionSpeed s = speed(l.precision);
    weighted += s.layer_ms * s.ratio;
    weights += s.layer_ms;
  }
  return weighted / weights;
}

ReferencedPass measure_referenced(const std::function<std::vector<LatencyStats>(int pass)>& measure_pass,
                                  const std::vector<double>& baselines_ms, double disturbed_above, int max_passes) {
  ReferencedPass best;
  best.disturbance = std::numeric_limits<double>::infinity();
  for (int pass = 0; pass < std::max(1, max_passes); ++pass) {
    std::vector<LatencyStats> stats = measure_pass(pass);
    double disturbance = 0;
    std::vector<double> reference_ms;
    for (size_t k = 0; k < baselines_ms.size(); ++k) {
      reference_ms.push_back(stats.at(k).latency_ms);
      if (baselines_ms[k] > 0) disturbance = std::max(disturbance, reference_ms[k] / baselines_ms[k]);
    }
    if (disturbance < best.disturbance) {
      best.modules.assign(stats.begin() + baselines_ms.size(), stats.end());
      best.reference_ms = std::move(reference_ms);
      best.disturbance = disturbance;
    }
    best.passes = pass + 1;
    if (disturbance <= disturbed_above) break;
  }
  return best;
}

LatencyStats measure_in_environment(torch::jit::Module module, const Environment& env, int vocab_size, int rounds,
                                    const std::vector<SpeedReference>& references, const Arch& arch) {
  const int threads = at::get_num_threads();
  at::set_num_threads(env.threads);
  std::vector<torch::jit::Module> modules;
  std::vector<Arch> archs;
  std::vector<double> baselines;
  for (const auto& r : references) {
    modules.push_back(r.module);
    archs.push_back(r.arch);
    baselines.push_back(r.baseline_ms);
  }
  modules.push_back(std::move(module));
  archs.push_back(arch);
  MeasureConfig mc;
  mc.batch = env.batch;
  mc.seq = env.seq;
  mc.vocab_size = vocab_size;
  mc.rounds = rounds;
  const ReferencedPass measured = measure_referenced(
      [&](int pass) {
        mc.seed = pass;
        return measure_one_pass(modules, archs, references.size(), env.statistic, mc);
      },
      baselines, mc.disturbed_above, mc.max_passes);  // without references: one pass
  at::set_num_threads(threads);
  std::map<Precision, PrecisionSpeed> speeds;
  for (size_t k = 0; k < references.size(); ++k) {
    const SpeedReference& r = references[k];
    speeds[reference_precision(r.arch)] = precision_speed(r.arch, r.baseline_ms, measured.reference_ms[k]);
  }
  LatencyStats s = measured.modules.at(0);
  if (!references.empty()) s.speed = speed_factor(arch, speeds);
  for (double* v : {&s.latency_ms, &s.median_ms, &s.min_ms, &s.max_ms, &s.mad_ms}) *v /= s.speed;
  return s;
}

}  // namespace qtnas
