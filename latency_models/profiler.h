// Profiling: measures the deployable modules (export/subnet_module.h) of every per-layer kind and of subnets
// sampled to cover the space (every precision, sparsity and depth, uniform- and mixed-precision), stores each
// measurement, then fits an AdditiveLatencyModel from everything the store holds for this environment (so
// repeated profiling adds data, and a model can be refitted without measuring) and reports on held-out subnets.
// In a space with keep choices every block kind is also measured on fewer tokens: for each keep k below 100, in
// layer 1 over a base model whose layer 0 (the narrowest FFN) keeps k% of the tokens, minus that base model,
// measured in the same group. The selection's own cost is left to the fit's token-selection feature.
#pragma once

#include <functional>

#include "latency_models/latency_model.h"
#include "latency_models/measurement_store.h"
#include "supernet/supernet.h"

namespace qtnas {

// The speed reference subnets of a space, one per precision: measured in every group of modules, so that each
// group's latencies can be divided by the machine's speed at that moment (measure.h). Mid-sized (half the heads,
// a middle FFN width, every layer), except BF16's: one layer of one head and the narrowest FFN, for where BF16
// is emulated (an AVX2-only AMD EPYC Zen 3 measured 15 ms a layer at batch 1 and 0.5 s at batch 32) a larger
// one would dominate every group's time.
std::vector<Arch> speed_reference_archs(const SearchSpace& space);

// The modules of a model's speed references (AdditiveLatencyModel::references), with their baselines, for
// measure_in_environment. Empty if the model has none (it was fitted from uncorrected measurements).
std::vector<SpeedReference> build_speed_references(Supernet& net, const std::vector<SubnetMeasurement>& references);

struct ProfileConfig {
  MeasureConfig measure;
  int subnets = 60;               // sampled subnets measured (anchors included)
  double holdout_fraction = 0.25; // of the sampled subnets (chosen by arch id), never used in fitting
  // Times each sampled subnet is measured, each time in another group (so at another moment); the fit takes their
  // median under "round-ref", their lowest under the 10th-percentile statistics (fit_from_store). One measurement
  // of a small subnet (a few ms at batch 1) can be off by 5-10% while its group's references are not (README,
  // "Deployable subnets and latency"); a second one taken elsewhere halves the misses.
  int subnet_repeats = 2;
  int group = 8;                  // modules measured interleaved at a time
  uint64_t seed = 0;
};

struct ProfileResult {
  AdditiveLatencyModel model;
  HoldoutReport holdout;
  std::vector<SubnetMeasurement> train, held_out;
  std::vector<SubnetMeasurement> anchors;  // largest in each precision, smallest: also in `train`
  int layer_kinds = 0;  // distinct layer kinds (heads or width x precision x sparsity) in the store
  int groups = 0, passes = 0;  // groups of modules measured, and their passes (more where the machine was disturbed)
  double seconds = 0;
};

// The report of a profile (`qtnas profile --json`): environment, holdout, counts, time, groups and passes; the
// anchors measured against predicted; the held-out subnets worst first ("error": predicted / measured - 1).
nlohmann::json profile_report(const ProfileResult& r);

// Its text form: settings and counts, the holdout, each anchor, the three worst held-out misses, and the model's
// path (report["model"], which the caller adds).
std::string describe_profile_report(const nlohmann::json& report);

// Throws qtnas::Error, naming the option, unless batch >= 1, 1 <= seq <= the space's length, rounds >= 3,
// min_rounds >= 1 and subnet_repeats >= 1.
void check_profile_config(const ProfileConfig& config, const SpaceConfig& space);

// Where a latency model is written by default: beside its database, named by batch, sequence length and threads.
std::string default_latency_model_path(const std::string& db_path, const MeasureConfig& measure, int threads);

// `progress(done, total)` is called after each measured group.
ProfileResult profile(Supernet& net, const ProfileConfig& config, MeasurementStore& store,
                      const std::function<void(int, int)>& progress = {});

// Fits the model from every measurement of `env` and this space in the store, without measuring. Each speed
// reference's baseline is its median latency over all groups; each latency is divided by its arch's speed factor in
// its group (measure.h) before anything else. Each layer kind's cost is its latency minus that of the empty model
// measured in the same group; the kinds that run the same computation (the deployable module stores weights of
// every sparsity dense at run time) are pooled by their median. A subnet measured more than once
// (ProfileConfig::subnet_repeats, or profiled again) takes the median of its latencies under "round-ref" (medians
// of per-round ratios, off either way), and its lowest under the older statistics (10th percentiles: a whole
// measurement of one module can run slow while its group's references do not, as a BF16 subnet at 163 ms in a
// profile and 135 ms alone twice, and nothing makes a module run faster than it can). A subnet is held out by its
// arch id alone (the anchors never are). Throws qtnas::Error if the store lacks the layer kinds or enough subnets.
// `extra_train` (e.g. a search's closed-loop measurements) is always fitted on, never held out. The model's
// FitRecord names the store's file (absolute), the holdout report and what the store held (its seconds stay 0:
// the same measurements give the same model, whenever they are fitted).
ProfileResult fit_from_store(const SearchSpace& space, const Environment& env, MeasurementStore& store,
                             double holdout_fraction = 0.25, const std::vector<SubnetMeasurement>& extra_train = {});

}  // namespace qtnas
