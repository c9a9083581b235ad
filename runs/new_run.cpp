#include "runs/new_run.h"

#include <filesystem>

#include "latency_models/latency_model.h"
#include "runs/budgets.h"
#include "runs/run_store.h"
#include "space/error.h"
#include "space/hash.h"
#include "supernet/checkpoint.h"

namespace qtnas {

std::string create_search_run(const NewRun& r) {
  QTNAS_CHECK(r.budget_ms.has_value() != r.budget_fraction.has_value(),
              "give exactly one of --latency-budget-ms X and --latency-budget-fraction F");
  LoadedCheckpoint ckpt = load_checkpoint(r.supernet);
  const SearchSpace& space = ckpt.net->space();
  const AdditiveLatencyModel model = load_latency_model(r.latency_model, space, r.supernet, r.allow_other_environment);
  SearchConfig config = r.config;
  config.latency_budget_ms =
      r.budget_ms ? *r.budget_ms : *r.budget_fraction * model.predict_ms(space.largest(Precision::FP32));
  QTNAS_CHECK(config.population >= 2, "--population must be at least 2, got {}", config.population);
  QTNAS_CHECK(config.generations >= 1, "--generations must be at least 1, got {}", config.generations);
  QTNAS_CHECK(config.size_budget_mb >= 0, "--size-budget-mb must not be negative");
  check_budgets_feasible(space, model, config);
  std::string latency_db = r.latency_db.empty() ? model.fit_record().measurement_db : r.latency_db;
  if (!latency_db.empty() && !std::filesystem::exists(latency_db)) latency_db.clear();

  RunStore store(r.db, RunStore::Mode::Write);
  QTNAS_CHECK(!store.has_run(), "run database '{}' already holds a run; continue it with qtnas resume --db {}", r.db, r.db);
  RunInfo info;
  info.config = {{"search", to_json(config)}, {"task", r.task_options}, {"latency_db", latency_db}};
  info.seed = config.seed;
  info.space = space.config();
  info.space_hash = space.hash_hex();
  info.supernet_path = std::filesystem::absolute(r.supernet).string();
  info.supernet_hash = file_hash(r.supernet);
  info.predictor_path = std::filesystem::absolute(r.latency_model).string();
  info.predictor_hash = file_hash(r.latency_model);
  store.create_run(info);
  return store.path();
}

}  // namespace qtnas
