// Tests of runs/: the run store (round trip, refusals, a second writer refused, readers not) and the search
// loop resumed in process. Resume after kill -9 and the exported model: search_cli_test.cpp.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include <nlohmann/json.hpp>

#include "evaluators/proxy_evaluator.h"
#include "runs/run_store.h"
#include "runs/search_run.h"
#include "space/error.h"
#include "tests/files.h"
#include "tests/fixtures.h"
#include "tests/toy_latency.h"

namespace fs = std::filesystem;
using namespace qtnas;

namespace {

using qtnas::testing::read_file;

fs::path scratch(const std::string& name) { return qtnas::testing::fresh_database("qtnas_runs_test", name); }

RunInfo toy_info(const SearchSpace& space) {
  RunInfo info;
  info.space = space.config();
  info.space_hash = space.hash_hex();
  info.config = {{"note", "test"}};
  info.supernet_path = info.predictor_path = "/nowhere";
  info.supernet_hash = info.predictor_hash = "0";
  return info;
}

}  // namespace

TEST(RunStore, RoundTripRefusalsAndSecondWriter) {
  const SearchSpace space(qtnas::testing::tiny_space());
  const fs::path path = scratch("store.sqlite");
  {
    RunStore store(path.string(), RunStore::Mode::Write);
    store.create_run(toy_info(space));
    EXPECT_THROW(store.create_run(toy_info(space)), Error);
    CandidateRecord a;
    a.arch = "h1-f32-s0-int8,skip";
    a.accuracy = 0.5;
    a.latency_pred_ms = 1.5;
    a.feasible = true;
    CandidateRecord b = a;
    b.arch = "h2-f64-s50-fp32,h1-f0-s0-bf16";
    b.ok = false;
    b.error = "boom";
    GenerationRecord g{0, 2, 0.25, 0.5, 1.0, {{"state", 1}}};
    store.commit_generation(g, {a, b}, {a.arch}, {a.arch});
    // A second writer, even in this process, is refused by name; readers are not.
    try {
      RunStore second(path.string(), RunStore::Mode::Write);
      FAIL() << "a second writer was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("another process"), std::string::npos) << e.what();
    }
    RunStore reader(path.string(), RunStore::Mode::Read);
    EXPECT_EQ(reader.front().size(), 1u);
  }
  RunStore reopened(path.string(), RunStore::Mode::Read);
  EXPECT_EQ(reopened.run_info().space_hash, space.hash_hex());
  const auto candidates = reopened.candidates();
  ASSERT_EQ(candidates.size(), 2u);
  EXPECT_EQ(candidates[1].error, "boom");
  EXPECT_FALSE(candidates[1].ok);
  EXPECT_EQ(reopened.last_generation()->searcher_state, (nlohmann::json{{"state", 1}}));
  EXPECT_DOUBLE_EQ(*reopened.last_generation()->best_feasible_accuracy, 0.5);
  EXPECT_EQ(reopened.front().at(0).arch, "h1-f32-s0-int8,skip");

  // Missing, foreign and newer files are refused and left as they were.
  EXPECT_THROW(RunStore(scratch("missing.sqlite").string(), RunStore::Mode::Read), Error);
  const fs::path newer = scratch("newer.sqlite");
  { RunStore s(newer.string(), RunStore::Mode::Write); }
  {
    sqlite3* db = nullptr;
    sqlite3_open(newer.string().c_str(), &db);
    sqlite3_exec(db, "PRAGMA user_version=9", nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  const std::string before = read_file(newer);
  try {
    RunStore s(newer.string(), RunStore::Mode::Write);
    FAIL() << "a newer schema was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
  EXPECT_EQ(read_file(newer), before);
}

TEST(RunStore, MigratesVersion1Measurements) {
  const fs::path path = scratch("v1.sqlite");
  { RunStore s(path.string(), RunStore::Mode::Write); }
  {  // Version 1 called the measured latency median_ms.
    sqlite3* db = nullptr;
    sqlite3_open(path.string().c_str(), &db);
    sqlite3_exec(db,
                 "ALTER TABLE latency_measurements RENAME COLUMN latency_ms TO median_ms;"
                 "INSERT INTO latency_measurements (arch, median_ms, mad_ms, samples, generation, environment) "
                 "VALUES ('h1-f32-s0-int8,skip', 1.25, 0.1, 7, 3, '{}'); PRAGMA user_version=1;",
                 nullptr, nullptr, nullptr);
    sqlite3_close(db);
  }
  RunStore migrated(path.string(), RunStore::Mode::Write);
  const auto m = migrated.measurement("h1-f32-s0-int8,skip");
  ASSERT_TRUE(m.has_value());
  EXPECT_DOUBLE_EQ(m->latency_ms, 1.25);
  EXPECT_EQ(m->generation, 3);
}

TEST(SearchRun, ResumedInProcessGivesTheUninterruptedFront) {
  torch::manual_seed(0);
  const SpaceConfig sc = qtnas::testing::tiny_space(3, {0, 50});
  Supernet net(sc, 0.0);
  const EncodedSplit val = qtnas::testing::synthetic_split(200, 9);
  const AdditiveLatencyModel model = qtnas::testing::toy_latency_model(net->space(), 1);
  SearchConfig config;
  config.latency_budget_ms = 0.9;
  config.population = 8;
  config.generations = 5;
  config.seed = 4;
  config.closed_loop = false;
  config.threads = 1;
  auto front_of = [](RunStore& s) {
    std::vector<std::pair<std::string, double>> out;
    for (const auto& c : s.front()) out.emplace_back(c.arch, c.accuracy);
    return out;
  };
  ProxyEvaluation evaluation(net, val, 100, search_parallelism(config));
  const fs::path straight = scratch("straight.sqlite"), resumed = scratch("resumed.sqlite");
  RunStore a(straight.string(), RunStore::Mode::Write);
  a.create_run(toy_info(net->space()));
  SearchRun(a, config, net, evaluation, model, nullptr).run();
  {
    RunStore b(resumed.string(), RunStore::Mode::Write);
    b.create_run(toy_info(net->space()));
    SearchConfig shorter = config;
    shorter.generations = 2;
    SearchRun(b, shorter, net, evaluation, model, nullptr).run();
  }
  RunStore b(resumed.string(), RunStore::Mode::Write);
  SearchRun(b, config, net, evaluation, model, nullptr).run();
  EXPECT_EQ(front_of(a), front_of(b));
  EXPECT_FALSE(front_of(a).empty());
  EXPECT_EQ(a.generations().size(), 5u);
  for (const auto& c : a.front()) {
    EXPECT_LE(c.latency_pred_ms, config.latency_budget_ms) << c.arch;
    EXPECT_TRUE(c.accuracy_full.has_value()) << "front members get a full-validation evaluation";
  }
  const auto generations = a.generations();
  for (size_t i = 1; i < generations.size(); ++i) {
    EXPECT_GE(generations[i].hypervolume, generations[i - 1].hypervolume - 1e-12) << "NSGA-II is elitist";
  }
}

