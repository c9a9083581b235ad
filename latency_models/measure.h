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
//
// Why speed references: the whole machine drifts, and not alike for every kernel. Measured here on 12 subnets
// over 25 passes of 31 rounds (3 minutes), one pass's 10th percentiles were all 0.85x to 1.20x of their means
// together; in a 9-minute profile, a mid-sized INT8 subnet ranged over 3.7-6.5 ms while its FP32 twin ranged
// over 5.3-8.0 ms, not in step. So every group of modules measured together also runs one fixed speed reference
// subnet per precision (profiler.h), and a latency is divided by the arch's speed factor: the references'
// latencies over their typical ones, weighted by the arch's share of layers in each precision (measure.cpp). What
// is predicted and reported is then the latency at the machine's typical speed; the factor is recorded too.
#pragma once

#include <torch/script.h>

#include <map>
#include <vector>

#include "latency_models/environment.h"
#include "space/arch.h"

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
  // The arch's speed factor while measuring (speed_factor below), which the times above are already divided
  // by; 1 when measured without references.
  double speed = 1;
};

// A speed reference: a fixed subnet's module, all of one precision, and its typical latency in this environment
// (profiler.h).
struct SpeedReference {
  torch::jit::Module module;
  Precision precision = Precision::FP32;
  double baseline_ms = 0;
};

// How much slower than typical the machine ran `arch`: each precision's reference latency over its baseline
// (`ratios`), weighted by the arch's share of non-skipped layers in that precision; the FP32 ratio for an arch
// with no layers (embeddings and classifier run in FP32); 1 for a precision without a reference.
double speed_factor(const Arch& arch, const std::map<Precision, double>& ratios);

// The median (the mean of the two middle values for an even count); 0 for none.
double median(std::vector<double> values);

// Robust statistics of raw samples (milliseconds).
LatencyStats summarize(std::vector<double> samples_ms);

// Times forward(ids, pad) of every module on the same input: `batch` examples of `seq` tokens, no padding
// (the worst case a deployment meets). Runs under InferenceMode with the current LibTorch threads.
std::vector<LatencyStats> measure_interleaved(std::vector<torch::jit::Module>& modules, const MeasureConfig& config);

// One module measured as `env` says (its batch, seq and threads; LibTorch's threads are restored after), at most
// `rounds` timed forwards, interleaved with the speed references if any and divided by the arch's speed factor: how
// the search and the export measure a single subnet (`arch`, the module's arch, weighs the references).
LatencyStats measure_in_environment(torch::jit::Module module, const Environment& env, int vocab_size, int rounds,
                                    const std::vector<SpeedReference>& references = {}, const Arch& arch = {});

}  // namespace qtnas
