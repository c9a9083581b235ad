// Latency measurement that holds on a noisy shared machine: warm-up, repetitions interleaved across the
// modules being compared (so a burst of noise hits all alike), and a low percentile as the latency.
//
// Why the 10th percentile and not the median: on this 2-vCPU VM, with 2 LibTorch threads, forwards come in
// spells of 0.1-0.5 s, several times a second, during which every forward takes ~7 ms longer (a thread waits
// at a barrier for a vCPU that is not running). Measured on one INT8 subnet (1.1 ms), the median of 15 rounds
// varied by 100% (cv) between repeated passes, the 10th percentile of 31 rounds by 1.7%. The noise only ever
// adds time, so the low percentile is the latency of the module itself; the median is still recorded.
//
// Each timed forward of a light module directly follows an untimed forward of the same module: a deployed
// module runs again and again, and without this a light module timed right after a heavy one pays for the
// heavy one's state (measured here: 13.7 ms instead of 1.1 ms after a bf16 model).
#pragma once

#include <torch/script.h>

#include <vector>

#include "latency_models/environment.h"

namespace qtnas {

struct MeasureConfig {
  int batch = 1;
  int seq = 64;
  int vocab_size = 8000;  // token ids are drawn from [4, vocab_size), past the special ids
  int warmup = 2;  // untimed forwards per module before the first round
  // Timed forwards per module, one per round, modules shuffled per round: `rounds` at most, fewer for a slow
  // module (as many as fit in `budget_ms` of its forwards), never fewer than `min_rounds`.
  int rounds = 31;
  int min_rounds = 5;
  double budget_ms = 1500;
  double settle_below_ms = 100;  // modules faster than this get the untimed forward before each timed one
  uint64_t seed = 0;
};

struct LatencyStats {
  double latency_ms = 0;  // the 10th percentile of all timed forwards: the latency qtnas predicts and reports
  double median_ms = 0, min_ms = 0, max_ms = 0, mad_ms = 0;  // of the forwards within 5 MADs of the median
  int samples = 0;   // timed forwards kept
  int outliers = 0;  // dropped from median/min/max
};

// The median (the mean of the two middle values for an even count); 0 for none.
double median(std::vector<double> values);

// Robust statistics of raw samples (milliseconds).
LatencyStats summarize(std::vector<double> samples_ms);

// Times forward(ids, pad) of every module on the same input: `batch` examples of `seq` tokens, no padding
// (the worst case a deployment meets). Runs under InferenceMode with the current LibTorch threads.
std::vector<LatencyStats> measure_interleaved(std::vector<torch::jit::Module>& modules, const MeasureConfig& config);

// One module measured as `env` says (its batch, seq and threads; LibTorch's threads are restored after), at most
// `rounds` timed forwards: how the search and the export measure a single subnet.
LatencyStats measure_in_environment(torch::jit::Module module, const Environment& env, int vocab_size, int rounds);

}  // namespace qtnas
