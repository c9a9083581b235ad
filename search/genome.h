// Genetic operators on candidates named by a canonical text key (for archs: the canonical arch string of
// space/arch.h). Searchers only ever see keys, so the same searcher runs on archs and on test problems (ZDT).
#pragma once

#include <string>

#include "space/rng.h"

namespace qtnas {

// Contract for every implementation: each function returns a canonical key (two keys are the same candidate
// exactly when the strings are equal), draws all randomness from the Rng it is given (so results are
// deterministic given the Rng state), and throws qtnas::Error for a key it cannot parse. The operators are
// const and hold no mutable state, so one GeneOps may serve several searchers.
class GeneOps {
 public:
  virtual ~GeneOps() = default;

  // A random candidate.
  virtual std::string sample(Rng& rng) const = 0;
  // A random neighbour of `parent`; differs from it unless the space has a single candidate.
  virtual std::string mutate(const std::string& parent, Rng& rng) const = 0;
  // A child mixing the genes of `a` and `b`.
  virtual std::string crossover(const std::string& a, const std::string& b, Rng& rng) const = 0;
  // Moves a candidate that breaks a known constraint (e.g. a latency budget) towards feasibility, and returns
  // it; it may still be infeasible when the bounded repair gives up. The default knows no constraint and
  // returns `key` unchanged.
  virtual std::string repair(const std::string& key, Rng& rng) const {
    (void)rng;
    return key;
  }
};

}  // namespace qtnas
