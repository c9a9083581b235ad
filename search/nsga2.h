// NSGA-II (Deb et al. 2002) as an ask/tell Searcher: constrained non-dominated sorting with crowding distance,
// binary tournaments, crossover, mutation and repair from a GeneOps.
#pragma once

#include <cstdint>

#include "search/evaluation_cache.h"
#include "search/genome.h"
#include "search/searcher.h"
#include "space/rng.h"

namespace qtnas {

struct Nsga2Config {
  int population = 20;                 // kept candidates, and children per generation
  double crossover_probability = 0.9;  // else the child starts as a copy of its first parent
  double mutation_probability = 1.0;   // chance a child is mutated (GeneOps::mutate decides which genes)
  int tournament_size = 2;             // candidates per tournament; the crowded-comparison winner is a parent
  uint64_t seed = 0;                   // of the Rng; restore() replaces it and the Rng state by the stored ones
  int max_attempts = 100;              // draws per batch slot before giving up on finding an unseen key
};

// Throws qtnas::Error naming the bad field.
void validate(const Nsga2Config& config);
nlohmann::json to_json(const Nsga2Config& config);

// Generation 0 proposes `population` sampled and repaired keys. Each later generation proposes `population`
// children: two parents by tournament (constrained rank, then crowding distance, over the current population),
// crossover with crossover_probability, mutation with mutation_probability, repair. When a batch is fully
// observed, parents and ok children are merged and the best `population` by constrained non-dominated sort
// and crowding survive. If no candidate has ever succeeded, the next batch is sampled again.
class Nsga2 : public Searcher {
 public:
  // Keeps a reference to `genes`, which must outlive the searcher. Throws qtnas::Error on a bad config.
  Nsga2(const GeneOps& genes, Nsga2Config config);

  std::vector<std::string> propose() override;
  void observe(const std::vector<Evaluated>& results) override;
  int generation() const override { return generation_; }
  nlohmann::json state() const override;
  void restore(const nlohmann::json& state) override;
  std::vector<Evaluated> population() const override { return population_; }
  std::vector<Evaluated> front() const override;

  const Nsga2Config& config() const { return config_; }
  const EvaluationCache& cache() const { return cache_; }

 private:
  const GeneOps& genes_;
  Nsga2Config config_;
  Rng rng_;
  int generation_ = 0;
  std::vector<Evaluated> population_;  // survivors, in selection order
  EvaluationCache cache_;
};

}  // namespace qtnas
