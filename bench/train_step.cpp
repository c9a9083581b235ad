// Benchmark: a whole training step of the recipe (the sandwich rule: the largest subnet on the labels, the
// smallest and one random subnet distilled from it; AdamW) and a step of the largest subnet alone, in fp32 and
// under bf16 autocast, interleaved, medians of repetitions. Prints examples per second and the fp32/bf16 ratio.
// bf16 rows run only where the CPU has native bf16 (elsewhere the trainer would not use it).
// --omp N --blas N replace the trainer's thread layout (supernet/machine.h) to compare others. --profile FILE
// records the sandwich rows' operators as a Chrome trace (LibTorch's profiler; its overhead inflates small ops).
//   build/bench/bench_train_step [--batch 32] [--seq 24] [--reps 5] [--threads 2] [--omp N --blas N] [--json]
//                                [--profile FILE]
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "supernet/machine.h"
#include "supernet/trainer.h"

using namespace qtnas;

namespace {

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

double seconds_of(Trainer& trainer, const Batch& batch) {
  const auto start = std::chrono::steady_clock::now();
  trainer.step_on(batch);
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  int batch = 32, seq = 24, reps = 5, threads = 2, omp = 0, blas = 0;
  bool json = false;
  std::string profile;
  for (int i = 1; i < argc; ++i) {
    auto next = [&] { return i + 1 < argc ? std::atoi(argv[++i]) : 0; };
    if (!std::strcmp(argv[i], "--batch")) batch = next();
    else if (!std::strcmp(argv[i], "--seq")) seq = next();
    else if (!std::strcmp(argv[i], "--reps")) reps = next();
    else if (!std::strcmp(argv[i], "--threads")) threads = next();
    else if (!std::strcmp(argv[i], "--omp")) omp = next();
    else if (!std::strcmp(argv[i], "--blas")) blas = next();
    else if (!std::strcmp(argv[i], "--json")) json = true;
    else if (!std::strcmp(argv[i], "--profile") && i + 1 < argc) profile = argv[++i];
    else {
      std::cerr << "usage: bench_train_step [--batch N] [--seq N] [--reps N] [--threads N] [--omp N --blas N] "
                   "[--json] [--profile FILE]\n";
      return 2;
    }
  }
  keep_freed_memory_for_reuse();  // as the qtnas executable does
  // Each row sets the threads its arithmetic gets in `qtnas train` (configure_training_threads) before it runs,
  // unless --omp/--blas fix them for all.
  auto threads_for = [&](bool bf16) {
    configure_training_threads(threads, bf16);
    if (omp > 0) at::set_num_threads(omp);
    if (blas > 0) set_openblas_threads(blas);
  };
  threads_for(false);
  SpaceConfig space;  // the default space: 6 layers, hidden 256, 4 heads, FFN 1024
  space.max_seq_len = std::max(space.max_seq_len, seq);
  Batch b;
  b.ids = torch::randint(4, space.vocab_size, {batch, seq}, torch::kLong);
  b.ids.select(1, 0).fill_(2);
  b.pad = torch::zeros({batch, seq}, torch::kBool);
  b.labels = torch::randint(0, space.num_classes, {batch}, torch::kLong);

  // Rows: (name, bf16, largest alone). A trainer per row, all from the same initial weights.
  struct Row {
    std::string name;
    bool bf16, alone;
    std::unique_ptr<Trainer> trainer;
    std::vector<double> seconds;
  };
  std::vector<Row> rows;
  for (bool bf16 : {false, true}) {
    if (bf16 && !cpu_has_fast_bf16()) continue;
    for (bool alone : {false, true}) {
      TrainConfig config;
      config.steps = 1000000;
      config.batch_size = batch;
      config.bf16_autocast = bf16;
      config.sandwich_start = alone ? 0.999 : 0;
      config.reorder = false;
      torch::manual_seed(0);
      CheckpointMeta meta;
      meta.space = space;
      rows.push_back({fmt::format("{} {}", bf16 ? "bf16" : "fp32", alone ? "largest alone" : "sandwich step"), bf16,
                      alone, std::make_unique<Trainer>(Supernet(space, 0.1), config, meta), {}});
    }
  }
  for (auto& r : rows) {  // warm-up: allocations, kernel selection
    threads_for(r.bf16);
    seconds_of(*r.trainer, b);
  }
  for (int rep = 0; rep < reps; ++rep) {  // interleaved, so that machine noise hits all alike
    for (auto& r : rows) {
      threads_for(r.bf16);
      r.seconds.push_back(seconds_of(*r.trainer, b));
    }
  }
  if (!profile.empty()) {  // the sandwich rows' operators, as a Chrome trace
    torch::autograd::profiler::RecordProfile guard(profile);
    for (auto& r : rows) {
      if (r.alone) continue;
      threads_for(r.bf16);
      for (int rep = 0; rep < reps; ++rep) seconds_of(*r.trainer, b);
    }
  }
  nlohmann::json out = {{"cpu", cpu_model_name()}, {"bf16", bf16_support()}, {"threads", threads},
                        {"omp_threads", omp}, {"blas_threads", blas},
                        {"batch", batch},          {"seq", seq},              {"reps", reps}};
  std::string text = fmt::format("training step, batch {} x {} tokens, {} cores ({}), {} (bf16 {})\n", batch, seq,
                                 threads,
                                 omp > 0 || blas > 0 ? fmt::format("OpenMP {}, OpenBLAS {} threads", omp, blas)
                                                     : std::string("the threads of qtnas train"),
                                 cpu_model_name(), bf16_support());
  for (const auto& r : rows) {
    const double s = median(r.seconds);
    const std::string key = fmt::format("{}_{}", r.bf16 ? "bf16" : "fp32", r.alone ? "largest" : "sandwich");
    out[key + "_step_s"] = s;
    out[key + "_examples_per_s"] = batch / s;
    text += fmt::format("  {:<24} {:.3f} s  {:7.1f} examples/s\n", r.name, s, batch / s);
  }
  if (out.contains("bf16_sandwich_step_s")) {
    out["fp32_over_bf16"] = out["fp32_sandwich_step_s"].get<double>() / out["bf16_sandwich_step_s"].get<double>();
    text += fmt::format("  fp32/bf16 (sandwich) = {:.2f}\n", out["fp32_over_bf16"].get<double>());
  }
  std::cout << (json ? out.dump(2) + "\n" : text);
  return 0;
}
