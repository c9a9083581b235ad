#include "runs/remote_search.h"

#include <algorithm>

#include "space/error.h"

namespace qtnas {

WorkerConfig worker_config_for(const RunInfo& info, const SearchConfig& config) {
  WorkerConfig w;
  w.supernet_path = info.supernet_path;
  w.supernet_hash = info.supernet_hash;
  w.space_hash = info.space_hash;
  w.task = info.config.at("task");
  w.val_subset = config.val_subset;
  w.threads_per_candidate = search_parallelism(config).intra;
  return w;
}

std::unique_ptr<RemoteEvaluation> remote_search_evaluation(const DistributedOptions& dist, double worker_timeout_s,
                                                           const RunInfo& info, const SearchConfig& config,
                                                           CandidateEvaluation& local,
                                                           const std::function<void(const std::string&)>& on_note) {
  QTNAS_CHECK(dist.rank == 0, "qtnas search --distributed is rank 0; rank {} runs qtnas worker", dist.rank);
  RemoteEvaluationOptions ro;
  ro.expected_workers = std::max(1, dist.world_size - 1);
  ro.worker_timeout = std::chrono::milliseconds(int64_t(1000 * worker_timeout_s));
  ro.join_timeout = dist.timeout;
  return std::make_unique<RemoteEvaluation>(dist, worker_config_for(info, config), &local, ro, on_note);
}

}  // namespace qtnas
