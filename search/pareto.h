// Pareto ranking with constraints (Deb's rules): domination, fast non-dominated sort and crowding distance.
// All objectives are minimized. Hypervolume is in search/hypervolume.h.
#pragma once

#include <vector>

#include "search/evaluated.h"

namespace qtnas {

// Plain Pareto dominance: a is no worse than b in every objective and better in one. The objective
// counts must be equal (qtnas::InternalError otherwise: a caller's bug).
bool dominates(const std::vector<double>& a, const std::vector<double>& b);

// Deb's constrained domination: a feasible candidate dominates an infeasible one; of two infeasible ones the
// one with less violation dominates (equal violation: neither); two feasible ones compare by Pareto dominance.
// Both must be ok (a failed candidate has no rank; qtnas::InternalError otherwise).
bool constrained_dominates(const Evaluated& a, const Evaluated& b);

// Fast non-dominated sort (Deb et al. 2002) under constrained domination. Returns the fronts, best first, each
// a list of indices into `items` in increasing order; every index appears in exactly one front. O(M n^2).
std::vector<std::vector<int>> non_dominated_sort(const std::vector<Evaluated>& items);

// Crowding distance of each member of one front (indices into `items`), in the order of `front`. Boundary
// members of each objective get +infinity; an objective on which the whole front is equal adds nothing.
// Ties are broken by position in `front`, so the result is deterministic.
std::vector<double> crowding_distance(const std::vector<Evaluated>& items, const std::vector<int>& front);

// Rank (index of the front) and crowding distance of every item, as NSGA-II uses them.
struct Ranking {
  std::vector<int> rank;
  std::vector<double> crowding;
};
Ranking rank_and_crowding(const std::vector<Evaluated>& items);

// True when item i beats item j in NSGA-II's crowded comparison: lower rank, or equal rank and larger crowding.
bool crowded_better(const Ranking& r, int i, int j);

// The indices of the `count` best items by rank, then crowding distance within the last front that fits
// (stable: equal crowding keeps the lower index). Returns every index when count >= items.size().
std::vector<int> select_best(const std::vector<Evaluated>& items, size_t count);

// The feasible items no other item constrained-dominates (the first front, when anything is feasible), in
// their order in `items`.
std::vector<Evaluated> feasible_front(const std::vector<Evaluated>& items);

}  // namespace qtnas
