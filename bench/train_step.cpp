// Benchmark: the supernet's training step (largest subnet, forward + backward + AdamW) in fp32 and under bf16
// autocast, interleaved, medians of repetitions. Prints the fp32/bf16 time ratio and examples per second.
//   build/bench/bench_train_step [--batch 64] [--seq 64] [--reps 3] [--threads 2] [--json]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "supernet/autocast.h"
#include "supernet/machine.h"
#include "supernet/supernet.h"

using namespace qtnas;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

double step_seconds(Supernet& net, torch::optim::AdamW& opt, const torch::Tensor& ids, const torch::Tensor& pad,
                    const torch::Tensor& labels, const Arch& arch, bool bf16) {
  const auto start = std::chrono::steady_clock::now();
  {
    CpuAutocast autocast(bf16);
    torch::nn::functional::cross_entropy(net->forward(ids, pad, arch).to(torch::kFloat), labels).backward();
  }
  opt.step();
  opt.zero_grad();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int batch = 64, seq = 64, reps = 3, threads = 2;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (!std::strcmp(argv[i], "--batch")) batch = next();
    else if (!std::strcmp(argv[i], "--seq")) seq = next();
    else if (!std::strcmp(argv[i], "--reps")) reps = next();
    else if (!std::strcmp(argv[i], "--threads")) threads = next();
    else if (!std::strcmp(argv[i], "--json")) json = true;
    else {
      std::cerr << "usage: bench_train_step [--batch N] [--seq N] [--reps N] [--threads N] [--json]\n";
      return 2;
    }
  }
  at::set_num_threads(threads);
  torch::manual_seed(0);
  SpaceConfig space;  // the default space: 6 layers, hidden 256, 4 heads, FFN 1024
  space.max_seq_len = std::max(space.max_seq_len, seq);
  Supernet net(space, 0.1);
  net->train();
  torch::optim::AdamW opt(net->parameters(), torch::optim::AdamWOptions(1e-4));
  const torch::Tensor ids = torch::randint(4, space.vocab_size, {batch, seq}, torch::kLong);
  const torch::Tensor pad = torch::zeros({batch, seq}, torch::kBool);
  const torch::Tensor labels = torch::randint(0, space.num_classes, {batch}, torch::kLong);
  const Arch arch = net->space().largest();

  step_seconds(net, opt, ids, pad, labels, arch, false);  // warm-up: allocations, kernel selection
  step_seconds(net, opt, ids, pad, labels, arch, true);
  std::vector<double> fp32, bf16;
  for (int r = 0; r < reps; ++r) {  // interleaved, so that machine noise hits both alike
    fp32.push_back(step_seconds(net, opt, ids, pad, labels, arch, false));
    bf16.push_back(step_seconds(net, opt, ids, pad, labels, arch, true));
  }
  const double f = median(fp32), b = median(bf16);
  const nlohmann::json out = {
      {"cpu", cpu_model_name()},   {"native_bf16", cpu_has_fast_bf16()}, {"threads", threads},
      {"batch", batch},            {"seq", seq},                         {"reps", reps},
      {"fp32_step_s", f},          {"bf16_step_s", b},                   {"fp32_over_bf16", f / b},
      {"fp32_min_max_s", {*std::min_element(fp32.begin(), fp32.end()), *std::max_element(fp32.begin(), fp32.end())}},
      {"bf16_min_max_s", {*std::min_element(bf16.begin(), bf16.end()), *std::max_element(bf16.begin(), bf16.end())}},
      {"fp32_examples_per_s", batch / f}, {"bf16_examples_per_s", batch / b}};
  if (json) {
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << fmt::format(
        "training step, largest subnet, batch {} x {} tokens, {} threads, {} (native bf16: {})\n"
        "  fp32 {:.3f} s ({:.1f} examples/s)\n  bf16 autocast {:.3f} s ({:.1f} examples/s)\n  fp32/bf16 = {:.2f}\n",
        batch, seq, threads, cpu_model_name(), cpu_has_fast_bf16() ? "yes" : "no", f, batch / f, b, batch / b, f / b);
  }
  return 0;
}
