// Random search as an ask/tell Searcher: the baseline every other searcher has to beat.
#pragma once

#include <cstdint>

#include "search/evaluation_cache.h"
#include "search/genome.h"
#include "search/searcher.h"
#include "space/rng.h"

namespace qtnas {

struct RandomSearchConfig {
  int population = 20;     // keys per batch
  uint64_t seed = 0;       // of the Rng; restore() replaces it and the Rng state by the stored ones
  int max_attempts = 100;  // draws per batch slot before giving up on finding an unseen key
};

// Throws qtnas::Error naming the bad field.
void validate(const RandomSearchConfig& config);
nlohmann::json to_json(const RandomSearchConfig& config);

// Each batch holds `population` new sampled and repaired keys. population() is every ok candidate seen, in
// evaluation order; front() its feasible non-dominated members.
class RandomSearch : public Searcher {
 public:
  // Keeps a reference to `genes`, which must outlive the searcher. Throws qtnas::Error on a bad config.
  RandomSearch(const GeneOps& genes, RandomSearchConfig config);

  std::vector<std::string> propose() override;
  void observe(const std::vector<Evaluated>& results) override;
  int generation() const override { return generation_; }
  nlohmann::json state() const override;
  void restore(const nlohmann::json& state) override;
  std::vector<Evaluated> population() const override;
  std::vector<Evaluated> front() const override;

  const RandomSearchConfig& config() const { return config_; }
  const EvaluationCache& cache() const { return cache_; }

 private:
  const GeneOps& genes_;
  RandomSearchConfig config_;
  Rng rng_;
  int generation_ = 0;
  EvaluationCache cache_;
};

}  // namespace qtnas
