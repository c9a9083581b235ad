// The result of evaluating one candidate, as a searcher sees it, and its JSON form (searcher states, logs).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace qtnas {

struct Evaluated {
  std::string key;                 // the candidate's canonical key (see search/genome.h)
  std::vector<double> objectives;  // all minimized; every ok result of one search has the same count
  double violation = 0;            // 0 = feasible, > 0 = amount by which constraints are broken
  bool ok = true;                  // false: the evaluation failed; the candidate never enters a population
  std::string error;               // why it failed (empty when ok)

  bool feasible() const { return ok && violation <= 0; }
  bool operator==(const Evaluated& o) const {
    return key == o.key && objectives == o.objectives && violation == o.violation && ok == o.ok && error == o.error;
  }
};

// Exact round trip, non-finite objectives included (they are written as the strings "inf", "-inf", "nan",
// which plain JSON cannot hold). evaluated_from_json throws qtnas::Error naming the bad field.
nlohmann::json to_json(const Evaluated& e);
Evaluated evaluated_from_json(const nlohmann::json& j);

}  // namespace qtnas
