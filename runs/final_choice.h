// The one rule that picks a run's final subnet. The search applies it when it finishes (and measures what it
// picks), `qtnas export --best` and `--best-under-ms X` apply it afterwards, so that export picks exactly the
// member the search verified.
#pragma once

#include <optional>
#include <vector>

#include "runs/run_store.h"

namespace qtnas {

// The final choice among `front` under `budget_ms`: the most accurate member (best_accuracy(): on the whole
// validation split when evaluated there) that is feasible and whose best_latency_ms() (measured on its
// deployable module when the run measured it, else predicted) is within budget_ms. Ties go to the first in
// `front`'s order. nullopt when no member qualifies.
//
// Feasibility and budget_ms both apply. `feasible` is the search's verdict on the run's own latency and size
// budgets by prediction; budget_ms judges the best latency known now. Under the run's own budget (--best) a
// member measured over it is out. A tighter X (--best-under-ms) narrows the choice. A looser X never admits a
// member the run found infeasible (it would break the run's size budget, or the latency budget the run was
// scored under); it admits only feasible members measured between the two budgets.
std::optional<CandidateRecord> final_choice(const std::vector<CandidateRecord>& front, double budget_ms);

// final_choice() over the last front of the run in `store`, under `budget_ms` or, when not given, the run's
// own latency budget. Throws qtnas::Error naming the run when its configuration is malformed or no member
// qualifies.
CandidateRecord final_choice(RunStore& store, std::optional<double> budget_ms = std::nullopt);

// The candidate an export takes from a run: candidate `id` when given (it must have been evaluated), else
// final_choice(store, budget_ms). Throws qtnas::Error naming the run.
CandidateRecord export_choice(RunStore& store, std::optional<int64_t> id, std::optional<double> budget_ms);

}  // namespace qtnas
