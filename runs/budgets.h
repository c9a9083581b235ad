// Whether a search's budgets can be met at all: checked before a run database is created, so that a budget
// without solution is refused before anything is written.
#pragma once

#include "latency_models/latency_model.h"
#include "runs/search_run.h"
#include "space/search_space.h"

namespace qtnas {

// Throws qtnas::Error when config.latency_budget_ms is not positive or below the fastest arch's predicted
// latency (the fastest of the smallest arch of each precision), or when a size budget (size_budget_mb > 0) is
// below half the smallest INT8 arch's size (about what its embeddings alone take).
void check_budgets_feasible(const SearchSpace& space, const LatencyModel& model, const SearchConfig& config);

}  // namespace qtnas
