#include "search/random_search.h"

#include "search/pareto.h"
#include "search/state_format.h"
#include "space/error.h"

namespace qtnas {
namespace {

}  // namespace

void validate(const RandomSearchConfig& c) {
  QTNAS_CHECK(c.population >= 1, "random search: population must be at least 1, got {}", c.population);
  QTNAS_CHECK(c.max_attempts >= 1, "random search: max attempts must be at least 1, got {}", c.max_attempts);
}

nlohmann::json to_json(const RandomSearchConfig& c) {
  return {{"population", c.population}, {"seed", c.seed}, {"max_attempts", c.max_attempts}};
}

RandomSearch::RandomSearch(const GeneOps& genes, RandomSearchConfig config)
    : genes_(genes), config_(config), rng_(config.seed) {
  validate(config_);
}

std::vector<std::string> RandomSearch::propose() {
  if (cache_.batch_open()) return cache_.unobserved();
  return cache_.open_batch(config_.population, config_.max_attempts,
                           [&] { return genes_.repair(genes_.sample(rng_), rng_); });
}

void RandomSearch::observe(const std::vector<Evaluated>& results) {
  if (cache_.record(results)) ++generation_;
}

std::vector<Evaluated> RandomSearch::population() const {
  std::vector<Evaluated> ok;
  for (const auto& e : cache_.results()) {
    if (e.ok) ok.push_back(e);
  }
  return ok;
}

std::vector<Evaluated> RandomSearch::front() const { return feasible_front(population()); }

nlohmann::json RandomSearch::state() const {
  return {{"searcher", to_string(SearcherKind::Random)},
          {"format", kSearcherStateFormat},
          {"config", to_json(config_)},
          {"generation", generation_},
          {"rng", rng_.state()},
          {"cache", cache_.to_json()}};
}

void RandomSearch::restore(const nlohmann::json& state) {
  check_state_envelope(state, to_string(SearcherKind::Random), to_json(config_));
  Rng rng;
  uint64_t seed = 0;
  int generation = 0;
  EvaluationCache cache;
  try {
    seed = state.at("config").at("seed").get<uint64_t>();
    rng.set_state(state.at("rng").get<std::string>());
    generation = state.at("generation").get<int>();
    cache = EvaluationCache::from_json(state.at("cache"));
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("bad random search state: {}", e.what());
  }
  config_.seed = seed;
  rng_ = rng;
  generation_ = generation;
  cache_ = std::move(cache);
}

}  // namespace qtnas
