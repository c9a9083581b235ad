// Benchmark: how close the exported subnet comes to this machine's limit. Measures, in one process,
//   1. the peak throughput of one large matmul in INT8 (quantized::linear_dynamic, the op of qtnas's INT8 layers,
//      per-channel weights on the onednn engine), BF16 (torch.matmul on bf16 tensors) and FP32 (the faster of
//      OpenBLAS and oneDNN), in GOP/s;
//   2. the throughput of the deployable module of one arch (its layers set to INT8, BF16 and FP32 in turn) at
//      batch B and seq S: the arch's multiply-adds x 2 over its measured latency (latency_models/measure.h).
//   build/bench/bench_peak --supernet qtnas_work/supernet.pt --arch ARCH [--batch 32] [--seq 64] [--threads 2]
//       [--json]
// ARCH's precisions are ignored (each precision is measured). Op counts include the attention matmuls.
#include <torch/torch.h>

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>

#include <chrono>
#include <iostream>
#include <map>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "export/subnet_module.h"
#include "latency_models/measure.h"
#include "supernet/checkpoint.h"
#include "supernet/machine.h"

using namespace qtnas;

namespace {

// Operations (2 x multiply-adds) of one forward of `arch` on `batch` x `seq` tokens.
double arch_ops(const SpaceConfig& c, const Arch& arch, int batch, int seq) {
  const double tokens = double(batch) * seq, hidden = c.hidden;
  double macs = 0;
  for (const LayerArch& l : arch.layers) {
    if (l.heads > 0) {
      const double inner = double(l.heads) * c.head_dim;
      macs += tokens * hidden * 3 * inner + tokens * inner * hidden;  // qkv and out projections
      macs += 2.0 * batch * l.heads * double(seq) * seq * c.head_dim;  // q k^T and attention x v
    }
    if (l.ffn > 0) macs += 2 * tokens * hidden * l.ffn;
  }
  macs += double(batch) * hidden * c.num_classes;
  return 2 * macs;
}

// The best of up to `reps` timings of fn (at least 2, fewer once 2 s are spent), in seconds.
template <typename Fn>
double best_seconds(Fn&& fn, int reps) {
  fn();
  double best = 1e30, spent = 0;
  for (int i = 0; i < reps && (i < 2 || spent < 2.0); ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    best = std::min(best, s);
    spent += s;
  }
  return best;
}

using PackedLinear = c10::intrusive_ptr<LinearPackedParamsBase>;

// GOP/s of [m, k] x [k, n] in each precision.
std::map<std::string, double> matmul_peaks(int64_t m, int64_t k, int64_t n, int reps) {
  torch::InferenceMode guard;
  const torch::Tensor a = torch::randn({m, k}), w = torch::randn({n, k}) * 0.05, bias = torch::zeros({n});
  const double ops = 2.0 * double(m) * double(k) * double(n);
  std::map<std::string, double> out;
  // FP32: the faster of the two paths the exported module takes (export/subnet_module.cpp): OpenBLAS and oneDNN.
  const torch::Tensor w_onednn = w.to_mkldnn(), bias_onednn = bias.to_mkldnn();
  out["fp32"] = ops / std::min(best_seconds([&] { torch::linear(a, w, bias); }, reps),
                               best_seconds([&] { at::mkldnn_linear(a.to_mkldnn(), w_onednn, bias_onednn).to_dense(); },
                                            reps)) /
                1e9;
  const torch::Tensor a16 = a.to(torch::kBFloat16), w16 = w.t().contiguous().to(torch::kBFloat16);
  out["bf16"] = ops / best_seconds([&] { torch::matmul(a16, w16); }, reps) / 1e9;
  static auto prepack = c10::Dispatcher::singleton()
                            .findSchemaOrThrow("quantized::linear_prepack", "")
                            .typed<PackedLinear(at::Tensor, c10::optional<at::Tensor>)>();
  static auto linear = c10::Dispatcher::singleton()
                           .findSchemaOrThrow("quantized::linear_dynamic", "")
                           .typed<at::Tensor(at::Tensor, const PackedLinear&, bool)>();
  const torch::Tensor scales = w.abs().amax(1).div(127).to(torch::kDouble);
  const torch::Tensor wq = torch::quantize_per_channel(w, scales, torch::zeros({n}, torch::kLong), 0, torch::kQInt8);
  const PackedLinear packed = prepack.call(wq, bias);
  out["int8"] = ops / best_seconds([&] { linear.call(a, packed, true); }, reps) / 1e9;
  return out;
}

Arch with_precision(Arch arch, Precision p) {
  for (auto& l : arch.layers) {
    if (!l.skipped()) l.precision = p;
  }
  return arch;
}

std::string flag(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == "--" + name) return argv[i + 1];
  }
  return fallback;
}

}  // namespace

int main(int argc, char** argv) try {
  keep_freed_memory_for_reuse();
  const std::string supernet = flag(argc, argv, "supernet", "qtnas_work/supernet.pt");
  const int batch = std::stoi(flag(argc, argv, "batch", "32")), seq = std::stoi(flag(argc, argv, "seq", "64"));
  at::set_num_threads(std::stoi(flag(argc, argv, "threads", "2")));
  set_openblas_single_threaded();
  select_quantized_engine();
  bool json = false;
  for (int i = 1; i < argc; ++i) json |= std::string(argv[i]) == "--json";

  LoadedCheckpoint ckpt = load_checkpoint(supernet);
  const SpaceConfig& sc = ckpt.net->space().config();
  const Arch arch = parse_arch(flag(argc, argv, "arch", to_string(ckpt.net->space().largest())));
  ckpt.net->space().validate(arch);
  const double ops = arch_ops(sc, arch, batch, seq);

  // The matmul shapes of the subnet's largest linear at this batch: tokens x hidden -> max FFN width, and a
  // larger square one; the peak is the best of the two.
  std::map<std::string, double> peak;
  for (const auto& [k, n] : {std::pair<int64_t, int64_t>{sc.hidden, sc.ffn_choices.back()}, {2048, 2048}}) {
    for (const auto& [p, gops] : matmul_peaks(int64_t(batch) * seq, k, n, 5)) peak[p] = std::max(peak[p], gops);
  }

  std::vector<torch::jit::Module> modules;
  const std::vector<Precision> precisions = {Precision::INT8, Precision::BF16, Precision::FP32};
  for (Precision p : precisions) modules.push_back(build_subnet_module(ckpt.net, with_precision(arch, p)));
  MeasureConfig mc;
  mc.batch = batch;
  mc.seq = seq;
  mc.vocab_size = sc.vocab_size;
  mc.min_rounds = 3;  // the BF16 module takes seconds a forward at batch 32; the peaks above are best-of timings too
  mc.warmup = 1;
  const std::vector<LatencyStats> stats = measure_interleaved(modules, mc);

  nlohmann::json out = {{"arch", to_string(arch)}, {"batch", batch}, {"seq", seq}, {"threads", at::get_num_threads()},
                        {"gop_per_forward", ops / 1e9}};
  for (size_t i = 0; i < precisions.size(); ++i) {
    const std::string p = to_string(precisions[i]);
    const double gops = ops / (stats[i].latency_ms / 1e3) / 1e9;
    out[p] = {{"latency_ms", stats[i].latency_ms}, {"subnet_gops", gops}, {"matmul_peak_gops", peak[p]},
              {"fraction_of_peak", gops / peak[p]}};
  }
  if (json) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("arch {} at batch {}, seq {}: {:.2f} GOP per forward\n", to_string(arch), batch, seq,
                           ops / 1e9);
  for (Precision p : precisions) {
    const auto& r = out[to_string(p)];
    std::cout << fmt::format("  {:<5} {:9.3f} ms  {:7.1f} GOP/s  matmul peak {:7.1f} GOP/s  ({:.0f}% of peak)\n",
                             to_string(p), r["latency_ms"].get<double>(), r["subnet_gops"].get<double>(),
                             r["matmul_peak_gops"].get<double>(), 100 * r["fraction_of_peak"].get<double>());
  }
  return 0;
} catch (const std::exception& e) {
  std::cerr << "error: " << e.what() << "\n";
  return 2;
}
