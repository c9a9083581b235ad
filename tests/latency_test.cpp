// Tests of latency_models/: robust statistics, Kendall tau, the additive model's fit and refusal of another
// environment, the measurement database and its refusals, and a tiny end-to-end profile.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "latency_models/profiler.h"
#include "latency_models/schema.h"
#include "space/error.h"
#include "tests/expect_error.h"
#include "tests/fixtures.h"
#include "tests/files.h"
#include "tests/toy_latency.h"

using namespace qtnas;
using namespace qtnas::testing;
namespace fs = std::filesystem;

namespace {

fs::path fresh(const std::string& name) { return scratch_dir("qtnas_latency_test") / name; }

}  // namespace

TEST(Measure, SummaryDropsOutliersAndTakesTheMedian) {
  const LatencyStats s = summarize({1.0, 1.1, 0.9, 1.05, 0.95, 30.0, 1.0});
  EXPECT_EQ(s.outliers, 1);
  EXPECT_EQ(s.samples, 6);
  EXPECT_NEAR(s.median_ms, 1.0, 1e-12);
  EXPECT_NEAR(s.max_ms, 1.1, 1e-12);
  EXPECT_NEAR(s.latency_ms, 0.9, 1e-12);  // the 10th percentile of 7 samples is the fastest
}

TEST(Measure, LatencyIsTheTenthPercentileAndIgnoresSlowSpells) {
  // 30 forwards of ~1 ms of which 18 fell in slow spells of the machine (+7 ms): the median is a spell's, the
  // latency (10th percentile) is the module's.
  std::vector<double> samples;
  for (int i = 0; i < 30; ++i) samples.push_back(1.0 + 0.01 * (i % 5) + (i % 5 < 3 ? 7.0 : 0.0));
  const LatencyStats s = summarize(samples);
  EXPECT_NEAR(s.latency_ms, 1.03, 1e-12);  // sorted[3] of the 12 quiet values 1.03, 1.04 (x6 each)
  EXPECT_GT(s.median_ms, 8.0);
}

TEST(Measure, KendallTau) {
  EXPECT_DOUBLE_EQ(kendall_tau({1, 2, 3, 4}, {10, 20, 30, 40}), 1.0);
  EXPECT_DOUBLE_EQ(kendall_tau({1, 2, 3, 4}, {4, 3, 2, 1}), -1.0);
  // One discordant pair of six: (5 - 1) / 6.
  EXPECT_NEAR(kendall_tau({1, 2, 3, 4}, {1, 3, 2, 4}), 4.0 / 6.0, 1e-12);
}

TEST(LatencyModel, FitRecoversAnAdditiveTruthAndRefusesAnotherEnvironment) {
  const SearchSpace space(tiny_space(3));
  Environment env;
  env.cpu = "test cpu";
  env.threads = 2;
  env.batch = 1;
  // Ground truth: a table, then 1.1 x table + 0.4 ms + 0.15 ms per int8 layer.
  LayerTable table{2.0, {}, {}};
  for (int i = 0; i < 2 * 3 * 2; ++i) table.attention_ms.push_back(0.5 + 0.1 * i);
  for (int i = 0; i < 2 * 3 * 2; ++i) table.ffn_ms.push_back(0.3 + 0.07 * i);
  const AdditiveLatencyModel truth_table = AdditiveLatencyModel::table_only(space, env, table);
  auto truth = [&](const Arch& a) {
    int int8 = 0;
    for (const auto& l : a.layers) int8 += !l.skipped() && l.precision == Precision::INT8;
    return 1.1 * truth_table.table_ms(a) + 0.4 + 0.15 * int8;
  };
  Rng rng(3);
  std::vector<SubnetMeasurement> train, holdout;
  for (int i = 0; i < 60; ++i) {
    const Arch a = space.sample(rng);
    (i % 4 == 3 ? holdout : train).push_back({a, truth(a)});
  }
  const AdditiveLatencyModel model = AdditiveLatencyModel::fit(space, env, table, train);
  const HoldoutReport report = evaluate_holdout(model, holdout);
  EXPECT_EQ(report.n, 15);
  EXPECT_DOUBLE_EQ(report.within_10pct, 1.0);
  EXPECT_LT(report.mape, 1e-4);
  EXPECT_GT(report.kendall_tau, 0.99);

  const AdditiveLatencyModel loaded = AdditiveLatencyModel::from_json(nlohmann::json::parse(model.to_json().dump()));
  for (const auto& m : holdout) EXPECT_DOUBLE_EQ(loaded.predict_ms(m.arch), model.predict_ms(m.arch));

  Environment other = env;
  other.threads = 4;
  other.batch = 32;
  try {
    model.check_environment(other);
    FAIL() << "another environment was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("threads 2 vs 4"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("batch 1 vs 32"), std::string::npos) << e.what();
  }
  EXPECT_NO_THROW(model.check_environment(other, /*allow_other=*/true));
  EXPECT_NO_THROW(model.check_environment(env));
}

// A correction fitted on few or noisy subnets (tiny modules timed in tests) can extrapolate below zero. A
// prediction never goes below the empty model, which every subnet runs.
TEST(LatencyModel, NeverPredictsBelowTheEmptyModel) {
  const SearchSpace space(tiny_space(3));
  LayerTable table{2.0, std::vector<double>(2 * 3 * 2, 0.5), std::vector<double>(2 * 3 * 2, 0.25)};
  const AdditiveLatencyModel plain = AdditiveLatencyModel::table_only(space, Environment{}, table);
  nlohmann::json j = plain.to_json();
  j["coefficients"][0] = -100.0;  // an intercept no machine has
  const AdditiveLatencyModel wild = AdditiveLatencyModel::from_json(j);
  for (const Arch& a : {space.largest(), space.smallest()}) {
    EXPECT_GT(plain.predict_ms(a), 2.0);
    EXPECT_DOUBLE_EQ(plain.predict_ms(a), plain.table_ms(a));
    EXPECT_DOUBLE_EQ(wild.predict_ms(a), 2.0);
  }
}

TEST(LatencyModel, FileRoundTripKeepsTheFitRecordAndReadsOlderVersions) {
  const SearchSpace space(tiny_space(3));
  Environment env;
  env.cpu = "test cpu";
  LayerTable table{2.0, std::vector<double>(2 * 3 * 2, 0.5), std::vector<double>(2 * 3 * 2, 0.25)};
  AdditiveLatencyModel model = AdditiveLatencyModel::table_only(space, env, table);
  model.set_references({{space.largest(), 3.5}});
  FitRecord record;
  record.measurement_db = "/somewhere/latency.sqlite";
  record.holdout = HoldoutReport{5, 0.8, 0.04, 0.9};
  record.measured = FitRecord::Measured{20, 24, 12.5};
  model.set_fit_record(record);

  const fs::path path = fresh("model.json");
  save_latency_model(path.string(), model);
  const nlohmann::json written = nlohmann::json::parse(read_file(path));
  EXPECT_EQ(written.at("version").get<int>(), kLatencyModelFormatVersion);
  EXPECT_EQ(written.at("db").get<std::string>(), "/somewhere/latency.sqlite");
  const AdditiveLatencyModel loaded = load_latency_model(path.string());
  EXPECT_EQ(loaded.to_json(), written);
  EXPECT_EQ(loaded.fit_record().measurement_db, "/somewhere/latency.sqlite");
  ASSERT_TRUE(loaded.fit_record().holdout.has_value());
  EXPECT_EQ(loaded.fit_record().holdout->n, 5);
  EXPECT_DOUBLE_EQ(loaded.fit_record().holdout->kendall_tau, 0.9);
  ASSERT_TRUE(loaded.fit_record().measured.has_value());
  EXPECT_EQ(loaded.fit_record().measured->layer_kinds, 24);
  EXPECT_DOUBLE_EQ(loaded.fit_record().measured->seconds, 12.5);

  // A version 1 file (no speed references) without the optional fields still loads.
  nlohmann::json old = written;
  for (const char* field : {"references", "db", "holdout", "measured"}) old.erase(field);
  old["version"] = 1;
  const AdditiveLatencyModel v1 = AdditiveLatencyModel::from_json(old);
  EXPECT_TRUE(v1.references().empty());
  EXPECT_EQ(v1.fit_record().measurement_db, "");
  EXPECT_FALSE(v1.fit_record().holdout.has_value());
  EXPECT_FALSE(v1.fit_record().measured.has_value());
  EXPECT_DOUBLE_EQ(v1.predict_ms(space.largest()), model.predict_ms(space.largest()));
  EXPECT_FALSE(v1.to_json().contains("db"));

  // Version 2 (before the token keep): a space without keep choices has the same tables and 6 coefficients.
  nlohmann::json v2 = written;
  v2["version"] = 2;
  EXPECT_EQ(AdditiveLatencyModel::from_json(v2).to_json().at("coefficients").size(), 6u);
  EXPECT_DOUBLE_EQ(AdditiveLatencyModel::from_json(v2).predict_ms(space.largest()), model.predict_ms(space.largest()));

  nlohmann::json newer = written;
  newer["version"] = kLatencyModelFormatVersion + 1;
  expect_error([&] { AdditiveLatencyModel::from_json(newer); }, {"newer than this qtnas reads"});
  nlohmann::json bad = written;
  bad["measured"].erase("subnets");
  expect_error([&] { AdditiveLatencyModel::from_json(bad); }, {"malformed latency model"});
  expect_error([&] { load_latency_model(fresh("none.json").string()); }, {"cannot open latency model", "none.json"});
}

// Profiles measure "round-ref"; a model profiled under "p10-ref" is still measured under its own statistic
// (measure_in_environment), so it loads on its machine. A statistic this build cannot measure is refused.
TEST(LatencyModel, LoadsUnderItsOwnMeasurableStatistic) {
  const SearchSpace space(tiny_space(2));
  EXPECT_EQ(std::string(Environment::kLatencyStatistic), "round-ref");
  for (const std::string statistic : {"round-ref", "p10-ref", "p10", "median"}) {
    const AdditiveLatencyModel toy = toy_latency_model(space, at::get_num_threads());
    Environment env = toy.environment();
    env.statistic = statistic;
    const AdditiveLatencyModel model = AdditiveLatencyModel::table_only(space, env, toy.table());
    const fs::path path = fresh("statistic_" + statistic + ".json");
    save_latency_model(path.string(), model);
    if (statistic == "median") {
      expect_error([&] { load_latency_model(path.string(), space, "sup.pt", false); },
                   {"another environment", "latency statistic median vs round-ref"});
      EXPECT_NO_THROW(load_latency_model(path.string(), space, "sup.pt", /*allow_other_environment=*/true));
    } else {
      EXPECT_EQ(load_latency_model(path.string(), space, "sup.pt", false).environment().statistic, statistic);
    }
  }
}

// With keep choices, a block costs what it was measured to cost on the tokens it runs on: attention on those
// entering its layer, the FFN on those the layer keeps; a profile of a machine whose costs are not proportional
// to tokens is recovered exactly, with what a dropping attention saves (its context and output projection run on
// the kept queries): the eighth feature of the file.
TEST(LatencyModel, BlocksAreCostedAtTheTokensTheyRunOn) {
  SpaceConfig config = tiny_space(3);
  config.keep_pct_choices = {50, 100};
  const SearchSpace space(config);
  const AdditiveLatencyModel truth = toy_latency_model(space, 1);
  const LayerTable& t = truth.table();
  const Arch arch = parse_arch("h2-f64-s0-fp32,h2-f64-s0-int8-k50,h1-f32-s50-fp32-k50");
  const double expected = t.empty_ms + t.attention_ms[truth.attention_index(2, Precision::FP32, 0, 100)] +
                          t.ffn_ms[truth.ffn_index(64, Precision::FP32, 0, 100)] +
                          t.attention_ms[truth.attention_index(2, Precision::INT8, 0, 100)] +
                          t.ffn_ms[truth.ffn_index(64, Precision::INT8, 0, 50)] +
                          t.attention_ms[truth.attention_index(1, Precision::FP32, 50, 50)] +
                          t.ffn_ms[truth.ffn_index(32, Precision::FP32, 50, 50)];
  EXPECT_DOUBLE_EQ(truth.table_ms(arch), expected);
  EXPECT_LT(t.attention_ms[truth.attention_index(2, Precision::FP32, 0, 50)],
            t.attention_ms[truth.attention_index(2, Precision::FP32, 0, 100)]);

  // The machine: subnets whose dropping attention costs 30% of (its block at 100% - at 50%) less than the table.
  nlohmann::json saving = truth.to_json();
  saving["coefficients"][7] = -0.3;
  const AdditiveLatencyModel machine = AdditiveLatencyModel::from_json(saving);
  const double drop_saving = t.attention_ms[truth.attention_index(2, Precision::INT8, 0, 100)] -
                             t.attention_ms[truth.attention_index(2, Precision::INT8, 0, 50)];
  EXPECT_NEAR(machine.predict_ms(arch), truth.predict_ms(arch) - 0.3 * drop_saving, 1e-12);

  const fs::path path = fresh("keep.sqlite");
  MeasurementStore store(path.string());
  profile_toy_machine(store, space, machine, 40, 3);
  const ProfileResult fitted = fit_from_store(space, truth.environment(), store);
  EXPECT_EQ(fitted.layer_kinds, 2 * (2 * 3 * 2 + 2 * 3 * 2));  // every kind at both keeps
  ASSERT_EQ(fitted.model.table().attention_ms.size(), t.attention_ms.size());
  for (size_t i = 0; i < t.attention_ms.size(); ++i) EXPECT_NEAR(fitted.model.table().attention_ms[i], t.attention_ms[i], 1e-9);
  for (size_t i = 0; i < t.ffn_ms.size(); ++i) EXPECT_NEAR(fitted.model.table().ffn_ms[i], t.ffn_ms[i], 1e-9);
  EXPECT_LT(fitted.holdout.mape, 1e-6);
  const nlohmann::json file = fitted.model.to_json();
  ASSERT_EQ(file.at("coefficients").size(), 8u);
  EXPECT_NEAR(file.at("coefficients")[7].get<double>(), -0.3, 1e-4);
  nlohmann::json short_file = file;
  short_file["coefficients"].erase(7);
  expect_error([&] { AdditiveLatencyModel::from_json(short_file); }, {"7 coefficients", "needs 8"});
  // A version 3 file (before this feature) has 7 coefficients: the eighth is read as 0.
  nlohmann::json v3 = truth.to_json();
  v3["version"] = 3;
  v3["coefficients"].erase(7);
  EXPECT_DOUBLE_EQ(AdditiveLatencyModel::from_json(v3).predict_ms(arch), truth.predict_ms(arch));
  v3["coefficients"].erase(6);
  expect_error([&] { AdditiveLatencyModel::from_json(v3); }, {"6 coefficients", "needs 7"});
}

TEST(MeasurementStore, KindsAreStoredAsTheirText) {
  for (const auto& [kind, text] : std::vector<std::pair<MeasurementKind, std::string>>{
           {MeasurementKind::Empty, "empty"},
           {MeasurementKind::Attention, "attention"},
           {MeasurementKind::Ffn, "ffn"},
           {MeasurementKind::Subnet, "subnet"}}) {
    EXPECT_EQ(to_string(kind), text);
    EXPECT_EQ(measurement_kind_from_string(text), kind);
  }
  expect_error([] { measurement_kind_from_string("layer"); }, {"'layer'", "empty, attention, ffn or subnet"});
  const fs::path path = fresh("kinds.sqlite");
  Environment env;
  {
    MeasurementStore store(path.string());
    store.add(env, "abc", MeasurementKind::Ffn, parse_arch("h0-f32-s0-int8,skip,skip"), LatencyStats{1.0});
    ASSERT_EQ(store.rows(env, "abc").size(), 1u);
    EXPECT_EQ(store.rows(env, "abc")[0].kind, MeasurementKind::Ffn);
  }
  Database db(path.string(), "", kLatencySchemaVersion, kLatencyApplicationId);
  Statement q = db.prepare("SELECT kind FROM measurements");
  ASSERT_TRUE(q.step());
  EXPECT_EQ(q.column_text(0), "ffn");
}

TEST(MeasurementStore, RoundTripAndRefusals) {
  const fs::path path = fresh("measurements.sqlite");
  Environment env;
  env.cpu = "cpu";
  const Arch arch = parse_arch("h1-f32-s0-int8,skip,skip");
  {
    MeasurementStore store(path.string());
    store.add(env, "abc", MeasurementKind::Subnet, arch, LatencyStats{1.5, 1.5, 1.4, 1.7, 0.05, 7, 0});
    store.add(env, "abc", MeasurementKind::Empty, Arch{}, LatencyStats{0.5, 0.5, 0.4, 0.7, 0.05, 7, 0});
  }
  MeasurementStore reopened(path.string());
  EXPECT_EQ(reopened.count(), 2);
  const auto subnets = reopened.subnets(env, "abc");
  ASSERT_EQ(subnets.size(), 1u);
  EXPECT_EQ(subnets[0].arch, arch);
  EXPECT_DOUBLE_EQ(subnets[0].latency_ms, 1.5);
  Environment other = env;
  other.batch = 8;
  EXPECT_TRUE(reopened.subnets(other, "abc").empty());

  // Not SQLite, another program's database, a newer schema: refused, and the file is left as it was.
  const fs::path text = fresh("notes.sqlite");
  std::ofstream(text) << "just some text, long enough to not look like an empty database file at all";
  const fs::path foreign = fresh("foreign.sqlite");
  { Database db(foreign.string(), "CREATE TABLE t (x);", 3, 12345); }
  const fs::path newer = fresh("newer.sqlite");
  {
    MeasurementStore store(newer.string());
  }
  { Database db(newer.string(), "", kLatencySchemaVersion, kLatencyApplicationId); db.exec("PRAGMA user_version=7"); }
  for (const auto& [file, needle] : std::vector<std::pair<fs::path, std::string>>{
           {text, "notes.sqlite"}, {foreign, "another program"}, {newer, "version 7"}}) {
    const std::string before = read_file(file);
    try {
      MeasurementStore store(file.string());
      FAIL() << file << " was accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
    EXPECT_EQ(read_file(file), before) << file;
  }
}

TEST(MeasurementStore, MigratesVersion1WhoseLatenciesWereMedians) {
  const fs::path path = fresh("v1.sqlite");
  Environment env;
  env.cpu = "cpu";
  const Arch arch = parse_arch("h1-f32-s0-int8,skip,skip");
  {
    MeasurementStore store(path.string());
    store.add(env, "abc", MeasurementKind::Subnet, arch, LatencyStats{1.3, 1.5, 1.4, 1.7, 0.05, 7, 0});
  }
  {  // Back to version 1: no latency column, an environment without "statistic".
    Database db(path.string(), "", kLatencySchemaVersion, kLatencyApplicationId);
    nlohmann::json old_env = to_json(env);
    old_env.erase("statistic");
    db.exec("ALTER TABLE measurements DROP COLUMN latency_ms; ALTER TABLE measurements DROP COLUMN grp; "
            "DROP TABLE speed_references; PRAGMA user_version=1;");
    db.exec("UPDATE measurements SET env_key = '" + old_env.dump() + "', environment = '" + old_env.dump() + "'");
  }
  MeasurementStore migrated(path.string());  // 1 -> 2 -> 3
  EXPECT_EQ(migrated.count(), 1);  // nothing lost
  EXPECT_TRUE(migrated.subnets(env, "abc").empty());  // medians are never mixed with 10th percentiles
  EXPECT_TRUE(migrated.references(env, "abc").empty());
  Database db(path.string(), "", kLatencySchemaVersion, kLatencyApplicationId);
  Statement q = db.prepare("SELECT latency_ms, environment FROM measurements");
  ASSERT_TRUE(q.step());
  EXPECT_DOUBLE_EQ(q.column_double(0), 1.5);  // the median it was measured as
  EXPECT_EQ(environment_from_json(nlohmann::json::parse(q.column_text(1))).statistic, "median");
}

TEST(Profiler, SpeedReferencesDivideOutTheMachinesDrift) {
  // Every group of measurements taken while FP32 kernels ran 0.8x, 1x or 1.25x as fast as usual, INT8 kernels
  // 1.4x, 0.9x or 1x and BF16 ones 1x, 1.1x or 0.95x (drifts seen here, not in step): references, empty model,
  // layer blocks and subnets slowed by their speed factor. The fit must give back the undisturbed latencies;
  // without the correction, held-out subnets would be off by up to 40%. Under either referenced statistic.
  for (const std::string statistic : {"p10-ref", "round-ref"}) {
    SCOPED_TRACE(statistic);
    const SearchSpace space(tiny_space(3));
    const SpaceConfig& sc = space.config();
    Environment env;
    env.cpu = "test cpu";
    env.statistic = statistic;
    LayerTable table{0.5, {}, {}};
    for (int i = 0; i < 2 * 3 * 2; ++i) table.attention_ms.push_back(0.4 + 0.1 * (i / 2));  // equal over sparsity
    for (int i = 0; i < 2 * 3 * 2; ++i) table.ffn_ms.push_back(0.3 + 0.05 * (i / 2));
    const AdditiveLatencyModel truth = AdditiveLatencyModel::table_only(space, env, table);
    const std::vector<Arch> references = speed_reference_archs(space);
    ASSERT_EQ(references.size(), 3u);  // one per precision
    EXPECT_EQ(references[1].active_layers(), 1);  // BF16's: one small layer
    const fs::path path = fresh("drift_" + statistic + ".sqlite");
    MeasurementStore store(path.string());
    const std::map<Precision, std::vector<double>> drift = {
        {Precision::FP32, {0.8, 1.0, 1.25}}, {Precision::BF16, {1.0, 1.1, 0.95}}, {Precision::INT8, {1.4, 0.9, 1.0}}};
    const std::string h = space.hash_hex();
    int groups = 0;
    // `slowed`: a module that ran slower than the machine's speed says (seen here: one BF16 subnet at 163 ms in a
    // profile, 135 ms alone twice); only measuring it again tells.
    auto measure_group = [&](const std::vector<std::pair<MeasurementKind, Arch>>& modules, double slowed = 1) {
      std::map<Precision, PrecisionSpeed> speeds;
      for (const Arch& r : references) {
        const Precision p = reference_precision(r);
        speeds[p] = precision_speed(r, truth.table_ms(r), truth.table_ms(r) * drift.at(p)[groups % 3]);
      }
      ++groups;
      const int64_t id = store.new_group();
      for (const Arch& r : references) {
        store.add_reference(env, h, id, r, truth.table_ms(r) * speeds.at(reference_precision(r)).ratio);
      }
      store.add(env, h, MeasurementKind::Empty, Arch{}, LatencyStats{table.empty_ms * speeds.at(Precision::FP32).ratio},
                id);
      for (const auto& [kind, arch] : modules) {
        store.add(env, h, kind, arch, LatencyStats{slowed * truth.table_ms(arch) * speed_factor(arch, speeds)}, id);
      }
    };
    const Arch empty{std::vector<LayerArch>(sc.layers)};
    for (Precision p : sc.precisions) {
      for (int sparsity : sc.sparsity_pct_choices) {
        for (int h = 1; h <= sc.max_heads; ++h) {
          Arch a = empty;
          a.layers[0] = {h, 0, sparsity, p};
          measure_group({{MeasurementKind::Attention, a}});
        }
        for (int f : sc.ffn_choices) {
          if (f == 0) continue;
          Arch a = empty;
          a.layers[0] = {0, f, sparsity, p};
          measure_group({{MeasurementKind::Ffn, a}});
        }
      }
    }
    Rng rng(5);
    std::vector<Arch> subnets;
    for (int i = 0; i < 84; ++i) subnets.push_back(space.sample(rng));
    for (int i = 0; i < 42; ++i) {
      measure_group({{MeasurementKind::Subnet, subnets[2 * i]}, {MeasurementKind::Subnet, subnets[2 * i + 1]}});
    }
    // 30 of the subnets measured again, 1.3x slow. Under "p10-ref" a subnet's latency is its lowest measurement (a
    // 10th percentile: spells only raise it); under "round-ref", their median (here the mean of the two).
    std::set<std::string> again;
    for (int i = 0; i < 15; ++i) {
      measure_group({{MeasurementKind::Subnet, subnets[2 * i]}, {MeasurementKind::Subnet, subnets[2 * i + 1]}}, 1.3);
      again.insert({to_string(subnets[2 * i]), to_string(subnets[2 * i + 1])});
    }
    ASSERT_EQ(groups % 3, 0);  // every speed equally often, so the references' medians are their true latencies
    const ProfileResult r = fit_from_store(space, env, store, 0.25);
    ASSERT_GT(r.holdout.n, 5);
    const double twice = statistic == "p10-ref" ? 1.0 : (1.0 + 1.3) / 2;
    if (statistic == "p10-ref") EXPECT_LT(r.holdout.mape, 1e-9);
    for (const auto& m : r.train) {
      const double measured_twice = again.count(to_string(m.arch)) ? twice : 1.0;
      EXPECT_NEAR(m.latency_ms, measured_twice * truth.table_ms(m.arch), 1e-9) << to_string(m.arch);
    }
    ASSERT_EQ(r.model.references().size(), references.size());
    for (const auto& ref : r.model.references()) EXPECT_NEAR(ref.latency_ms, truth.table_ms(ref.arch), 1e-12);
    // The references travel with the model file.
    const auto loaded = AdditiveLatencyModel::from_json(nlohmann::json::parse(r.model.to_json().dump()));
    ASSERT_EQ(loaded.references().size(), references.size());
    EXPECT_EQ(loaded.references()[1].arch, r.model.references()[1].arch);
  }
}

TEST(Measure, SpeedFactorWeighsEachLayerByItsPrecisionsCost) {
  const std::map<Precision, PrecisionSpeed> speeds = {{Precision::FP32, {1.2, 1.0}}, {Precision::INT8, {0.9, 0.5}}};
  EXPECT_DOUBLE_EQ(speed_factor(parse_arch("h1-f32-s0-fp32,skip,h2-f0-s0-int8"), speeds), (1.2 + 0.5 * 0.9) / 1.5);
  // BF16 has no reference here: ratio 1, weighed like the mean layer of the others (0.75 ms).
  EXPECT_DOUBLE_EQ(speed_factor(parse_arch("h1-f32-s0-bf16,h1-f32-s0-int8,h2-f0-s0-int8"), speeds),
                   (0.75 + 2 * 0.5 * 0.9) / (0.75 + 2 * 0.5));
  EXPECT_DOUBLE_EQ(speed_factor(Arch{}, speeds), 1.2);  // embeddings and classifier: FP32
  EXPECT_DOUBLE_EQ(speed_factor(parse_arch("h1-f32-s0-int8,skip,skip"), {}), 1.0);
  // A reference's cost per layer counts only the layers that run.
  const PrecisionSpeed s = precision_speed(parse_arch("skip,h1-f32-s0-bf16,skip"), 15, 18);
  EXPECT_DOUBLE_EQ(s.ratio, 1.2);
  EXPECT_DOUBLE_EQ(s.layer_ms, 15);
  EXPECT_EQ(reference_precision(parse_arch("skip,h1-f32-s0-bf16,skip")), Precision::BF16);
}

// "round-ref": each forward is divided by its own round's speed. A slow module stops after few rounds; if the
// machine was slow in those rounds and fast later, its 10th percentile is a slow one while the references' is a
// fast one, and a pass-level factor cannot tell. Divided round by round, it comes out at the pass's reference speed.
TEST(Measure, EachForwardIsDividedByItsRoundsSpeed) {
  const std::vector<Arch> archs = {parse_arch("h1-f32-s0-int8,h1-f32-s0-int8"), parse_arch("h1-f32-s0-fp32,skip"),
                                   parse_arch("h2-f32-s0-int8,skip"), parse_arch("h1-f32-s0-int8,h1-f32-s0-fp32")};
  // The machine's slowdown in each of 10 rounds, per precision: slow (2x) in the first five, then fast (1x).
  std::vector<double> int8_speed, fp32_speed;
  for (int r = 0; r < 10; ++r) {
    int8_speed.push_back(r < 5 ? 2.0 : 1.0 + 0.01 * r);
    fp32_speed.push_back(r < 5 ? 1.5 + 0.1 * r : 1.0);
  }
  std::vector<std::vector<double>> times(4);
  for (int r = 0; r < 10; ++r) {
    times[0].push_back(2 * int8_speed[r]);  // the INT8 reference: 1 ms a layer at full speed
    times[1].push_back(4 * fp32_speed[r]);  // the FP32 reference: 4 ms a layer
    if (r < 5) {  // both modules are slow: five rounds only
      times[2].push_back(3 * int8_speed[r] * (r == 2 ? 10 : 1));  // one forward disturbed on its own
      times[3].push_back(1 * int8_speed[r] + 4 * fp32_speed[r]);
    }
  }
  const std::vector<LatencyStats> s = summarize_against_references(times, archs, 2);
  ASSERT_EQ(s.size(), 4u);
  EXPECT_DOUBLE_EQ(s[0].latency_ms, summarize(times[0]).latency_ms);  // references keep their 10th percentiles
  EXPECT_DOUBLE_EQ(s[1].latency_ms, summarize(times[1]).latency_ms);
  const double int8_p10 = s[0].latency_ms, fp32_p10 = s[1].latency_ms;
  // 3 ms at full speed, at the pass's INT8 reference speed (its 10th percentile over 2 ms); the disturbed forward
  // does not move the median. The 10th percentile of the forwards alone says 6 ms.
  EXPECT_NEAR(s[2].latency_ms, 3 * int8_p10 / 2, 1e-12);
  EXPECT_NEAR(summarize(times[2]).latency_ms, 6, 1e-12);
  // A mixed arch: its INT8 and FP32 layers at their own precisions' speeds, weighed by their cost per layer.
  const double int8_ratio = int8_p10 / 2, fp32_ratio = fp32_p10 / 4;
  EXPECT_NEAR(s[3].latency_ms, 1 * int8_ratio + 4 * fp32_ratio, 1e-12);
  EXPECT_GT(summarize(times[3]).latency_ms, 1.2 * s[3].latency_ms);
  EXPECT_THROW(summarize_against_references(times, {archs[0]}, 1), Error);
}

TEST(Measure, DisturbedPassesAreMeasuredAgainAndTheLeastDisturbedKept) {
  // Two references (baselines 2 and 4 ms) and one module; each pass's references ran at these ratios.
  const std::vector<std::vector<double>> ratios = {{1.3, 1.0}, {1.05, 1.2}, {1.25, 1.25}, {1.0, 1.0}};
  int calls = 0;
  auto pass = [&](int p) {
    EXPECT_EQ(p, calls++);
    return std::vector<LatencyStats>{{2 * ratios.at(p)[0]}, {4 * ratios.at(p)[1]}, {10.0 + p}};
  };
  ReferencedPass r = measure_referenced(pass, {2, 4}, 1.1, 3);  // none of the three is calm enough
  EXPECT_EQ(r.passes, 3);
  EXPECT_DOUBLE_EQ(r.disturbance, 1.2);  // pass 1 is the least disturbed
  ASSERT_EQ(r.modules.size(), 1u);
  EXPECT_DOUBLE_EQ(r.modules[0].latency_ms, 11.0);
  EXPECT_DOUBLE_EQ(r.reference_ms[0], 2.1);
  calls = 0;
  r = measure_referenced(pass, {2, 4}, 1.25, 3);  // pass 1 is calm enough: no third pass
  EXPECT_EQ(r.passes, 2);
  EXPECT_DOUBLE_EQ(r.modules[0].latency_ms, 11.0);
  calls = 0;
  r = measure_referenced(pass, {0, 0}, 1.1, 3);  // no baselines yet: one pass
  EXPECT_EQ(r.passes, 1);
  EXPECT_DOUBLE_EQ(r.modules[0].latency_ms, 10.0);
}

// A space with keep choices: every block kind is measured at each keep, over its base model, in groups of one
// keep each; sampled subnets drop tokens, and the model predicts them.
TEST(Profiler, MeasuresEveryBlockKindAtEveryKeep) {
  torch::manual_seed(0);
  SpaceConfig config = tiny_space(2);
  config.keep_pct_choices = {50, 100};
  Supernet net(config, 0.0);
  MeasurementStore store(fresh("keep_profile.sqlite").string());
  ProfileConfig pc;
  pc.measure.batch = 2;
  pc.measure.seq = 12;
  pc.measure.rounds = 3;
  pc.subnets = 16;  // the fewest with keep choices: twice the 8 features
  const ProfileResult r = profile(net, pc, store);
  EXPECT_EQ(r.layer_kinds, 2 * (2 * 3 * 2 + 2 * 3 * 2));
  int dropping = 0;
  for (const auto& m : r.train) dropping += m.arch.layers[1].keep_pct < 100 && !m.arch.layers[1].skipped();
  for (const auto& m : r.held_out) dropping += m.arch.layers[1].keep_pct < 100 && !m.arch.layers[1].skipped();
  EXPECT_GT(dropping, 0) << "no sampled subnet drops tokens";
  // The base rows: the empty model, and layer 0 keeping half the tokens.
  std::set<std::string> bases;
  for (const auto& row : store.rows(r.model.environment(), net->space().hash_hex())) {
    if (row.kind == MeasurementKind::Empty) bases.insert(row.arch.layers.empty() ? "" : to_string(row.arch));
  }
  EXPECT_EQ(bases, (std::set<std::string>{"", "h0-f32-s0-fp32-k50,skip"}));
  EXPECT_GT(r.model.predict_ms(parse_arch("h2-f64-s0-fp32,h2-f64-s0-fp32-k50")), 0);
  SpaceConfig one_layer = tiny_space(1);
  one_layer.keep_pct_choices = {50, 100};
  Supernet shallow(one_layer, 0.0);
  expect_error([&] { profile(shallow, pc, store); }, {"at least 2 layers"});
}

TEST(Profiler, TinyEndToEnd) {
  torch::manual_seed(0);
  Supernet net(tiny_space(3), 0.0);
  const fs::path path = fresh("profile.sqlite");
  MeasurementStore store(path.string());
  ProfileConfig config;
  config.measure.batch = 2;
  config.measure.seq = 8;
  config.measure.rounds = 3;
  config.subnets = 16;
  int reports = 0;
  const ProfileResult r = profile(net, config, store, [&](int, int) { ++reports; });
  EXPECT_EQ(r.layer_kinds, 2 * 3 * 2 + 2 * 3 * 2);
  EXPECT_EQ(r.train.size() + r.held_out.size(), 16u);
  EXPECT_EQ(r.anchors.size(), 4u);  // largest in three precisions, smallest
  EXPECT_EQ(r.holdout.n, int(r.held_out.size()));
  for (const auto& held : r.held_out) {
    for (const auto& a : r.anchors) EXPECT_NE(held.arch, a.arch) << "anchors are never held out";
    for (const auto& t : r.train) EXPECT_NE(held.arch, t.arch) << "a held-out subnet was fitted on";
  }
  // Every module measured (each subnet twice, by default), plus one empty baseline per group, is in the
  // database; and the speed references of every group, whose baselines the model carries.
  ASSERT_EQ(config.subnet_repeats, 2);
  EXPECT_EQ(store.count(), int64_t(r.layer_kinds + 2 * 16 + reports));
  // A subnet's two measurements come from two groups: two moments, not one.
  std::map<std::string, std::set<int64_t>> subnet_groups;
  for (const auto& row : store.rows(r.model.environment(), net->space().hash_hex())) {
    if (row.kind == MeasurementKind::Subnet) subnet_groups[to_string(row.arch)].insert(row.group);
  }
  EXPECT_EQ(subnet_groups.size(), 16u);
  for (const auto& [arch, groups] : subnet_groups) EXPECT_EQ(groups.size(), 2u) << arch;
  const size_t references = speed_reference_archs(net->space()).size();
  EXPECT_EQ(store.references(r.model.environment(), net->space().hash_hex()).size(), references * reports);
  ASSERT_EQ(r.model.references().size(), references);
  for (const auto& ref : r.model.references()) EXPECT_GT(ref.latency_ms, 0);
  for (const auto& m : r.train) EXPECT_GT(m.latency_ms, 0);
  EXPECT_GT(r.model.predict_ms(net->space().largest()), 0);

  // Refitting from the database alone gives the same model; a reopened store too.
  MeasurementStore reopened(path.string());
  const ProfileResult refit = fit_from_store(net->space(), r.model.environment(), reopened);
  EXPECT_EQ(refit.model.to_json(), r.model.to_json());
  // The model names the database it was fitted from, which `qtnas search` refits from.
  EXPECT_EQ(r.model.fit_record().measurement_db, fs::absolute(path).string());
  EXPECT_EQ(refit.held_out.size(), r.held_out.size());
  // A store without this environment's measurements is refused by name.
  Environment other = r.model.environment();
  other.batch = 99;
  try {
    fit_from_store(net->space(), other, reopened);
    FAIL() << "fitted without measurements";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no measurements"), std::string::npos) << e.what();
  }
}
