// Benchmark: what token elimination buys in latency. Measures the deployable modules of several archs of one
// supernet interleaved in one process (latency_models/measure.h: warm-up, shuffled rounds, the 10th percentile),
// at each batch size, in `passes` passes; each arch's latency is its lowest over the passes, and its speed-up is
// the first arch's latency over its own.
//   build/bench/bench_token_drop --supernet CKPT --arch A --arch B [--arch ...] [--batch 1,32] [--seq S]
//       [--passes 3] [--threads 2] [--json]
// --seq defaults to the supernet's sequence length. The input has no padding: every example has S tokens, so
// an arch that keeps k% keeps ceil(k% x S) of them.
#include <torch/torch.h>

#include <iostream>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "export/subnet_module.h"
#include "latency_models/measure.h"
#include "space/error.h"
#include "supernet/checkpoint.h"
#include "supernet/machine.h"

using namespace qtnas;

namespace {

std::vector<std::string> flags(int argc, char** argv, const std::string& name) {
  std::vector<std::string> out;
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) out.push_back(argv[i + 1]);
  }
  return out;
}

std::string flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  const auto all = flags(argc, argv, name);
  return all.empty() ? fallback : all.back();
}

}  // namespace

int main(int argc, char** argv) try {
  keep_freed_memory_for_reuse();
  at::set_num_threads(std::stoi(flag(argc, argv, "threads", "2")));
  set_openblas_single_threaded();
  select_quantized_engine();
  bool json = false;
  for (int i = 1; i < argc; ++i) json |= std::string(argv[i]) == "--json";
  LoadedCheckpoint ckpt = load_checkpoint(flag(argc, argv, "supernet", "qtnas_work/supernet.pt"));
  const SpaceConfig& sc = ckpt.net->space().config();
  const std::vector<std::string> texts = flags(argc, argv, "arch");
  QTNAS_CHECK(texts.size() >= 2, "give at least two --arch, the first being the one the others are compared to");
  std::vector<Arch> archs;
  std::vector<torch::jit::Module> modules;
  for (const auto& t : texts) {
    archs.push_back(parse_arch(t));
    modules.push_back(build_subnet_module(ckpt.net, archs.back()));
  }
  const int seq = std::stoi(flag(argc, argv, "seq", std::to_string(sc.max_seq_len)));
  const int passes = std::stoi(flag(argc, argv, "passes", "3"));
  std::vector<int> batches;
  std::stringstream list(flag(argc, argv, "batch", "1,32"));
  for (std::string b; std::getline(list, b, ',');) batches.push_back(std::stoi(b));

  nlohmann::json out = {{"cpu", cpu_model_name()}, {"bf16", bf16_support()}, {"threads", at::get_num_threads()},
                        {"seq", seq}, {"results", nlohmann::json::array()}};
  for (int batch : batches) {
    MeasureConfig mc;
    mc.batch = batch;
    mc.seq = seq;
    mc.vocab_size = sc.vocab_size;
    std::vector<double> best(modules.size(), 1e30);
    for (int pass = 0; pass < passes; ++pass) {
      mc.seed = pass;
      const std::vector<LatencyStats> stats = measure_interleaved(modules, mc);
      for (size_t i = 0; i < modules.size(); ++i) best[i] = std::min(best[i], stats[i].latency_ms);
    }
    for (size_t i = 0; i < modules.size(); ++i) {
      out["results"].push_back({{"arch", texts[i]}, {"batch", batch}, {"latency_ms", best[i]},
                                {"speedup", best[0] / best[i]}});
      if (!json) {
        std::cout << fmt::format("batch {:3d}  {:9.3f} ms  x{:.2f}  {}\n", batch, best[i], best[0] / best[i], texts[i]);
      }
    }
  }
  if (json) std::cout << out.dump(2) << "\n";
  if (!json) std::cout << fmt::format("{} ({}), {} threads, {} tokens an example\n", cpu_model_name(), bf16_support(),
                                      at::get_num_threads(), seq);
  return 0;
} catch (const std::exception& e) {
  std::cerr << "bench_token_drop: " << e.what() << "\n";
  return 2;
}
