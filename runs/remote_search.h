// A search run's candidates evaluated by `qtnas worker` processes (distributed/): rank 0 publishes what the run
// evaluates with (its supernet by path and hash, its task, its validation subset and threads per candidate), so
// that every worker evaluates as rank 0 would, and stays the run database's only writer.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "distributed/remote_evaluation.h"
#include "runs/run_store.h"
#include "runs/search_run.h"

namespace qtnas {

// What the workers of the run described by `info` and `config` are told to evaluate with.
WorkerConfig worker_config_for(const RunInfo& info, const SearchConfig& config);

// Serves the run's candidates to the other ranks of `dist` (world_size - 1 workers expected), `local` taking
// what no worker takes. Throws qtnas::Error unless dist.rank is 0, or when no worker joins in time.
std::unique_ptr<RemoteEvaluation> remote_search_evaluation(const DistributedOptions& dist, double worker_timeout_s,
                                                           const RunInfo& info, const SearchConfig& config,
                                                           CandidateEvaluation& local,
                                                           const std::function<void(const std::string&)>& on_note);

}  // namespace qtnas
