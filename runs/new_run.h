// Starting a search run. Everything that needs no data is checked before the run database is created or
// touched: the supernet loads, the latency model belongs to its space (and to this machine's environment unless
// allowed otherwise), the search settings are sane and the budgets can be met. Then the run records its inputs
// by path and by the hash of their bytes (runs/run_inputs.h reloads them).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "runs/search_run.h"

namespace qtnas {

struct NewRun {
  std::string db;             // created; must not hold a run yet
  std::string supernet;       // checkpoint path
  std::string latency_model;  // latency model path (qtnas profile)
  SearchConfig config;        // its latency_budget_ms is replaced by one of:
  std::optional<double> budget_ms;        // the budget in milliseconds,
  std::optional<double> budget_fraction;  // or as a fraction of the largest FP32 arch's predicted latency.
  nlohmann::json task_options;            // data/task.h's, stored so that resume and export reload the same data
  std::string latency_db;  // measurements the closed loop refits with ('': the model's own); dropped when missing
  bool allow_other_environment = false;
};

// Creates the run in r.db and returns its database path. Throws qtnas::Error, before writing anything, unless
// exactly one of budget_ms and budget_fraction is given, and on a population below 2, no generation, a negative
// size budget, a budget no arch can meet, a latency model of another space or environment, or a database that
// already holds a run.
std::string create_search_run(const NewRun& r);

}  // namespace qtnas
