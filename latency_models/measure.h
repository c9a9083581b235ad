// Latency measurement that holds on a noisy shared machine: warm-up, repetitions interleaved across the
// modules being compared (so a burst of noise hits all alike), and a low percentile as the latency.
//
// Why the 10th percentile and not the median: on shared VMs, forwards come in spells during which a LibTorch
// thread waits at a barrier for a vCPU that is not running. The noise only ever adds time, so the low
// percentile is the latency of the module itself, and it varies far less between passes than the median
// (which is still recorded). The measurements behind these choices are in the README ("Deployable subnets and
// latency").
//
// Each timed forward of a light module directly follows an untimed forward of the same module: a deployed
// module runs again and again, and without this a light module timed right after a heavy one pays for the
// heavy one's state.
//
// Why speed references: the whole machine drifts, and not alike for every kernel (INT8, FP32 and BF16 kernels
// drift apart). So every group of modules measured together also runs one fixed speed reference subnet per
// precision (profiler.h), and a latency is divided by the arch's speed factor: the references' latencies over
// their typical ones, each layer weighing by its precision's typical cost (measure.cpp). What is predicted and
// reported is then the latency at the machine's typical speed; the factor is recorded too.
//
// Why each forward is divided by its own round's speed ("round-ref", the statistic profiles measure): the
// machine's speed changes within a pass, from one round to the next, and a pass-level factor (the references'
// 10th percentiles over their baselines) leaves those changes in. A module's forward and the references'
// forwards of the same round ran a few milliseconds apart, so their ratio cancels what the pass-level factor
// cannot. So each forward is divided by the arch's speed factor in its round (the references' forwards of that
// round over their 10th percentiles in the pass), and the latency is the median of those: the module's latency
// at the pass's reference speed, which the pass-level factor then brings to the machine's typical speed as
// before. On the AVX2-only AMD EPYC Zen 3, 40 passes of 31 rounds in one process gave a subnet's latency over its
// reference a pass-to-pass spread of 2.8-4.3% this way against 5.6-6.1% from the 10th percentiles (README).
//
// Why passes are repeated: in disturbed spells (references well over their typical latency) kernels do not slow
// alike even within one precision, and no factor corrects them. So a group whose references run more than
// `disturbed_above` over their baselines is measured again (measure_referenced below).
#pragma once

#include <torch/script.h>

#include <functional>
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
  // A pass whose speed references run more than this over their baselines is measured again, `max_passes` in
  // all at most; the least disturbed pass is kept.
  double disturbed_above = 1.12;
  int max_passes = 3;
  uint64_t seed = 0;
};

struct LatencyStats {
  // The latency qtnas predicts and reports: the 10th percentile of all timed forwards, or for a module measured
  // against speed references under "round-ref", the median of its forwards each divided by its round's speed
  // factor (summarize_against_references).
  double latency_ms = 0;
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
  Arch arch;
  double baseline_ms = 0;
};

// One precision's speed at one moment: its reference's latency over its baseline, and the reference's typical
// cost per layer (its baseline over its layers), which weighs this precision's layers in a mixed arch.
struct PrecisionSpeed {
  double ratio = 1;
  double layer_ms = 1;
};

// The precision of a speed reference (that of its first layer that runs) and its speed, given its latency now.
Precision reference_precision(const Arch& reference);
PrecisionSpeed precision_speed(const Arch& reference, double baseline_ms, double latency_ms);

// How much slower than typical the machine ran `arch`: the mean of its layers' precisions' ratios, each layer
// weighed by its precision's cost per layer (a BF16 layer of 15 ms outweighs an INT8 one of 0.7 ms). A
// precision without a reference counts with ratio 1 and the mean weight of the others; an arch without layers
// takes the FP32 ratio (embeddings and classifier run in FP32).
double speed_factor(const Arch& arch, const std::map<Precision, PrecisionSpeed>& speeds);

// The median (the mean of the two middle values for an even count); 0 for none.
double median(std::vector<double> values);

// Robust statistics of raw samples (milliseconds).
LatencyStats summarize(std::vector<double> samples_ms);

// Times forward(ids, pad) of every module on the same input: `batch` examples of `seq` tokens, no padding
// (the worst case a deployment meets). Runs under InferenceMode with the current LibTorch threads. Returns each
// module's timed forwards by round: times[k][r] is module k's forward in round r (a module that stops early,
// being slow, has fewer).
std::vector<std::vector<double>> time_interleaved(std::vector<torch::jit::Module>& modules,
                                                  const MeasureConfig& config);

// summarize() of each module's forwards from time_interleaved.
std::vector<LatencyStats> measure_interleaved(std::vector<torch::jit::Module>& modules, const MeasureConfig& config);

// The "round-ref" statistics of one pass whose first `references` modules are speed references (archs[k] is
// module k's arch, references first). The references keep summarize()'s statistics (their 10th percentiles make
// the pass-level factor). Every other module's forwards are each divided by speed_factor(its arch) in their round,
// each precision's ratio being its reference's forward in that round over the reference's 10th percentile in the
// pass; its latency_ms is the median of those, its other statistics are summarize()'s of them. Rounds where a
// reference has no forward (a slow reference stopped early) take the reference's ratio 1.
std::vector<LatencyStats> summarize_against_references(const std::vector<std::vector<double>>& times_ms,
                                                       const std::vector<Arch>& archs, size_t references);

// One pass of `modules` (archs as above, the first `references` of them speed references), summarized as
// `statistic` says: "round-ref" by summarize_against_references (given references), anything else by summarize().
std::vector<LatencyStats> measure_one_pass(std::vector<torch::jit::Module>& modules, const std::vector<Arch>& archs,
                                           size_t references, const std::string& statistic,
                                           const MeasureConfig& config);

// The outcome of measure_referenced: every module's statistics (not divided by any factor) and each speed
// reference's latency, from the least disturbed pass.
struct ReferencedPass {
  std::vector<LatencyStats> modules;
  std::vector<double> reference_ms;
  double disturbance = 0;  // the largest reference latency over its baseline (0: no baselines)
  int passes = 0;          // passes measured
};

// Runs `measure_pass(pass)` (which returns the references' statistics first, then the modules') until the
// references run at most `disturbed_above` times their baselines, or `max_passes` were run, and keeps the pass
// whose largest ratio is lowest. A baseline of 0 (not known yet) never asks for another pass.
ReferencedPass measure_referenced(const std::function<std::vector<LatencyStats>(int pass)>& measure_pass,
                                  const std::vector<double>& baselines_ms, double disturbed_above, int max_passes);

// One module measured as `env` says (its batch, seq, threads and statistic; LibTorch's threads are restored
// after), at most `rounds` timed forwards, interleaved with the speed references if any (passes repeated while
// they show the machine disturbed) and divided by the arch's speed factor: how the search and the export measure
// a single subnet (`arch`, the module's arch, weighs the references).
LatencyStats measure_in_environment(torch::jit::Module module, const Environment& env, int vocab_size, int rounds,
                                    const std::vector<SpeedReference>& references = {}, const Arch& arch = {});

}  // namespace qtnas
