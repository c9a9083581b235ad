#include "search/nsga2.h"

#include "search/pareto.h"
#include "search/state_format.h"
#include "space/error.h"

namespace qtnas {
namespace {

// Index of the winner of a tournament among `size` members drawn with replacement.
int tournament(const Ranking& ranking, int members, int size, Rng& rng) {
  int best = static_cast<int>(rng.uniform(members));
  for (int k = 1; k < size; ++k) {
    const int other = static_cast<int>(rng.uniform(members));
    if (crowded_better(ranking, other, best)) best = other;
  }
  return best;
}

}  // namespace

void validate(const Nsga2Config& c) {
  QTNAS_CHECK(c.population >= 1, "nsga2: population must be at least 1, got {}", c.population);
  QTNAS_CHECK(c.crossover_probability >= 0 && c.crossover_probability <= 1,
              "nsga2: crossover probability must be in [0, 1], got {}", c.crossover_probability);
  QTNAS_CHECK(c.mutation_probability >= 0 && c.mutation_probability <= 1,
              "nsga2: mutation probability must be in [0, 1], got {}", c.mutation_probability);
  QTNAS_CHECK(c.tournament_size >= 1, "nsga2: tournament size must be at least 1, got {}", c.tournament_size);
  QTNAS_CHECK(c.max_attempts >= 1, "nsga2: max attempts must be at least 1, got {}", c.max_attempts);
}

nlohmann::json to_json(const Nsga2Config& c) {
  return {{"population", c.population},
          {"crossover_probability", c.crossover_probability},
          {"mutation_probability", c.mutation_probability},
          {"tournament_size", c.tournament_size},
          {"seed", c.seed},
          {"max_attempts", c.max_attempts}};
}

Nsga2::Nsga2(const GeneOps& genes, Nsga2Config config) : genes_(genes), config_(config), rng_(config.seed) {
  validate(config_);
}

std::vector<std::string> Nsga2::propose() {
  if (cache_.batch_open()) return cache_.unobserved();
  if (population_.empty()) {
    return cache_.open_batch(config_.population, config_.max_attempts,
                             [&] { return genes_.repair(genes_.sample(rng_), rng_); });
  }
  // Ranks and crowding of the current population decide the tournaments of the whole batch.
  const Ranking ranking = rank_and_crowding(population_);
  const int members = static_cast<int>(population_.size());
  return cache_.open_batch(config_.population, config_.max_attempts, [&] {
    const std::string& a = population_[tournament(ranking, members, config_.tournament_size, rng_)].key;
    const std::string& b = population_[tournament(ranking, members, config_.tournament_size, rng_)].key;
    std::string child = rng_.bernoulli(config_.crossover_probability) ? genes_.crossover(a, b, rng_) : a;
    if (rng_.bernoulli(config_.mutation_probability)) child = genes_.mutate(child, rng_);
    return genes_.repair(child, rng_);
  });
}

void Nsga2::observe(const std::vector<Evaluated>& results) {
  const auto batch = cache_.record(results);
  if (!batch) return;
  std::vector<Evaluated> merged = population_;
  for (const auto& e : *batch) {
    if (e.ok) merged.push_back(e);
  }
  std::vector<Evaluated> survivors;
  for (int i : select_best(merged, config_.population)) survivors.push_back(merged[i]);
  population_ = std::move(survivors);
  ++generation_;
}

std::vector<Evaluated> Nsga2::front() const { return feasible_front(population_); }

nlohmann::json Nsga2::state() const {
  std::vector<std::string> population;
  for (const auto& e : population_) population.push_back(e.key);
  return {{"searcher", to_string(SearcherKind::Nsga2)},
          {"format", kSearcherStateFormat},
          {"config", to_json(config_)},
          {"generation", generation_},
          {"rng", rng_.state()},
          {"population", population},
          {"cache", cache_.to_json()}};
}

void Nsga2::restore(const nlohmann::json& state) {
  check_state_envelope(state, to_string(SearcherKind::Nsga2), to_json(config_));
  Rng rng;
  uint64_t seed = 0;
  int generation = 0;
  std::vector<std::string> keys;
  EvaluationCache cache;
  try {
    seed = state.at("config").at("seed").get<uint64_t>();
    rng.set_state(state.at("rng").get<std::string>());
    generation = state.at("generation").get<int>();
    keys = state.at("population").get<std::vector<std::string>>();
    cache = EvaluationCache::from_json(state.at("cache"));
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("bad nsga2 state: {}", e.what());
  }
  std::vector<Evaluated> population;
  for (const auto& key : keys) {
    const Evaluated* e = cache.find(key);
    QTNAS_CHECK(e && e->ok, "bad nsga2 state: population member '{}' has no ok result in the cache", key);
    population.push_back(*e);
  }
  config_.seed = seed;
  rng_ = rng;
  generation_ = generation;
  population_ = std::move(population);
  cache_ = std::move(cache);
}

}  // namespace qtnas
