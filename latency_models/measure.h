// Latency measurement that holds on a noisy shared machine: warm-up, repetitions interleaved across the
// modules being compared (so a burst of noise hits all alike), medians, and outliers beyond 5 median absolute
// deviations dropped before the statistics. Each timed forward directly follows an untimed forward of the same
// module: a deployed module runs again and again, and without this a light module timed right after a heavy
// one pays for the heavy one's state (measured here: 13.7 ms instead of 1.1 ms after a bf16 model).
#pragma once

#include <torch/script.h>

#include <vector>

namespace qtnas {

struct MeasureConfig {
  int batch = 1;
  int seq = 64;
  int vocab_size = 8000;  // token ids are drawn from [4, vocab_size), past the special ids
  int warmup = 2;   // untimed forwards per module before the first round
  int rounds = 7;   // timed forwards per module, one per round (after an untimed one), modules shuffled per round
  uint64_t seed = 0;
};

struct LatencyStats {
  double median_ms = 0, min_ms = 0, max_ms = 0, mad_ms = 0;
  int samples = 0;   // timed forwards kept
  int outliers = 0;  // dropped
};

// Robust statistics of raw samples (milliseconds).
LatencyStats summarize(std::vector<double> samples_ms);

// Times forward(ids, pad) of every module on the same input: `batch` examples of `seq` tokens, no padding
// (the worst case a deployment meets). Runs under InferenceMode with the current LibTorch threads.
std::vector<LatencyStats> measure_interleaved(std::vector<torch::jit::Module>& modules, const MeasureConfig& config);

}  // namespace qtnas
