// Profiling: measures the deployable modules (export/subnet_module.h) of every per-layer kind and of subnets
// sampled to cover the space (every precision, sparsity and depth, uniform- and mixed-precision), stores each
// measurement, fits an AdditiveLatencyModel on part of the subnets, and reports on the held-out rest.
#pragma once

#include <functional>

#include "latency_models/latency_model.h"
#include "latency_models/measurement_store.h"
#include "supernet/supernet.h"

namespace qtnas {

struct ProfileConfig {
  MeasureConfig measure;
  int subnets = 60;               // sampled subnets measured (anchors included)
  double holdout_fraction = 0.25; // of the sampled subnets, never used in fitting
  int group = 8;                  // modules measured interleaved at a time
  uint64_t seed = 0;
};

struct ProfileResult {
  AdditiveLatencyModel model;
  HoldoutReport holdout;
  std::vector<SubnetMeasurement> train, held_out;
  std::vector<SubnetMeasurement> anchors;  // largest in each precision, smallest: also in `train`
  int layer_kinds = 0;
  double seconds = 0;
};

// `progress(done, total)` is called after each measured group.
ProfileResult profile(Supernet& net, const ProfileConfig& config, MeasurementStore& store,
                      const std::function<void(int, int)>& progress = {});

}  // namespace qtnas
