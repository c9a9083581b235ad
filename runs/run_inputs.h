// What a run was started with, reloaded to continue it (`qtnas resume`) or to export from it: the supernet
// with its task, and the latency model. A run refers to them by path and by the hash of their bytes, so that
// it never continues, or exports a candidate, with weights or latencies other than those it was scored with.
#pragma once

#include <string>

#include "latency_models/latency_model.h"
#include "runs/run_store.h"
#include "supernet/task.h"

namespace qtnas {

struct RunInputs {
  SupernetTask task;
  AdditiveLatencyModel model;
};

// Throws qtnas::Error, before loading anything, when the supernet file is gone or its bytes changed since the
// run started (its candidates' weights are gone); when the latency model file is gone, or changed and
// `same_model` (a continued search must predict as before; an export only reads the model's environment and
// speed references); and, after loading, when the supernet's space is not the run's.
RunInputs reload_run_inputs(const std::string& run_path, const RunInfo& info, bool same_model);

}  // namespace qtnas
