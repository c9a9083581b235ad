// `qtnas profile`'s job, whole but for its options and printing: a trained supernet's deployable subnets measured
// on this machine into a measurement store (or nothing measured, with `refit`), the latency model fitted from
// everything the store holds for this environment, saved, and reported on held-out subnets.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "latency_models/profiler.h"

namespace qtnas {

struct ProfileJob {
  std::string supernet_path;
  std::string db;                  // SQLite file the measurements are added to (created if missing)
  std::optional<std::string> out;  // the model file (default: default_latency_model_path)
  ProfileConfig config;            // its measure.seq is replaced by `seq`
  std::optional<int> seq;          // tokens per example (default: the length the supernet was trained for)
  bool refit = false;              // measure nothing: fit from the store's measurements of this environment
};

// Measures on LibTorch's current threads (the caller sets them, and gives OpenBLAS one: supernet/machine.h).
// `progress(done, total)` is called after each measured group. Returns {"model" (the file written), "db"} and
// profile_report's fields. Throws qtnas::Error on a bad config (check_profile_config), an unreadable
// checkpoint or store, or a store too thin to fit.
nlohmann::json run_profile_job(ProfileJob job, const std::function<void(int, int)>& progress = {});

}  // namespace qtnas
