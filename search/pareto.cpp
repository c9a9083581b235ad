#include "search/pareto.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "space/error.h"

namespace qtnas {

bool dominates(const std::vector<double>& a, const std::vector<double>& b) {
  QTNAS_ASSERT(a.size() == b.size(), "cannot compare {} objectives with {}", a.size(), b.size());
  bool better = false;
  for (size_t m = 0; m < a.size(); ++m) {
    if (a[m] > b[m]) return false;
    if (a[m] < b[m]) better = true;
  }
  return better;
}

bool constrained_dominates(const Evaluated& a, const Evaluated& b) {
  QTNAS_ASSERT(a.ok && b.ok, "failed candidate '{}' cannot be ranked", a.ok ? b.key : a.key);
  const bool fa = a.violation <= 0;
  const bool fb = b.violation <= 0;
  if (fa && fb) return dominates(a.objectives, b.objectives);
  if (fa != fb) return fa;
  return a.violation < b.violation;
}

std::vector<std::vector<int>> non_dominated_sort(const std::vector<Evaluated>& items) {
  const int n = static_cast<int>(items.size());
  std::vector<std::vector<int>> dominated(n);  // dominated[i]: the items i dominates
  std::vector<int> dominators(n, 0);           // how many items dominate i
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      if (constrained_dominates(items[i], items[j])) {
        dominated[i].push_back(j);
        ++dominators[j];
      } else if (constrained_dominates(items[j], items[i])) {
        dominated[j].push_back(i);
        ++dominators[i];
      }
    }
  }
  std::vector<std::vector<int>> fronts;
  std::vector<int> current;
  for (int i = 0; i < n; ++i) {
    if (dominators[i] == 0) current.push_back(i);
  }
  while (!current.empty()) {
    std::vector<int> next;
    for (int i : current) {
      for (int j : dominated[i]) {
        if (--dominators[j] == 0) next.push_back(j);
      }
    }
    std::sort(next.begin(), next.end());
    fronts.push_back(std::move(current));
    current = std::move(next);
  }
  return fronts;
}

std::vector<double> crowding_distance(const std::vector<Evaluated>& items, const std::vector<int>& front) {
  const size_t n = front.size();
  std::vector<double> distance(n, 0.0);
  if (n == 0) return distance;
  const double inf = std::numeric_limits<double>::infinity();
  const size_t objectives = items[front[0]].objectives.size();
  std::vector<size_t> order(n);
  for (size_t m = 0; m < objectives; ++m) {
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return items[front[a]].objectives.at(m) < items[front[b]].objectives.at(m);
    });
    const double lo = items[front[order.front()]].objectives[m];
    const double hi = items[front[order.back()]].objectives[m];
    distance[order.front()] = inf;
    distance[order.back()] = inf;
    // An objective with no spread (or an infinite one) says nothing about who is crowded.
    if (!(hi > lo) || !std::isfinite(hi - lo)) continue;
    for (size_t k = 1; k + 1 < n; ++k) {
      const double below = items[front[order[k - 1]]].objectives[m];
      const double above = items[front[order[k + 1]]].objectives[m];
      distance[order[k]] += (above - below) / (hi - lo);
    }
  }
  return distance;
}

Ranking rank_and_crowding(const std::vector<Evaluated>& items) {
  Ranking r;
  r.rank.assign(items.size(), 0);
  r.crowding.assign(items.size(), 0.0);
  const auto fronts = non_dominated_sort(items);
  for (size_t f = 0; f < fronts.size(); ++f) {
    const auto distance = crowding_distance(items, fronts[f]);
    for (size_t k = 0; k < fronts[f].size(); ++k) {
      r.rank[fronts[f][k]] = static_cast<int>(f);
      r.crowding[fronts[f][k]] = distance[k];
    }
  }
  return r;
}

bool crowded_better(const Ranking& r, int i, int j) {
  if (r.rank[i] != r.rank[j]) return r.rank[i] < r.rank[j];
  return r.crowding[i] > r.crowding[j];
}

std::vector<int> select_best(const std::vector<Evaluated>& items, size_t count) {
  std::vector<int> chosen;
  for (const auto& front : non_dominated_sort(items)) {
    if (chosen.size() >= count) break;
    if (chosen.size() + front.size() <= count) {
      chosen.insert(chosen.end(), front.begin(), front.end());
      continue;
    }
    // The front that does not fit: keep its least crowded members.
    const auto distance = crowding_distance(items, front);
    std::vector<size_t> order(front.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return distance[a] > distance[b]; });
    for (size_t k = 0; chosen.size() < count; ++k) chosen.push_back(front[order[k]]);
  }
  return chosen;
}

std::vector<Evaluated> feasible_front(const std::vector<Evaluated>& items) {
  std::vector<Evaluated> front;
  const auto fronts = non_dominated_sort(items);
  if (fronts.empty()) return front;
  for (int i : fronts[0]) {
    if (items[i].feasible()) front.push_back(items[i]);
  }
  return front;
}

}  // namespace qtnas
