// What a run database shows a reader: its front as JSON rows or as a table, the points of its picture, and the
// summary a search prints when it ends. Each format has its JSON form and its text form here, side by side.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "runs/front_svg.h"
#include "runs/run_store.h"

namespace qtnas {

// A candidate as `qtnas front --json` lists it: id, arch, accuracy (the best fidelity) and accuracy_subset,
// latency_ms (measured if it was, else predicted), latency_pred_ms, latency_measured_ms (or null),
// accuracy_full (or null), size_bytes, generation.
nlohmann::json to_json(const CandidateRecord& c);

// The last generation's front, only the members within `budget_ms` by their best latency (0: all).
std::vector<CandidateRecord> front_within(RunStore& store, double budget_ms);

// A heading line (path, generation, budget, members) and one row per member.
std::string front_table(RunStore& store, const std::vector<CandidateRecord>& front, double budget_ms);

// Every evaluated candidate of the run (front members marked) and the run's latency budget. Throws
// qtnas::Error if the run has no evaluated candidate yet.
PlotSpec plot_spec(RunStore& store);

// The summary of a search that has just ended: db, latency_budget_ms, hypervolume and best_feasible_accuracy of
// the last generation (or null), generations, candidates, front_size, subset_vs_full_kendall_tau (null when NaN).
nlohmann::json search_summary(RunStore& store, double latency_budget_ms, double fidelity_tau);

// Its text form (and the line of its "distributed" object, when the caller added one).
std::string describe_search_summary(const nlohmann::json& summary, const std::string& db_path);

}  // namespace qtnas
