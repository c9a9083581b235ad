// Tests of search/: ZDT and arch operators, latency repair, NSGA-II against random search, state round trips,
// refusals and failures. (Pareto ranking and hypervolume: pareto_test.cpp.)
#include <gtest/gtest.h>

#include <algorithm>

#include <cmath>
#include <functional>
#include <iostream>
#include <limits>
#include <set>

#include "search/arch_genes.h"
#include "search/hypervolume.h"
#include "search/nsga2.h"
#include "search/pareto.h"
#include "search/random_search.h"
#include "search/state_format.h"
#include "search/zdt.h"
#include "space/error.h"
#include "space/hash.h"
#include "tests/expect_error.h"

using namespace qtnas;

namespace {

using qtnas::testing::expect_error;

using Evaluate = std::function<Evaluated(const std::string&)>;

Evaluate zdt_evaluator(const Zdt& zdt) {
  return [&zdt](const std::string& key) { return Evaluated{key, zdt.evaluate(key), 0, true, ""}; };
}

// One generation of the ask/tell loop; returns the proposed keys.
std::vector<std::string> step(Searcher& searcher, const Evaluate& evaluate) {
  const auto keys = searcher.propose();
  std::vector<Evaluated> results;
  for (const auto& key : keys) results.push_back(evaluate(key));
  searcher.observe(results);
  return keys;
}

// Every key proposed over `generations` generations, failing the test if one comes twice.
std::vector<std::string> run(Searcher& searcher, const Evaluate& evaluate, int generations) {
  std::vector<std::string> all;
  std::set<std::string> seen;
  for (int g = 0; g < generations; ++g) {
    for (const auto& key : step(searcher, evaluate)) {
      EXPECT_TRUE(seen.insert(key).second) << "proposed twice: " << key;
      all.push_back(key);
    }
  }
  return all;
}

}  // namespace

TEST(Zdt, ObjectivesOnTheGrid) {
  // 5 levels: x = level / 4. With x1 = 1/4 and the rest 0 (g = 1): ZDT1 f2 = 1 - 1/2; ZDT2 f2 = 1 - 1/16;
  // ZDT3 f2 = 1 - 1/2 - sin(2.5 pi) / 4 = 1/4.
  ZdtConfig config;
  config.variables = 3;
  config.levels = 5;
  const std::vector<double> expected_f2 = {0.5, 15.0 / 16, 0.25};
  for (int p = 0; p < 3; ++p) {
    config.problem = static_cast<ZdtProblem>(p);
    const Zdt zdt(config);
    const auto f = zdt.evaluate("1,0,0");
    ASSERT_EQ(f.size(), 2u);
    EXPECT_DOUBLE_EQ(f[0], 0.25) << to_string(config.problem);
    EXPECT_NEAR(f[1], expected_f2[p], 1e-12) << to_string(config.problem);
    // All variables at 1: g = 10, f1 = 1.
    EXPECT_DOUBLE_EQ(zdt.evaluate("4,4,4")[0], 1);
  }
  config.problem = ZdtProblem::ZDT1;
  EXPECT_NEAR(Zdt(config).evaluate("4,4,4")[1], 10 * (1 - std::sqrt(0.1)), 1e-12);
  const Zdt zdt(config);
  expect_error([&] { zdt.evaluate("1,0"); }, {"2 variables", "has 3"});
  expect_error([&] { zdt.evaluate("1,0,5"); }, {"variable 2", "'5'", "0..4"});
  expect_error([&] { zdt.evaluate("1,,0"); }, {"variable 1"});
  expect_error([&] { zdt.evaluate("1,0,0 "); }, {"variable 2"});
  expect_error([] { Zdt(ZdtConfig{ZdtProblem::ZDT1, 1, 10, 20}); }, {"at least 2 variables"});
}

TEST(Zdt, OperatorsStayOnTheGrid) {
  const Zdt zdt{ZdtConfig{ZdtProblem::ZDT2, 4, 3, 20}};
  Rng rng(9);
  std::set<std::string> keys;
  for (int i = 0; i < 2000; ++i) {
    const std::string a = zdt.sample(rng);
    const std::string b = zdt.sample(rng);
    const std::string m = zdt.mutate(a, rng);
    const std::string c = zdt.crossover(a, b, rng);
    for (const auto& key : {a, m, c}) ASSERT_EQ(zdt.key(zdt.parse(key)), key);
    ASSERT_NE(m, a) << "mutation always changes the key, at the grid's edges too";
    keys.insert(m);
  }
  EXPECT_EQ(keys.size(), 81u) << "mutation reaches every point of a 3^4 grid";
  Rng r1(3), r2(3);
  EXPECT_EQ(zdt.crossover("0,1,2,2", "2,2,0,1", r1), zdt.crossover("0,1,2,2", "2,2,0,1", r2));
}

namespace {

SpaceConfig small_space() {
  SpaceConfig config;
  config.layers = 4;
  config.max_heads = 4;
  config.ffn_choices = {0, 256, 512, 1024};
  return config;
}

// A toy additive latency predictor: each active layer costs a fixed part plus parts for heads and FFN width,
// scaled by precision and sparsity.
double toy_latency_ms(const Arch& arch) {
  double total = 0.05;
  for (const auto& l : arch.layers) {
    if (l.skipped()) continue;
    const double precision = l.precision == Precision::FP32 ? 1.0 : l.precision == Precision::BF16 ? 0.6 : 0.4;
    total += 0.1 + (0.2 * l.heads + 0.5 * l.ffn / 1024.0) * precision * (1 - l.sparsity_pct / 200.0);
  }
  return total;
}

}  // namespace

TEST(ArchGenes, OperatorsGiveValidCanonicalArchs) {
  const ArchGeneOps genes{SearchSpace(small_space())};
  EXPECT_DOUBLE_EQ(genes.gene_probability(), 1.0 / 20);
  Rng rng(2);
  for (int i = 0; i < 500; ++i) {
    const std::string a = genes.sample(rng);
    const std::string b = genes.sample(rng);
    const std::string m = genes.mutate(a, rng);
    const std::string c = genes.crossover(a, b, rng);
    for (const auto& key : {a, b, m, c}) {
      const Arch arch = parse_arch(key);
      ASSERT_NO_THROW(genes.space().validate(arch)) << key;
      ASSERT_EQ(to_string(arch), key) << "keys are canonical";
    }
    ASSERT_NE(m, a);
    ASSERT_EQ(genes.repair(a, rng), a) << "no predictor: repair changes nothing";
  }
  expect_error([&] { genes.mutate("h4-f1024-s0-fp32", rng); }, {"1 layers", "the space has 4"});
  expect_error([&] { genes.mutate("h4-f1024-s0-fp16,skip,skip,skip", rng); }, {"'fp16'"});
  ArchGeneOptions bad;
  bad.gene_probability = 1.5;
  expect_error([&] { ArchGeneOps(SearchSpace(small_space()), bad); }, {"gene probability", "1.5"});
}

TEST(ArchGenes, EveryShrinkingMoveShrinks) {
  const SearchSpace space(small_space());
  const ArchGeneOps genes{space};
  Rng rng(4);
  for (int i = 0; i < 300; ++i) {
    const Arch arch = space.sample(rng);
    const auto moves = genes.shrinking_moves(arch);
    for (const Arch& moved : moves) {
      ASSERT_TRUE(space.problems(moved).empty()) << to_string(moved);
      ASSERT_EQ(moved, normalized(moved));
      ASSERT_LT(space.size(moved).size_bytes, space.size(arch).size_bytes) << to_string(arch) << " -> "
                                                                          << to_string(moved);
      ASSERT_LT(toy_latency_ms(moved), toy_latency_ms(arch));
    }
  }
  // One layer with only the narrowest FFN, int8 at the highest sparsity: no move left (skipping it would leave
  // fewer than min_active_layers, removing the FFN would empty it).
  EXPECT_TRUE(genes.shrinking_moves(parse_arch("h0-f256-s90-int8,skip,skip,skip")).empty());
  EXPECT_EQ(genes.shrinking_moves(parse_arch("h1-f256-s90-int8,skip,skip,skip")),
            (std::vector<Arch>{parse_arch("h0-f256-s90-int8,skip,skip,skip"),
                               parse_arch("h1-f0-s90-int8,skip,skip,skip")}));
  EXPECT_EQ(genes.shrinking_moves(parse_arch("h1-f256-s90-int8,h1-f256-s90-int8,skip,skip")).size(), 6u);
}

TEST(ArchGenes, AShrinkingMoveLowersAKeepRatioAndTheLayersAfterIt) {
  SpaceConfig c = small_space();
  c.keep_pct_choices = {50, 100};
  const ArchGeneOps genes{SearchSpace(c)};
  const auto moves = genes.shrinking_moves(parse_arch("h1-f256-s90-int8,h1-f256-s90-int8,skip,skip"));
  EXPECT_EQ(moves.size(), 8u);
  const auto has = [&](const std::string& text) {
    return std::find(moves.begin(), moves.end(), parse_arch(text)) != moves.end();
  };
  EXPECT_TRUE(has("h1-f256-s90-int8-k50,h1-f256-s90-int8-k50,skip,skip"));
  EXPECT_TRUE(has("h1-f256-s90-int8,h1-f256-s90-int8-k50,skip,skip"));
  for (const Arch& moved : moves) ASSERT_TRUE(genes.space().problems(moved).empty()) << to_string(moved);
}

TEST(ArchGenes, RepairBringsArchsUnderTheBudget) {
  ArchGeneOptions options;
  options.predict_latency_ms = toy_latency_ms;
  options.latency_budget_ms = 0.6;
  const ArchGeneOps genes(SearchSpace(small_space()), options);
  Rng rng(8);
  int repaired = 0;
  for (int i = 0; i < 300; ++i) {
    const std::string key = genes.sample(rng);
    Rng copy = rng;
    const std::string fixed = genes.repair(key, rng);
    ASSERT_EQ(genes.repair(key, copy), fixed) << "deterministic given the Rng";
    ASSERT_TRUE(genes.space().problems(parse_arch(fixed)).empty()) << fixed;
    ASSERT_LE(toy_latency_ms(parse_arch(fixed)), 0.6) << key << " -> " << fixed;
    if (toy_latency_ms(parse_arch(key)) <= 0.6) {
      ASSERT_EQ(fixed, key) << "an arch within budget is left alone";
    } else {
      ++repaired;
    }
  }
  EXPECT_GT(repaired, 100);
  // An impossible budget: repair stops at an arch with no shrinking move left, still valid.
  options.latency_budget_ms = 0.0;
  const ArchGeneOps impossible(SearchSpace(small_space()), options);
  const std::string smallest = impossible.repair(to_string(impossible.space().largest()), rng);
  EXPECT_TRUE(impossible.shrinking_moves(parse_arch(smallest)).empty()) << smallest;
}

namespace {

struct HvResult {
  double nsga2 = 0;
  double random = 0;
};

HvResult zdt_hypervolumes(ZdtProblem problem, uint64_t seed) {
  const Zdt zdt{ZdtConfig{problem, 30, 1000, 20}};
  const std::vector<double> reference = {1.1, 11};
  Nsga2Config nc;
  nc.population = 20;
  nc.seed = seed;
  Nsga2 nsga2(zdt, nc);
  RandomSearchConfig rc;
  rc.population = 20;
  rc.seed = seed;
  RandomSearch random(zdt, rc);
  const auto a = run(nsga2, zdt_evaluator(zdt), 30);
  const auto b = run(random, zdt_evaluator(zdt), 30);
  EXPECT_EQ(a.size(), 600u);
  EXPECT_EQ(b.size(), 600u);
  EXPECT_EQ(nsga2.generation(), 30);
  return {hypervolume(nsga2.front(), reference), hypervolume(random.front(), reference)};
}

}  // namespace

TEST(Search, Nsga2BeatsRandomSearchOnZdt) {
  for (ZdtProblem problem : {ZdtProblem::ZDT1, ZdtProblem::ZDT2, ZdtProblem::ZDT3}) {
    HvResult mean;
    const int seeds = 3;
    for (uint64_t seed = 1; seed <= seeds; ++seed) {
      const HvResult r = zdt_hypervolumes(problem, seed);
      mean.nsga2 += r.nsga2 / seeds;
      mean.random += r.random / seeds;
    }
    std::cout << to_string(problem) << ": hypervolume (ref 1.1, 11) after 600 evaluations, mean of " << seeds
              << " seeds: nsga2 " << mean.nsga2 << ", random " << mean.random << "\n";
    EXPECT_GT(mean.nsga2, mean.random) << to_string(problem);
  }
}

namespace {

// Runs A for `generations`, optionally observes half of the next batch, then copies A's state through text
// into a fresh B; both continue and must agree on every proposal, front and final state.
template <typename S, typename Config>
void expect_round_trip(const GeneOps& genes, const Config& config, const Evaluate& evaluate, int generations,
                       bool mid_batch) {
  S a(genes, config);
  run(a, evaluate, generations);
  if (mid_batch) {
    const auto keys = a.propose();
    ASSERT_GE(keys.size(), 2u);
    a.observe({evaluate(keys[0]), evaluate(keys[1])});
  }
  Config other = config;
  other.seed = config.seed + 1000;  // the restored Rng state, not the seed, decides what follows
  S b(genes, other);
  b.restore(nlohmann::json::parse(a.state().dump()));
  EXPECT_EQ(b.state().dump(), a.state().dump());
  EXPECT_EQ(b.generation(), a.generation());
  for (int g = 0; g < 8; ++g) {
    const auto ka = step(a, evaluate);
    const auto kb = step(b, evaluate);
    ASSERT_EQ(ka, kb) << "generation " << a.generation();
    ASSERT_EQ(a.front(), b.front());
    ASSERT_EQ(a.population(), b.population());
  }
  EXPECT_EQ(a.state().dump(), b.state().dump());
}

}  // namespace

TEST(Search, StateRoundTripContinuesBitIdentically) {
  const Zdt zdt{ZdtConfig{ZdtProblem::ZDT3, 10, 1000, 20}};
  Nsga2Config nc;
  nc.population = 12;
  nc.seed = 21;
  RandomSearchConfig rc;
  rc.population = 12;
  rc.seed = 21;
  for (bool mid_batch : {false, true}) {
    expect_round_trip<Nsga2>(zdt, nc, zdt_evaluator(zdt), 5, mid_batch);
    expect_round_trip<RandomSearch>(zdt, rc, zdt_evaluator(zdt), 5, mid_batch);
  }
  // Arch search with failures and constraint violations, whose state holds errors and infeasible results.
  ArchGeneOptions options;
  options.predict_latency_ms = toy_latency_ms;
  options.latency_budget_ms = 1.0;
  const ArchGeneOps genes(SearchSpace(small_space()), options);
  int failed = 0, infeasible = 0;
  const Evaluate evaluate_arch = [&](const std::string& key) {
    const Arch arch = parse_arch(key);
    if (stable_hash(key) % 5 == 0) {
      ++failed;
      return Evaluated{key, {}, 0, false, "evaluation crashed"};
    }
    const double size_mb = genes.space().size(arch).size_bytes / 1e6;
    infeasible += size_mb > 8.6;
    return Evaluated{key, {size_mb, 1.0 / (1 + arch.active_layers())}, std::max(0.0, size_mb - 8.6), true, ""};
  };
  expect_round_trip<Nsga2>(genes, nc, evaluate_arch, 4, true);
  EXPECT_GT(failed, 5);
  EXPECT_GT(infeasible, 5);
}

TEST(Search, RestoreRefusesOtherStates) {
  const Zdt zdt{ZdtConfig{}};
  Nsga2 nsga2(zdt, Nsga2Config{});
  RandomSearch random(zdt, RandomSearchConfig{});
  run(nsga2, zdt_evaluator(zdt), 1);
  const nlohmann::json state = nsga2.state();
  expect_error([&] { random.restore(state); }, {"written by '\"nsga2\"'", "'random'"});
  nlohmann::json newer = state;
  newer["format"] = kSearcherStateFormat + 1;
  expect_error([&] { nsga2.restore(newer); }, {"format 2", "format 1 and older"});
  Nsga2Config bigger;
  bigger.population = 30;
  Nsga2 other(zdt, bigger);
  expect_error([&] { other.restore(state); }, {"config", "\"population\":20", "\"population\":30"});
  nlohmann::json broken = state;
  broken["population"].push_back("1,2,3");
  expect_error([&] { nsga2.restore(broken); }, {"'1,2,3'", "no ok result"});
  broken = state;
  broken["rng"] = "0 0 0 0";
  expect_error([&] { nsga2.restore(broken); }, {"all zero"});
  // A refused state leaves the searcher as it was.
  EXPECT_EQ(nsga2.state(), state);
}

TEST(Search, ObserveTakesOnlyTheOpenBatch) {
  const Zdt zdt{ZdtConfig{}};
  Nsga2 nsga2(zdt, Nsga2Config{});
  const auto evaluate = zdt_evaluator(zdt);
  const auto keys = nsga2.propose();
  ASSERT_EQ(keys.size(), 20u);
  EXPECT_EQ(nsga2.propose(), keys) << "an open batch is proposed again, not redrawn";
  Rng other_rng(999);
  const std::string stranger = zdt.sample(other_rng);
  expect_error([&] { nsga2.observe({evaluate(keys[0]), evaluate(stranger)}); }, {"was not proposed"});
  expect_error([&] { nsga2.observe({evaluate(keys[0]), evaluate(keys[0])}); }, {"observed twice"});
  EXPECT_EQ(nsga2.propose(), keys) << "a refused observe records nothing";
  expect_error([&] { nsga2.observe({evaluate(keys[1]), Evaluated{keys[0], {1, 2, 3}, 0, true, ""}}); },
               {"has 3 objectives; the search has 2"});
  // Partial observations: the generation ends with the last key of the batch.
  nsga2.observe({evaluate(keys[3])});
  EXPECT_EQ(nsga2.propose().size(), 19u);
  EXPECT_EQ(nsga2.generation(), 0);
  std::vector<Evaluated> rest;
  for (const auto& key : nsga2.propose()) rest.push_back(evaluate(key));
  nsga2.observe(rest);
  EXPECT_EQ(nsga2.generation(), 1);
  EXPECT_EQ(nsga2.population().size(), 20u);
  expect_error([&] { nsga2.observe({evaluate(keys[3])}); }, {"was not proposed"});
  expect_error([] { Nsga2Config c; c.crossover_probability = 2; validate(c); }, {"crossover probability"});
}

TEST(Search, NoKeyIsProposedTwiceEvenInATinySpace) {
  // 2 layers, each skipped or one of 3 widths x 2 precisions: 7 * 7 - 1 = 48 archs.
  SpaceConfig config;
  config.layers = 2;
  config.max_heads = 1;
  config.ffn_choices = {0, 256};
  config.sparsity_pct_choices = {0};
  config.precisions = {Precision::FP32, Precision::INT8};
  const ArchGeneOps genes{SearchSpace(config)};
  const Evaluate evaluate = [&](const std::string& key) {
    const ArchSize size = genes.space().size(parse_arch(key));
    return Evaluated{key, {double(size.size_bytes), -double(size.params)}, 0, true, ""};
  };
  Nsga2Config nc;
  nc.population = 10;
  Nsga2 nsga2(genes, nc);
  const auto nsga2_keys = run(nsga2, evaluate, 12);
  EXPECT_LE(nsga2_keys.size(), 48u);
  EXPECT_GT(nsga2_keys.size(), 40u) << "the bounded retries still find most of the space";
  RandomSearchConfig rc;
  rc.population = 10;
  RandomSearch random(genes, rc);
  const auto random_keys = run(random, evaluate, 12);
  EXPECT_GT(random_keys.size(), 40u);
  EXPECT_TRUE(random.propose().empty()) << "an exhausted space gives an empty batch";
  EXPECT_LE(random.cache().results().size(), 48u);
}

TEST(Search, FailedCandidatesNeverEnterThePopulation) {
  const Zdt zdt{ZdtConfig{ZdtProblem::ZDT1, 10, 1000, 20}};
  std::set<std::string> failed;
  const Evaluate flaky = [&](const std::string& key) {
    if (stable_hash(key) % 3 == 0) {
      failed.insert(key);
      return Evaluated{key, {}, 0, false, "simulated crash"};
    }
    // Some results come back NaN: the searcher must treat them as failures too.
    if (stable_hash(key) % 7 == 0) {
      failed.insert(key);
      return Evaluated{key, {std::nan(""), 1}, 0, true, ""};
    }
    return Evaluated{key, zdt.evaluate(key), 0, true, ""};
  };
  Nsga2Config nc;
  nc.population = 16;
  nc.seed = 3;
  Nsga2 nsga2(zdt, nc);
  RandomSearchConfig rc;
  rc.population = 16;
  rc.seed = 3;
  RandomSearch random(zdt, rc);
  for (Searcher* s : std::initializer_list<Searcher*>{&nsga2, &random}) {
    for (int g = 0; g < 10; ++g) {
      run(*s, flaky, 1);
      for (const auto& e : s->population()) ASSERT_FALSE(failed.count(e.key)) << e.key;
      for (const auto& e : s->front()) ASSERT_TRUE(e.feasible());
    }
    EXPECT_FALSE(s->front().empty());
  }
  EXPECT_GT(failed.size(), 50u);
  EXPECT_EQ(nsga2.population().size(), 16u);
  const Evaluated* nan = nullptr;
  for (const auto& e : nsga2.cache().results()) {
    if (!e.ok && e.error.find("NaN") != std::string::npos) nan = &e;
  }
  EXPECT_NE(nan, nullptr) << "a NaN result is recorded as failed";

  // When every candidate fails, the next batch is sampled afresh.
  Nsga2 doomed(zdt, nc);
  const Evaluate always_fails = [](const std::string& key) { return Evaluated{key, {}, 0, false, "no"}; };
  const auto keys = run(doomed, always_fails, 3);
  EXPECT_EQ(keys.size(), 48u);
  EXPECT_TRUE(doomed.population().empty());
  EXPECT_TRUE(doomed.front().empty());
}

TEST(Search, Nsga2KeepsArchProposalsWithinTheLatencyBudget) {
  ArchGeneOptions options;
  options.predict_latency_ms = toy_latency_ms;
  options.latency_budget_ms = 0.8;
  const ArchGeneOps genes(SearchSpace(small_space()), options);
  const Evaluate evaluate = [&](const std::string& key) {
    const Arch arch = parse_arch(key);
    const double latency = toy_latency_ms(arch);
    // Minimize latency and maximize a crude capacity proxy (parameters).
    const double params_m = genes.space().size(arch).params / 1e6;
    return Evaluated{key, {latency, -params_m}, std::max(0.0, latency - 0.8), true, ""};
  };
  Nsga2Config nc;
  nc.population = 16;
  nc.seed = 7;
  Nsga2 nsga2(genes, nc);
  for (const auto& key : run(nsga2, evaluate, 10)) ASSERT_LE(toy_latency_ms(parse_arch(key)), 0.8) << key;
  const auto front = nsga2.front();
  ASSERT_FALSE(front.empty());
  for (size_t i = 0; i < front.size(); ++i) {
    for (size_t j = 0; j < front.size(); ++j) EXPECT_FALSE(dominates(front[i].objectives, front[j].objectives));
  }
}
