// Tests of runs/: the run store (round trip, refusals, a second writer refused, readers not), the rule of the
// final choice, and the search loop resumed in process. Resume after kill -9 and the exported model:
// search_cli_test.cpp.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "evaluators/proxy_evaluator.h"
#include "runs/budgets.h"
#include "runs/export_job.h"
#include "runs/final_choice.h"
#include "runs/run_report.h"
#include "runs/run_store.h"
#include "runs/search_run.h"
#include "space/error.h"
#include "tests/expect_error.h"
#include "tests/files.h"
#include "tests/fixtures.h"
#include "tests/toy_latency.h"
#include "latency_models/measurement_store.h"
#include "latency_models/profiler.h"

namespace fs = std::filesystem;
using namespace qtnas;

namespace {

using qtnas::testing::read_file;

fs::path scratch(const std::string& name) { return qtnas::testing::scratch_dir("qtnas_runs_test") / name; }

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

// The final choice (runs/final_choice.h) on a front written by hand, under the run's budget of 1 ms: the most
// accurate member is infeasible; the next is within the budget by prediction but measured over it; so the third,
// within by prediction and never measured, is chosen. A budget given instead (--best-under-ms) applies on top of
// feasibility; nothing within it is refused with the fastest feasible member's latency.
TEST(FinalChoice, MostAccurateFeasibleMemberWithinTheBudgetByMeasurementElsePrediction) {
  const SearchSpace space(qtnas::testing::tiny_space());
  const fs::path path = scratch("final_choice.sqlite");
  RunStore store(path.string(), RunStore::Mode::Write);
  RunInfo info = toy_info(space);
  SearchConfig config;
  config.latency_budget_ms = 1.0;
  info.config = {{"search", to_json(config)}};
  store.create_run(info);
  auto member = [](const char* arch, double accuracy, double latency_pred_ms, bool feasible) {
    CandidateRecord c;
    c.arch = arch;
    c.accuracy = accuracy;
    c.latency_pred_ms = latency_pred_ms;
    c.feasible = feasible;
    return c;
  };
  const std::vector<CandidateRecord> members = {
      member("h2-f64-s0-fp32,h2-f64-s0-fp32", 0.90, 1.30, false),  // infeasible
      member("h2-f64-s0-int8,h2-f64-s0-int8", 0.80, 0.95, true),   // measured at 1.2 ms below
      member("h2-f32-s0-int8,h1-f32-s0-int8", 0.70, 0.80, true),   // never measured
      member("h1-f32-s0-int8,skip", 0.60, 0.50, true)};            // measured at 0.45 ms below
  std::vector<std::string> archs;
  for (const auto& c : members) archs.push_back(c.arch);
  store.commit_generation({0, 4, 0.5, 0.8, 1.0, {}}, members, archs, archs);
  store.add_measurement({members[1].arch, 1.2, 0.01, 5, 0, nlohmann::json::object()});
  store.add_measurement({members[3].arch, 0.45, 0.01, 5, 0, nlohmann::json::object()});

  // By prediction alone the second member would win; its measurement rules it out.
  EXPECT_EQ(final_choice(members, 1.0)->arch, members[1].arch);
  EXPECT_EQ(final_choice(store).arch, members[2].arch);
  EXPECT_EQ(final_choice(store, 1.0).arch, members[2].arch);
  EXPECT_EQ(final_choice(store, 0.6).arch, members[3].arch);
  // A looser budget admits the member measured between the two budgets, never the infeasible one.
  EXPECT_EQ(final_choice(store, 1.25).arch, members[1].arch);
  EXPECT_EQ(final_choice(store, 5.0).arch, members[1].arch);
  EXPECT_FALSE(final_choice(store.front(), 0.4).has_value());
  qtnas::testing::expect_error(
      [&] { final_choice(store, 0.4); },
      {fmt::format("no front member of run '{}' is within 0.4 ms (the fastest takes 0.450 ms)", path.string())});

  // What an export takes: the candidate named by id, else the final choice under the budget given.
  const std::vector<CandidateRecord> front = store.front();
  EXPECT_EQ(export_choice(store, front[0].id, std::nullopt).arch, front[0].arch);
  EXPECT_EQ(export_choice(store, std::nullopt, std::nullopt).arch, members[2].arch);
  EXPECT_EQ(export_choice(store, std::nullopt, 0.6).arch, members[3].arch);
  qtnas::testing::expect_error([&] { export_choice(store, 999, std::nullopt); },
                               {fmt::format("run '{}' has no evaluated candidate with id 999", path.string())});
  // Which request options combine: a run or an arch, and a run's candidate chosen exactly one way.
  const auto refused = [](auto edit, const std::string& message) {
    ExportRequest r;
    edit(r);
    qtnas::testing::expect_error([&] { export_source(r); }, {message});
  };
  const std::string run_or_arch = "give a run (--db RUN.sqlite) or an arch (--supernet CKPT --arch A)";
  refused([](ExportRequest&) {}, run_or_arch);
  refused([&](ExportRequest& r) { r.db = path.string(), r.arch = "largest"; }, run_or_arch);
  const std::string one_choice = "give exactly one of --id N, --best-under-ms X and --best";
  refused([&](ExportRequest& r) { r.db = path.string(); }, one_choice);
  refused([&](ExportRequest& r) { r.db = path.string(), r.best = true, r.id = front[0].id; }, one_choice);
  const std::string arch_of_supernet = "--arch exports an arch of --supernet CKPT";
  refused([](ExportRequest& r) { r.arch = "largest"; }, arch_of_supernet);
  refused([](ExportRequest& r) { r.supernet = "s.pt", r.arch = "largest", r.best = true; }, arch_of_supernet);

  // A front with no feasible member has no final choice under any budget.
  const fs::path none_path = scratch("final_choice_infeasible.sqlite");
  RunStore none(none_path.string(), RunStore::Mode::Write);
  none.create_run(info);
  none.commit_generation({0, 1, 0.0, std::nullopt, 1.0, {}}, {members[0]}, {archs[0]}, {archs[0]});
  qtnas::testing::expect_error([&] { final_choice(none, 5.0); },
                               {fmt::format("no front member of run '{}' is feasible", none_path.string())});
}

// What `qtnas front` and a finished search show of a run: members within a budget by their best latency (measured
// over predicted), their JSON rows, the table, and the summary with a Kendall tau that was not computed.
TEST(RunReport, FrontWithinABudgetItsRowsAndTheSummary) {
  const SearchSpace space(qtnas::testing::tiny_space());
  const fs::path path = scratch("run_report.sqlite");
  RunStore store(path.string(), RunStore::Mode::Write);
  store.create_run(toy_info(space));
  CandidateRecord slow, fast;
  slow.arch = "h2-f64-s0-fp32,h2-f64-s0-fp32";
  slow.accuracy = 0.9;
  slow.latency_pred_ms = 0.5;  // measured at 2 ms below: over a budget of 1 ms
  fast.arch = "h1-f32-s0-int8,skip";
  fast.accuracy = 0.7;
  fast.latency_pred_ms = 0.8;
  store.commit_generation({0, 2, 0.5, 0.9, 1.0, {}}, {slow, fast}, {slow.arch, fast.arch}, {slow.arch, fast.arch});
  store.add_measurement({slow.arch, 2.0, 0.01, 5, 0, nlohmann::json::object()});

  EXPECT_EQ(front_within(store, 0).size(), 2u);
  const std::vector<CandidateRecord> within = front_within(store, 1.0);
  ASSERT_EQ(within.size(), 1u);
  EXPECT_EQ(within[0].arch, fast.arch);
  const std::vector<CandidateRecord> all = front_within(store, 0);
  const auto measured = std::find_if(all.begin(), all.end(), [&](const auto& c) { return c.arch == slow.arch; });
  ASSERT_NE(measured, all.end());
  const nlohmann::json row = to_json(*measured);
  EXPECT_DOUBLE_EQ(row["latency_ms"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(row["latency_pred_ms"].get<double>(), 0.5);
  EXPECT_TRUE(row["accuracy_full"].is_null());
  const std::string table = front_table(store, within, 1.0);
  EXPECT_NE(table.find("within 1 ms: 1 members"), std::string::npos) << table;
  EXPECT_NE(table.find(fast.arch), std::string::npos) << table;
  EXPECT_EQ(table.find(slow.arch), std::string::npos) << table;

  const nlohmann::json summary = search_summary(store, 1.0, std::nan(""));
  EXPECT_EQ(summary["front_size"].get<size_t>(), 2u);
  EXPECT_EQ(summary["candidates"].get<size_t>(), 2u);
  EXPECT_TRUE(summary["subset_vs_full_kendall_tau"].is_null());
  EXPECT_NE(describe_search_summary(summary, path.string()).find("Kendall tau n/a"), std::string::npos);
}

// Budgets without solution are refused, naming what the fastest or smallest arch needs; others pass.
TEST(Budgets, WithoutSolutionAreRefusedBeforeARunStarts) {
  const SearchSpace space(qtnas::testing::tiny_space());
  const AdditiveLatencyModel model = qtnas::testing::toy_latency_model(space, 1);
  SearchConfig config;
  config.latency_budget_ms = 10;
  check_budgets_feasible(space, model, config);
  config.size_budget_mb = 1;
  check_budgets_feasible(space, model, config);
  config.latency_budget_ms = 0;
  qtnas::testing::expect_error([&] { check_budgets_feasible(space, model, config); }, {"must be positive"});
  config.latency_budget_ms = 0.01;
  qtnas::testing::expect_error([&] { check_budgets_feasible(space, model, config); },
                               {"no arch can meet a latency budget of 0.01 ms", "fastest arch"});
  config.latency_budget_ms = 10;
  config.size_budget_mb = 1e-4;
  qtnas::testing::expect_error([&] { check_budgets_feasible(space, model, config); },
                               {"no arch can meet a size budget of 0.0001 MB", "embeddings alone"});
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
  ProxyFidelities evaluation(net, val, 100, search_parallelism(config));
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


// The closed loop, qtnas search's default, with deterministic fake measurements: this "machine" runs every
// subnet 1.4x slower than the latency model predicts. Each generation measures at most
// measure_per_generation feasible front members and refits the predictor with them; the final choice is the
// most accurate feasible front member whose measured latency is within the budget.
TEST(SearchRun, ClosedLoopMeasuresTheFrontRefitsAndChoosesAMeasuredArchWithinTheBudget) {
  torch::manual_seed(0);
  const SpaceConfig sc = qtnas::testing::tiny_space(3, {0, 50});
  Supernet net(sc, 0.0);
  const EncodedSplit val = qtnas::testing::synthetic_split(200, 9);
  const AdditiveLatencyModel model = qtnas::testing::toy_latency_model(net->space(), 1);
  const fs::path latency_path = scratch("closed_loop_latency.sqlite");
  MeasurementStore latency_db(latency_path.string());
  qtnas::testing::profile_toy_machine(latency_db, net->space(), model, 40, 3);
  constexpr double kSlower = 1.4;
  std::map<std::string, int> measured;  // arch -> times measured
  auto fake_measure = [&](const Arch& arch) {
    ++measured[to_string(arch)];
    return LatencyStats{kSlower * model.table_ms(arch)};
  };
  SearchConfig config;
  config.latency_budget_ms = 0.9;
  config.population = 8;
  config.generations = 4;
  config.seed = 4;
  config.measure_per_generation = 2;
  config.threads = 1;
  ProxyFidelities evaluation(net, val, 100, search_parallelism(config));
  RunStore store(scratch("closed_loop.sqlite").string(), RunStore::Mode::Write);
  store.create_run(toy_info(net->space()));
  SearchRun run(store, config, net, evaluation, model, &latency_db, fake_measure);
  std::vector<size_t> measured_after;  // archs measured by the end of each generation
  run.run([&](const GenerationReport&) { measured_after.push_back(measured.size()); });

  // Measured: at most 2 a generation, feasible members of that generation's front, each once, stored as measured.
  ASSERT_EQ(measured_after.size(), 4u);
  EXPECT_GT(measured_after.front(), 0u);
  for (size_t g = 0; g < measured_after.size(); ++g) {
    EXPECT_LE(measured_after[g] - (g ? measured_after[g - 1] : 0), 2u) << "generation " << g;
  }
  EXPECT_LE(measured.size() - measured_after.back(), 8u) << "the final choice tries at most 8 members";
  for (const auto& [arch, times] : measured) {
    EXPECT_EQ(times, 1) << arch;
    const auto m = store.measurement(arch);
    ASSERT_TRUE(m.has_value()) << arch;
    EXPECT_DOUBLE_EQ(m->latency_ms, kSlower * model.table_ms(parse_arch(arch)));
    auto feasible_member = [&](const std::vector<CandidateRecord>& front) {
      return std::any_of(front.begin(), front.end(), [&](const CandidateRecord& c) { return c.arch == arch && c.feasible; });
    };
    EXPECT_TRUE(feasible_member(store.front(m->generation)) || feasible_member(store.front()))
        << arch << " was neither a feasible front member of generation " << m->generation << " nor of the last";
  }

  // The predictor was refitted on the latency database plus every measurement of the run, and learned that the
  // machine is slower than it had predicted.
  std::vector<SubnetMeasurement> run_measurements;
  for (const auto& c : store.candidates()) {
    if (c.latency_measured_ms) run_measurements.push_back({parse_arch(c.arch), *c.latency_measured_ms});
  }
  ASSERT_EQ(run_measurements.size(), measured.size());
  const AdditiveLatencyModel refit = fit_from_store(net->space(), model.environment(), latency_db, 0.25,
                                                    run_measurements).model;
  double before = 0, after = 0;
  for (const auto& m : run_measurements) {
    EXPECT_DOUBLE_EQ(run.model().predict_ms(m.arch), refit.predict_ms(m.arch)) << to_string(m.arch);
    before += std::fabs(model.predict_ms(m.arch) - m.latency_ms);
    after += std::fabs(run.model().predict_ms(m.arch) - m.latency_ms);
  }
  EXPECT_LT(after, 0.8 * before) << "the refit did not move the predictor toward the measurements";

  // The final choice: the most accurate feasible front member measured within the budget; any more accurate
  // feasible member was measured over it.
  std::vector<CandidateRecord> ranked = store.front();
  std::sort(ranked.begin(), ranked.end(),
            [](const CandidateRecord& a, const CandidateRecord& b) { return a.best_accuracy() > b.best_accuracy(); });
  bool chosen = false;
  for (const auto& c : ranked) {
    if (!c.feasible) continue;
    const auto m = store.measurement(c.arch);
    ASSERT_TRUE(m.has_value()) << "a more accurate feasible member was never measured: " << c.arch;
    if (m->latency_ms <= config.latency_budget_ms) {
      chosen = true;
      break;
    }
  }
  EXPECT_TRUE(chosen) << "no front member measured within the budget";
  // The rule that `qtnas export --best` applies picks a member the run measured within the budget.
  const std::optional<CandidateRecord> choice = final_choice(store.front(), config.latency_budget_ms);
  ASSERT_TRUE(choice.has_value());
  ASSERT_TRUE(choice->latency_measured_ms.has_value()) << choice->arch;
  EXPECT_LE(*choice->latency_measured_ms, config.latency_budget_ms) << choice->arch;
}
