#include "latency_models/measure.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

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

std::vector<LatencyStats> measure_interleaved(std::vector<torch::jit::Module>& modules, const MeasureConfig& c) {
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
  std::vector<LatencyStats> out;
  for (auto& s : samples) out.push_back(summarize(std::move(s)));
  return out;
}

double speed_factor(const Arch& arch, const std::map<Precision, double>& ratios) {
  auto ratio = [&](Precision p) {
    const auto it = ratios.find(p);
    return it == ratios.end() ? 1.0 : it->second;
  };
  double sum = 0;
  int layers = 0;
  for (const LayerArch& l : arch.layers) {
    if (l.skipped()) continue;
    sum += ratio(l.precision);
    ++layers;
  }
  return layers == 0 ? ratio(Precision::FP32) : sum / layers;
}

LatencyStats measure_in_environment(torch::jit::Module module, const Environment& env, int vocab_size, int rounds,
                                    const std::vector<SpeedReference>& references, const Arch& arch) {
  const int threads = at::get_num_threads();
  at::set_num_threads(env.threads);
  std::vector<torch::jit::Module> modules = {std::move(module)};
  for (const auto& r : references) modules.push_back(r.module);
  MeasureConfig mc;
  mc.batch = env.batch;
  mc.seq = env.seq;
  mc.vocab_size = vocab_size;
  mc.rounds = rounds;
  const std::vector<LatencyStats> measured = measure_interleaved(modules, mc);
  at::set_num_threads(threads);
  std::map<Precision, double> ratios;
  for (size_t k = 0; k < references.size(); ++k) {
    ratios[references[k].precision] = measured[k + 1].latency_ms / references[k].baseline_ms;
  }
  LatencyStats s = measured[0];
  if (!references.empty()) s.speed = speed_factor(arch, ratios);
  for (double* v : {&s.latency_ms, &s.median_ms, &s.min_ms, &s.max_ms, &s.mad_ms}) *v /= s.speed;
  return s;
}

}  // namespace qtnas
