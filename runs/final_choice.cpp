#include "runs/final_choice.h"

#include <limits>

#include "space/error.h"

namespace qtnas {
namespace {

double run_latency_budget_ms(RunStore& store) {
  const nlohmann::json config = store.run_info().config;
  try {
    return config.at("search").at("latency_budget_ms").get<double>();
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("run '{}' records no latency budget: {}", store.path(), e.what());
  }
}

}  // namespace

std::optional<CandidateRecord> final_choice(const std::vector<CandidateRecord>& front, double budget_ms) {
  std::optional<CandidateRecord> best;
  for (const auto& c : front) {
    if (!c.feasible || c.best_latency_ms() > budget_ms) continue;
    if (!best || c.best_accuracy() > best->best_accuracy()) best = c;
  }
  return best;
}

CandidateRecord final_choice(RunStore& store, std::optional<double> budget_ms) {
  const double budget = budget_ms ? *budget_ms : run_latency_budget_ms(store);
  const std::vector<CandidateRecord> front = store.front();
  if (auto chosen = final_choice(front, budget)) return *chosen;
  double fastest = std::numeric_limits<double>::infinity();
  for (const auto& c : front) {
    if (c.feasible) fastest = std::min(fastest, c.best_latency_ms());
  }
  QTNAS_CHECK(fastest < std::numeric_limits<double>::infinity(),
              "no front member of run '{}' is feasible: none met the run's budgets by prediction", store.path());
  QTNAS_FAIL("no front member of run '{}' is within {} ms (the fastest takes {:.3f} ms)", store.path(), budget,
             fastest);
}

CandidateRecord export_choice(RunStore& store, std::optional<int64_t> id, std::optional<double> budget_ms) {
  if (!id) return final_choice(store, budget_ms);
  auto c = store.candidate(*id);
  QTNAS_CHECK(c && c->ok, "run '{}' has no evaluated candidate with id {}", store.path(), *id);
  return *c;
}

}  // namespace qtnas
