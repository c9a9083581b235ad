// `qtnas search` and `qtnas resume` once the run's database exists (runs/new_run.h starts one): the run's search
// run, or continued where it stopped, with the inputs it started with; its candidates evaluated in this process
// or, when distributed, also by `qtnas worker` processes (runs/remote_search.h); then its summary.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "distributed/process_group.h"
#include "runs/run_store.h"
#include "runs/search_run.h"

namespace qtnas {

struct SearchJob {
  std::optional<int> generations;  // a new total of generations (default: the run's)
  // Distributed evaluation: this process is rank 0 of `dist`, and a worker silent for `worker_timeout_s`
  // seconds is lost (its candidate goes to another).
  std::optional<DistributedOptions> dist;
  double worker_timeout_s = 30;
};

struct SearchJobCallbacks {
  std::function<void(int64_t generations, int64_t done)> on_start;  // the run's total, and those already done
  std::function<void(const GenerationReport&)> on_generation;
  std::function<void(const std::string&)> on_note;  // a line of news (closed loop, workers)
};

// Runs the search of the run in `store` (opened for writing) to its last generation, and returns
// run_report.h's search_summary, with the workers' statistics under "distributed" when distributed. Throws
// qtnas::Error when the store holds no run, and as reload_run_inputs and remote_search_evaluation do.
nlohmann::json run_search_job(RunStore& store, const SearchJob& job, const SearchJobCallbacks& callbacks);

}  // namespace qtnas
