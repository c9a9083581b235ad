#include "runs/search_job.h"

#include <filesystem>
#include <memory>

#include "evaluators/proxy_evaluator.h"
#include "latency_models/measurement_store.h"
#include "runs/remote_search.h"
#include "runs/run_inputs.h"
#include "runs/run_report.h"
#include "space/error.h"

namespace qtnas {

nlohmann::json run_search_job(RunStore& store, const SearchJob& job, const SearchJobCallbacks& callbacks) {
  QTNAS_CHECK(store.has_run(), "'{}' holds no run to resume; start one with qtnas search", store.path());
  const RunInfo info = store.run_info();
  SearchConfig config = search_config_from_json(info.config.at("search"));
  if (job.generations) config.generations = *job.generations;
  RunInputs inputs = reload_run_inputs(store.path(), info, /*same_model=*/true);
  std::optional<MeasurementStore> latency_db;  // the closed loop refits the model with what it measures
  const std::string latency_db_path = info.config.value("latency_db", std::string());
  if (!latency_db_path.empty() && std::filesystem::exists(latency_db_path)) latency_db.emplace(latency_db_path);

  const Supernet& net = inputs.task.checkpoint.net;
  ProxyFidelities local(net, inputs.task.val, config.val_subset, search_parallelism(config));
  std::unique_ptr<RemoteEvaluation> remote;  // workers evaluate, this process (rank 0) writes
  if (job.dist) {
    remote = remote_search_evaluation(*job.dist, job.worker_timeout_s, info, config, local, callbacks.on_note);
  }
  CandidateEvaluation& evaluation = remote ? static_cast<CandidateEvaluation&>(*remote) : local;
  SearchRun run(store, config, net, evaluation, inputs.model, latency_db ? &*latency_db : nullptr);
  callbacks.on_start(config.generations, store.last_generation_number().value_or(-1) + 1);
  run.run(callbacks.on_generation, callbacks.on_note);

  nlohmann::json summary = search_summary(store, config.latency_budget_ms, run.fidelity_tau());
  if (remote) summary["distributed"] = remote->stats().to_json();
  return summary;
}

}  // namespace qtnas
