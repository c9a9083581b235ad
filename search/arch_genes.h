// Genetic operators on architectures of a SearchSpace, keyed by the canonical arch string, with an optional
// repair that shrinks an arch until a latency predictor (any function; no latency_models dependency) fits a budget.
#pragma once

#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "search/genome.h"
#include "space/search_space.h"

namespace qtnas {

struct ArchGeneOptions {
  // Chance that mutate redraws each gene. 0 picks 1 / (5 * layers): a layer has five genes (heads, FFN width,
  // sparsity, precision, skip), so this is the classic 1/n rule, about one changed gene per mutation.
  double gene_probability = 0;
  // Predicted latency of an arch in milliseconds. Empty: repair() returns every arch unchanged. It is called
  // from repair() only, on the searcher's thread; exceptions it throws propagate.
  std::function<double(const Arch&)> predict_latency_ms;
  double latency_budget_ms = std::numeric_limits<double>::infinity();
  int max_repair_steps = 100;  // repair steps at most (each applies one move, or none if no drawn move helps)
  int repair_candidates = 4;   // random shrinking moves compared at each step
};

class ArchGeneOps : public GeneOps {
 public:
  // Throws qtnas::Error on bad options.
  explicit ArchGeneOps(SearchSpace space, ArchGeneOptions options = {});

  const SearchSpace& space() const { return space_; }
  double gene_probability() const { return gene_probability_; }

  // sample/mutate/crossover are SearchSpace's operators on the parsed keys; the results are valid, normalized
  // canonical strings. A key that does not parse or is not in the space throws qtnas::Error.
  std::string sample(Rng& rng) const override;
  std::string mutate(const std::string& parent, Rng& rng) const override;
  std::string crossover(const std::string& a, const std::string& b, Rng& rng) const override;

  // While the predicted latency exceeds the budget (for at most max_repair_steps steps): draws up to
  // repair_candidates distinct moves from shrinking_moves() with the Rng and applies the one with the lowest
  // predicted latency, if it is lower than the current one. Deterministic given the Rng. The result may still
  // exceed the budget (no move left, or steps exhausted): the evaluator reports the violation.
  std::string repair(const std::string& key, Rng& rng) const override;

  // Every arch one shrinking move away from `arch`, each valid and normalized, in a fixed order (by layer,
  // then: one head fewer, the next smaller FFN width, the next higher sparsity, the precision with the fewest
  // bytes per weight (INT8 when the space has it), the next lower keep ratio (later layers lowered to it where
  // above), skipping the layer while min_active_layers stay active). A move never empties a layer except by
  // skipping it.
  std::vector<Arch> shrinking_moves(const Arch& arch) const;

 private:
  SearchSpace space_;
  ArchGeneOptions options_;
  double gene_probability_;
};

}  // namespace qtnas
