#include "runs/budgets.h"

#include "space/error.h"

namespace qtnas {

void check_budgets_feasible(const SearchSpace& space, const LatencyModel& model, const SearchConfig& config) {
  const double budget_ms = config.latency_budget_ms;
  QTNAS_CHECK(budget_ms > 0, "--latency-budget-ms must be positive, got {}", budget_ms);
  Arch fastest = space.smallest(space.config().precisions.front());
  for (Precision p : space.config().precisions) {
    if (model.predict_ms(space.smallest(p)) < model.predict_ms(fastest)) fastest = space.smallest(p);
  }
  const double fastest_ms = model.predict_ms(fastest);
  QTNAS_CHECK(budget_ms >= fastest_ms,
              "no arch can meet a latency budget of {} ms: the fastest arch ({}) is predicted at {:.3f} ms",
              budget_ms, to_string(fastest), fastest_ms);
  if (config.size_budget_mb > 0) {
    const double smallest_mb = double(space.size(space.smallest(Precision::INT8)).size_bytes) / 1e6;
    QTNAS_CHECK(config.size_budget_mb >= smallest_mb * 0.5,
                "no arch can meet a size budget of {} MB: the embeddings alone take about {:.2f} MB",
                config.size_budget_mb, smallest_mb);
  }
}

}  // namespace qtnas
