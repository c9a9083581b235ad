// Benchmark: LatencyModel::predict_ms calls per second, single thread and from all cores at once.
//   build/bench/bench_predictor [MODEL.json] [--seconds 2] [--json]
// Without a model file it uses a synthetic table of the default space (the speed does not depend on values).
#include <atomic>
#include <chrono>
#include <cstring>
#include <iostream>
#include <thread>

#include <fmt/format.h>

#include "latency_models/latency_model.h"
#include "space/error.h"

using namespace qtnas;

namespace {

AdditiveLatencyModel synthetic_model(const SearchSpace& space) {
  const auto& c = space.config();
  const size_t per = c.precisions.size() * c.sparsity_pct_choices.size();
  LayerTable table{1.0, std::vector<double>(c.max_heads * per, 0.2), std::vector<double>((c.ffn_choices.size() - 1) * per, 0.3)};
  Rng rng(1);
  std::vector<SubnetMeasurement> train;
  for (int i = 0; i < 32; ++i) train.push_back({space.sample(rng), 2.0 + i * 0.1});
  return AdditiveLatencyModel::fit(space, Environment{}, table, train);
}

// Calls per second of predict_ms over a fixed pool of archs, for `seconds`, from `threads` threads.
double calls_per_second(const LatencyModel& model, const std::vector<Arch>& archs, int threads, double seconds) {
  std::atomic<int64_t> calls{0};
  std::atomic<bool> stop{false};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      double sink = 0;
      int64_t n = 0;
      for (size_t i = t; !stop.load(std::memory_order_relaxed); i = (i + 1) % archs.size(), ++n) {
        sink += model.predict_ms(archs[i]);
      }
      calls += n;
      if (sink == -1) std::cout << "";  // keeps the loop from being optimized away
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& th : pool) th.join();
  return calls / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    double seconds = 2;
    bool json = false;
    std::string path;
    for (int i = 1; i < argc; ++i) {
      if (!std::strcmp(argv[i], "--seconds") && i + 1 < argc) seconds = std::atof(argv[++i]);
      else if (!std::strcmp(argv[i], "--json")) json = true;
      else path = argv[i];
    }
    std::unique_ptr<AdditiveLatencyModel> model;
    if (path.empty()) {
      model = std::make_unique<AdditiveLatencyModel>(synthetic_model(SearchSpace(SpaceConfig{})));
    } else {
      model = std::make_unique<AdditiveLatencyModel>(load_latency_model(path));
    }
    const SearchSpace space(model->space());
    Rng rng(7);
    std::vector<Arch> archs;
    for (int i = 0; i < 4096; ++i) archs.push_back(space.sample(rng));
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const double one = calls_per_second(*model, archs, 1, seconds);
    const double all = calls_per_second(*model, archs, cores, seconds);
    if (json) {
      std::cout << nlohmann::json{{"calls_per_second_1_thread", one}, {"calls_per_second_all", all}, {"threads", cores},
                                  {"model", path}}.dump() << "\n";
      return 0;
    }
    std::cout << fmt::format("predict_ms: {:.0f} calls/s on 1 thread, {:.0f} calls/s on {} threads ({})\n", one, all,
                             cores, path.empty() ? "synthetic table, default space" : path);
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bench_predictor: " << e.what() << "\n";
    return 2;
  }
}
