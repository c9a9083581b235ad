// The ZDT1-3 bi-objective test problems (Zitzler, Deb, Thiele 2000) on a grid, as GeneOps plus an evaluate
// function, so that tests can check that a searcher really optimizes, with no model or latency involved.
#pragma once

#include <string>
#include <vector>

#include "search/genome.h"

namespace qtnas {

enum class ZdtProblem { ZDT1, ZDT2, ZDT3 };
const char* to_string(ZdtProblem problem);

struct ZdtConfig {
  ZdtProblem problem = ZdtProblem::ZDT1;
  int variables = 30;              // n >= 2
  int levels = 1000;               // variable i takes the value level_i / (levels - 1), level_i in [0, levels)
  double distribution_index = 20;  // of the polynomial mutation: larger means smaller steps
};

// Keys are the n integer levels joined by ',' ("0,999,12,..."), without spaces or leading zeros.
// Operators:
// - sample: every level uniform.
// - mutate: each variable with probability 1/n takes a polynomial-mutation step (at least one level; if no
//   variable was picked, one random variable is), so the child always differs from its parent.
// - crossover: each variable comes from a random parent with probability 1/2, else is drawn uniformly from the
//   parents' interval widened by half its length on both sides (BLX-0.5), rounded and clamped to the grid.
// Every operator throws qtnas::Error for a key that is not n levels in range.
class Zdt : public GeneOps {
 public:
  // Throws qtnas::Error on a bad config.
  explicit Zdt(ZdtConfig config);

  const ZdtConfig& config() const { return config_; }

  std::string sample(Rng& rng) const override;
  std::string mutate(const std::string& parent, Rng& rng) const override;
  std::string crossover(const std::string& a, const std::string& b, Rng& rng) const override;

  // The two minimized objectives {f1, f2}. f1 is in [0, 1] and f2 in [-1, 10], so every candidate strictly
  // dominates the reference point {1.1, 11}. On the Pareto front (all variables but the first at 0), g = 1.
  std::vector<double> evaluate(const std::string& key) const;

  std::vector<int> parse(const std::string& key) const;
  std::string key(const std::vector<int>& levels) const;

 private:
  ZdtConfig config_;
};

}  // namespace qtnas
