// A worker of distributed evaluation (`qtnas worker`): connects to rank 0's TCPStore, builds its evaluators
// from the settings rank 0 published, joins, and answers one job at a time until rank 0 says stop. A thread
// beats a heartbeat on its own connection meanwhile, so that rank 0 can tell a slow worker from a dead one.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "distributed/process_group.h"
#include "distributed/protocol.h"
#include "evaluators/parallel.h"

namespace qtnas {

// Builds the worker's evaluators from rank 0's published settings (distributed/protocol.h); throws
// qtnas::Error when this worker cannot serve them (another supernet, missing data).
using MakeEvaluation = std::function<std::unique_ptr<CandidateEvaluation>(const WorkerConfig& config)>;

// The standard MakeEvaluation: loads the supernet at `supernet_path` (empty: rank 0's path), checks that its file
// hash is rank 0's, sets LibTorch's threads to rank 0's per candidate (the same numerics, whoever evaluates),
// and evaluates on the task rank 0 names, with rank 0's validation subset. `on_note` hears what it loads.
MakeEvaluation proxy_evaluation_maker(const std::string& supernet_path,
                                      const std::function<void(const std::string&)>& on_note);

struct WorkerOptions {
  int crash_after_jobs = -1;  // >= 0: SIGKILL itself on receiving that many jobs plus one (failure tests)
};

struct WorkerSummary {
  int64_t jobs = 0;
  bool stopped_by_rank0 = false;  // the normal end; otherwise `reason` says what ended it
  std::string reason;
};

// Throws qtnas::Error when options.rank is 0 (rank 0 is the search), when rank 0 cannot be reached within the
// options' timeout, its settings are malformed, or `make` refuses.
WorkerSummary run_worker(const DistributedOptions& options, const MakeEvaluation& make,
                         const WorkerOptions& worker = {},
                         const std::function<void(const std::string&)>& on_note = {});

}  // namespace qtnas
