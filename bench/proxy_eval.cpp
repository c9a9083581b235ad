// Benchmark: proxy evaluations per second at the default validation subset (1000 examples), on random archs of
// the default space, with the cores split between candidates (TBB) and LibTorch threads in each way possible.
// The weights are random (speed does not depend on them); token sequences follow WordNet's gloss lengths
// (median 17 tokens with [CLS]).
//   build/bench/bench_proxy_eval [--candidates 16] [--subset 1000]
#include <ATen/Parallel.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "evaluators/parallel.h"
#include "evaluators/proxy_evaluator.h"
#include "supernet/machine.h"

using namespace qtnas;

int main(int argc, char** argv) {
  int candidates = 16;
  size_t subset = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--candidates")) candidates = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--subset")) subset = std::strtoul(argv[i + 1], nullptr, 10);
  }
  set_openblas_single_threaded();
  const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
  torch::manual_seed(0);
  const SpaceConfig config;
  Supernet net(config, 0.0);
  Rng rng(7);
  EncodedSplit split;
  for (size_t i = 0; i < subset; ++i) {
    const size_t length = 6 + rng.uniform(12) + rng.uniform(12) + (rng.bernoulli(0.05) ? rng.uniform(30) : 0);
    std::vector<int> ids = {2};
    for (size_t t = 1; t < std::min<size_t>(length, config.max_seq_len); ++t) ids.push_back(4 + int(rng.uniform(7990)));
    split.ids.push_back(ids);
    split.labels.push_back(int64_t(rng.uniform(config.num_classes)));
  }
  const ProxyEvaluator evaluator(net, split, subset);
  std::vector<Arch> archs;
  for (int i = 0; i < candidates; ++i) archs.push_back(net->space().sample(rng));
  nlohmann::json out = {{"subset", subset}, {"candidates", candidates}, {"cores", cores}};
  for (int inter = 1; inter <= cores; inter *= 2) {
    const Parallelism p{inter, std::max(1, cores / inter)};
    at::set_num_threads(p.intra);
    evaluate_all(evaluator, {archs.front()}, p);  // warm-up
    const auto start = std::chrono::steady_clock::now();
    const auto results = evaluate_all(evaluator, archs, p);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    for (const auto& r : results) {
      if (!r.ok) std::cerr << "failed: " << r.error << "\n";
    }
    out[fmt::format("inter{}_intra{}_evals_per_second", p.inter, p.intra)] = candidates / seconds;
  }
  std::cout << out.dump() << "\n";
  return 0;
}
