// The user's main job through the `qtnas` executable on tiny artifacts: search, kill -9 at random moments and
// resume (the final front must equal an uninterrupted run's), a second writer refused while readers read,
// bad input refused without touching data (a file that should hold JSON and does not: one line naming it), and
// the exported model loaded by C++ and by Python.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "data/labeled_files.h"
#include "export/package.h"
#include "latency_models/environment.h"
#include "latency_models/latency_model.h"
#include "runs/run_store.h"
#include "space/error.h"
#include "space/hash.h"
#include "supernet/checkpoint.h"
#include "tests/cli_run.h"
#include "tests/tiny_artifacts.h"

namespace fs = std::filesystem;
using namespace qtnas;

namespace {

using Result = qtnas::testing::CliResult;
using qtnas::testing::read_file;

fs::path dir() { return qtnas::testing::scratch_dir("qtnas_search_cli_test"); }
Result run(const std::string& args) { return qtnas::testing::run_qtnas(dir(), args); }
pid_t spawn(const std::string& args) { return qtnas::testing::spawn_qtnas(args); }

using Artifacts = qtnas::testing::TinyArtifacts;
const Artifacts& artifacts() {
  static const Artifacts a = qtnas::testing::make_tiny_artifacts(dir());
  return a;
}

std::string search_args(const fs::path& db, int generations = 6) {
  const Artifacts& a = artifacts();
  return fmt::format(
      "search --supernet {} --latency-model {} --latency-budget-ms 1.0 --population 12 --generations {} --seed 7 "
      "--val-subset 60 --no-closed-loop --threads 1 --db {} {}",
      a.supernet.string(), a.model.string(), generations, db.string(), a.task);
}

nlohmann::json front_json(const fs::path& db) {
  const Result r = run("front --json --db " + db.string());
  EXPECT_EQ(r.code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

std::string integrity(const fs::path& db) {
  sqlite3* h = nullptr;
  sqlite3_open_v2(db.string().c_str(), &h, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* s = nullptr;
  sqlite3_prepare_v2(h, "PRAGMA integrity_check", -1, &s, nullptr);
  std::string out = sqlite3_step(s) == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(s, 0)) : "?";
  sqlite3_finalize(s);
  sqlite3_close(h);
  return out;
}

}  // namespace

TEST(SearchCli, KilledAtRandomMomentsAndResumedGivesTheUninterruptedFront) {
  const fs::path straight = dir() / "straight.sqlite", killed = dir() / "killed.sqlite";
  constexpr int kGenerations = 24;  // long enough for several kills to land mid-run
  const auto started = std::chrono::steady_clock::now();
  const Result reference = run(search_args(straight, kGenerations));
  const double reference_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  ASSERT_EQ(reference.code, 0) << reference.err;
  const nlohmann::json expected = front_json(straight);
  ASSERT_FALSE(expected.empty());

  Rng rng(2026);
  int kills = 0;
  // Committed generations, read without blocking the writer (-1: no run recorded yet).
  auto committed = [&] {
    try {
      RunStore probe(killed.string(), RunStore::Mode::Read);
      if (!probe.has_run()) return -1;
      const auto last = probe.last_generation();
      return last ? last->generation : -1;
    } catch (const Error&) {
      return -1;  // not created yet, or its schema is being written
    }
  };
  pid_t pid = spawn(search_args(killed, kGenerations));
  for (int round = 0; round < 6; ++round) {
    // Wait until this process has committed something new, then kill it at a random moment after that: at
    // any point of a generation, or in the middle of the next commit.
    const int before = committed();
    bool exited = false;
    int status = 0;
    while (!(exited = waitpid(pid, &status, WNOHANG) == pid) && committed() <= before) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (exited) break;  // finished before the kill
    std::this_thread::sleep_for(std::chrono::microseconds(rng.uniform(uint64_t(reference_ms * 1000 / kGenerations))));
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
    ++kills;
    EXPECT_EQ(integrity(killed), "ok") << "after kill " << kills;
    pid = spawn("resume --threads 1 --db " + killed.string());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  const Result last = run("resume --threads 1 --db " + killed.string());  // completes whatever is left
  ASSERT_EQ(last.code, 0) << last.err;
  EXPECT_GE(kills, 4) << "too few kills landed: the search was too quick for this test";
  std::cout << "kills: " << kills << "\n";
  EXPECT_EQ(integrity(killed), "ok");
  EXPECT_EQ(front_json(killed), expected);
}

TEST(SearchCli, SecondWriterIsRefusedAndReadersAreNot) {
  const fs::path db = dir() / "busy.sqlite";
  const pid_t pid = spawn(search_args(db, 400));
  bool started = false;
  for (int i = 0; i < 200 && !started; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    if (!fs::exists(db)) continue;
    try {
      RunStore probe(db.string(), RunStore::Mode::Read);
      started = probe.last_generation().has_value();
    } catch (const Error&) {
      // The file exists but its schema is not committed yet: not started.
    }
  }
  ASSERT_TRUE(started);
  const Result second = run("resume --threads 1 --db " + db.string());
  EXPECT_EQ(second.code, 2);
  EXPECT_NE(second.err.find("being written by another process"), std::string::npos) << second.err;
  EXPECT_EQ(std::count(second.err.begin(), second.err.end(), '\n'), 1) << second.err;
  const Result reader = run("front --db " + db.string());
  EXPECT_EQ(reader.code, 0) << reader.err;
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

TEST(SearchCli, BadInputIsRefusedWithOneLineAndNoDataLost) {
  const Artifacts& a = artifacts();
  // An infeasible budget: named, with the fastest arch's latency, and no database created.
  const fs::path db = dir() / "never.sqlite";
  const Result infeasible = run(fmt::format("search --supernet {} --latency-model {} --latency-budget-ms 0.01 --threads 1 --db {} {}",
                                            a.supernet.string(), a.model.string(), db.string(), a.task));
  EXPECT_EQ(infeasible.code, 2);
  EXPECT_NE(infeasible.err.find("fastest arch"), std::string::npos) << infeasible.err;
  EXPECT_FALSE(fs::exists(db));
  // A budget given twice, or not at all.
  for (const char* budget : {"--latency-budget-ms 1 --latency-budget-fraction 0.5", ""}) {
    const Result r = run(fmt::format("search --supernet {} --latency-model {} {} --threads 1 --db {} {}",
                                     a.supernet.string(), a.model.string(), budget, db.string(), a.task));
    EXPECT_EQ(r.code, 2) << budget;
    EXPECT_NE(r.err.find("exactly one of --latency-budget-ms X and --latency-budget-fraction F"), std::string::npos)
        << r.err;
    EXPECT_FALSE(fs::exists(db));
  }
  // A truncated checkpoint.
  const fs::path truncated = dir() / "truncated.pt";
  const std::string bytes = read_file(a.supernet);
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  const Result broken = run(fmt::format("search --supernet {} --latency-model {} --latency-budget-ms 1 --threads 1 --db {} {}",
                                        truncated.string(), a.model.string(), db.string(), a.task));
  EXPECT_EQ(broken.code, 2);
  EXPECT_FALSE(fs::exists(db));
  // A database of another program or a newer schema: refused, untouched.
  const fs::path foreign = dir() / "foreign.sqlite";
  {
    sqlite3* h = nullptr;
    sqlite3_open(foreign.string().c_str(), &h);
    sqlite3_exec(h, "CREATE TABLE notes(x); PRAGMA user_version=3;", nullptr, nullptr, nullptr);
    sqlite3_close(h);
  }
  const std::string before = read_file(foreign);
  for (const std::string& cmd : {"front --db " + foreign.string(), "resume --db " + foreign.string()}) {
    const Result r = run(cmd);
    EXPECT_EQ(r.code, 2) << cmd;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(read_file(foreign), before);
  EXPECT_EQ(run("front --db " + (dir() / "absent.sqlite").string()).code, 2);
  // A database without a run has nothing to resume.
  const Result nothing = run("resume --db " + (dir() / "no_run.sqlite").string());
  EXPECT_EQ(nothing.code, 2);
  EXPECT_NE(nothing.err.find("holds no run to resume; start one with qtnas search"), std::string::npos) << nothing.err;
}

TEST(SearchCli, ARunWhoseSupernetChangedIsNeitherResumedNorExported) {
  const Artifacts& a = artifacts();
  // The run's own copies of the supernet (with the tokenizer beside it) and of the latency model.
  const fs::path own = dir() / "changed";
  fs::create_directories(own);
  for (const fs::path& f : {a.supernet, a.supernet.parent_path() / "tokenizer.model", a.model}) {
    fs::copy_file(f, own / f.filename(), fs::copy_options::overwrite_existing);
  }
  const fs::path supernet = own / a.supernet.filename(), model = own / a.model.filename();
  const fs::path db = own / "run.sqlite";
  fs::remove(db);
  const Result searched = run(fmt::format(
      "search --supernet {} --latency-model {} --latency-budget-ms 1.0 --population 4 --generations 1 --seed 3 "
      "--val-subset 30 --no-closed-loop --no-full-fidelity --threads 1 --db {} {}",
      supernet.string(), model.string(), db.string(), a.task));
  ASSERT_EQ(searched.code, 0) << searched.err;
  std::ofstream(supernet, std::ios::binary | std::ios::app) << "x";  // other bytes: other weights
  const std::string before = read_file(db);
  for (const std::string& cmd : {"resume --generations 2 --threads 1 --db " + db.string(),
                                 "export --best-under-ms 1000 --no-evaluate --out " + (own / "m.pt").string() +
                                     " --db " + db.string()}) {
    const Result r = run(cmd);
    EXPECT_EQ(r.code, 2) << cmd << "\n" << r.err;
    EXPECT_NE(r.err.find("changed since run"), std::string::npos) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
  EXPECT_EQ(read_file(db), before);
  EXPECT_FALSE(fs::exists(own / "m.pt"));
}

TEST(SearchCli, ExportedModelRunsInCppAndPythonWithTheSameLogits) {
  const fs::path db = dir() / "export.sqlite", model = dir() / "model.pt";
  const Result searched = run(search_args(db, 3) + " --json");
  ASSERT_EQ(searched.code, 0) << searched.err;
  // The summary names the budget and the last generation's hypervolume, as the database has them.
  const nlohmann::json summary = nlohmann::json::parse(searched.out);
  EXPECT_DOUBLE_EQ(summary.at("latency_budget_ms").get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(summary.at("hypervolume").get<double>(),
                   RunStore(db.string(), RunStore::Mode::Read).last_generation()->hypervolume);
  const Result exported = run(fmt::format("export --db {} --best-under-ms 1.0 --out {} --rounds 3 --json --threads 1",
                                          db.string(), model.string()));
  ASSERT_EQ(exported.code, 0) << exported.err;
  const nlohmann::json report = nlohmann::json::parse(exported.out);
  for (const char* key : {"accuracy_db", "accuracy_export", "latency_pred_ms", "latency_measured_ms"}) {
    EXPECT_TRUE(report.contains(key)) << key;
  }
  // The exported file, evaluated on the validation split, gives the database's full-validation accuracy.
  EXPECT_NEAR(report["accuracy_export_val"].get<double>(), report["accuracy_db"].get<double>(), 1e-9);

  LoadedModel loaded = load_model(model.string());
  EXPECT_EQ(to_string(loaded.meta.arch), report["arch"].get<std::string>());
  const std::vector<std::string> texts = {"stone river animalish", "metal plantish quiet", "toolish"};
  const torch::Tensor cpp = logits(loaded, texts, /*batch_size=*/1);  // INT8 activations scale per batch
  const Result predicted = run("predict --json --model " + model.string() + " \"stone river animalish\" toolish");
  ASSERT_EQ(predicted.code, 0) << predicted.err;
  EXPECT_EQ(nlohmann::json::parse(predicted.out).size(), 2u);

  const std::string python = qtnas::testing::python_importing("torch");
  if (python.empty()) GTEST_SKIP() << "python3-torch is not installed (scripts/setup.sh installs it)";
  // Python gets the very token ids and runs the file with plain torch.jit.load.
  nlohmann::json ids = nlohmann::json::array();
  for (const auto& t : texts) ids.push_back(loaded.tokenizer.encode(t, loaded.meta.space.max_seq_len));
  const fs::path script = dir() / "load.py";
  std::ofstream(script) << "import json, sys, torch\n"
                           "extra = {'qtnas_meta.json': ''}\n"
                           "m = torch.jit.load(sys.argv[1], _extra_files=extra)\n"
                           "meta = json.loads(extra['qtnas_meta.json'])\n"
                           "rows = json.loads(sys.argv[2])\n"
                           "out = []\n"
                           "for r in rows:\n"
                           "    ids = torch.tensor([r], dtype=torch.long)\n"
                           "    pad = torch.zeros_like(ids, dtype=torch.bool)\n"
                           "    out.append(m(ids, pad)[0].tolist())\n"
                           "print(json.dumps({'arch': meta['arch'], 'logits': out}))\n";
  const fs::path py_out = dir() / "python.json";
  const std::string cmd = python + " " + script.string() + " " + model.string() + " '" + ids.dump() + "' >" +
                          py_out.string() + " 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(py_out);
  const nlohmann::json py = nlohmann::json::parse(read_file(py_out));
  EXPECT_EQ(py["arch"], report["arch"]);
  for (size_t i = 0; i < texts.size(); ++i) {
    for (int64_t k = 0; k < cpp.size(1); ++k) {
      EXPECT_NEAR(py["logits"][i][k].get<double>(), cpp[int64_t(i)][k].item<double>(), 1e-4) << texts[i];
    }
  }
}

TEST(SearchCli, ExportFineTunesTheArchBeforeSavingIt) {
  const Artifacts& a = artifacts();
  const fs::path inherited = dir() / "inherited.pt", tuned = dir() / "tuned.pt";
  // No --seq: the latency is measured at the supernet's own sequence length (12 tokens here).
  const std::string common = fmt::format("export --supernet {} --arch 'h2-f64-s50-int8,skip,h1-f32-s0-fp32' --rounds 3 --json "
                                         "--threads 1 {}", a.supernet.string(), a.task);
  const Result plain = run(fmt::format("{} --out {}", common, inherited.string()));
  ASSERT_EQ(plain.code, 0) << plain.err;
  const Result r = run(fmt::format("{} --out {} --finetune-steps 6 --finetune-lr 3e-3", common, tuned.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);
  ASSERT_TRUE(report.contains("finetune")) << r.out;
  EXPECT_EQ(report["finetune"]["steps"].get<int>(), 6);
  // The inherited accuracy is the plain export's (supernet numerics within the agreement test's 0.2 points).
  EXPECT_NEAR(report["finetune"]["accuracy_inherited"].get<double>(),
              nlohmann::json::parse(plain.out)["accuracy_export"].get<double>(), 0.03);
  EXPECT_FALSE(fs::exists(report["finetune"]["checkpoint"].get<std::string>()));  // removed once the model is saved
  EXPECT_NE(r.err.find("finetune"), std::string::npos) << r.err;                   // progress with an ETA

  LoadedModel a_model = load_model(inherited.string()), b_model = load_model(tuned.string());
  EXPECT_EQ(b_model.meta.provenance["finetune"]["steps"].get<int>(), 6);
  const std::vector<std::string> texts = {"stone river animalish", "metal plantish quiet"};
  EXPECT_FALSE(torch::allclose(logits(a_model, texts, 2), logits(b_model, texts, 2)));  // the weights moved
}

TEST(SearchCli, ScorePrintsOneJsonLinePerArchAsTheSearchScoresIt) {
  const Artifacts& a = artifacts();
  // A search's candidates, scored again through `qtnas score`, a malformed line between them.
  const fs::path db = dir() / "score.sqlite", input = dir() / "score_input.txt";
  ASSERT_EQ(run(search_args(db, 1)).code, 0);
  const auto candidates = RunStore(db.string(), RunStore::Mode::Read).candidates();
  ASSERT_GE(candidates.size(), 2u);
  std::ofstream(input) << candidates[0].arch << "\nh9-f1-bogus\n\n" << candidates[1].arch << "\n";
  const Result r = run(fmt::format("score --supernet {} --latency-model {} --val-subset 60 --threads 1 {} < {}",
                                   a.supernet.string(), a.model.string(), a.task, input.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  std::istringstream lines(r.out);
  std::vector<nlohmann::json> out;
  for (std::string line; std::getline(lines, line);) out.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(out.size(), 3u) << r.out;  // the blank line is skipped
  EXPECT_FALSE(out[1]["ok"].get<bool>());
  EXPECT_EQ(out[1]["arch"], "h9-f1-bogus");
  EXPECT_FALSE(out[1]["error"].get<std::string>().empty());
  for (int i : {0, 1}) {
    const nlohmann::json& s = out[i == 0 ? 0 : 2];
    const CandidateRecord& c = candidates[i];
    ASSERT_TRUE(s["ok"].get<bool>()) << s.dump();
    EXPECT_EQ(s["arch"], c.arch);
    EXPECT_EQ(s["error"], "");
    EXPECT_DOUBLE_EQ(s["accuracy"].get<double>(), c.accuracy);
    EXPECT_DOUBLE_EQ(s["latency_ms"].get<double>(), c.latency_pred_ms);
    EXPECT_EQ(s["size_bytes"].get<int64_t>(), c.size_bytes);
  }
  // Over --skip-accuracy-over-ms, the accuracy is left out and the rest is given.
  const Result skipped = run(fmt::format("score --supernet {} --latency-model {} --val-subset 60 --threads 1 {} "
                                         "--skip-accuracy-over-ms 1e-6 < {}",
                                         a.supernet.string(), a.model.string(), a.task, input.string()));
  ASSERT_EQ(skipped.code, 0) << skipped.err;
  const nlohmann::json first = nlohmann::json::parse(skipped.out.substr(0, skipped.out.find('\n')));
  EXPECT_TRUE(first["ok"].get<bool>());
  EXPECT_TRUE(first["accuracy"].is_null());
  EXPECT_DOUBLE_EQ(first["latency_ms"].get<double>(), candidates[0].latency_pred_ms);
}

namespace {

// A file qtnas reads JSON from, made unreadable as JSON, and a command that reads it.
struct Corruption {
  fs::path file;     // the file the message must name
  std::string args;  // the command
};

// Each JSON that qtnas reads, cut short or replaced, on the command that reads it.
struct CorruptJsonCase {
  const char* name;  // the end of the test's name, after NotJsonIsOneLineNamingTheFile/
  Corruption (*corrupt)(const fs::path& dir);
};

void PrintTo(const CorruptJsonCase& c, std::ostream* out) { *out << c.name; }

// The first half of `text`: a file cut short by a full disk or an interrupted copy.
std::string first_half(const std::string& text) { return text.substr(0, text.size() / 2); }

Corruption latency_model(const fs::path& dir) {
  const Artifacts& a = artifacts();
  const fs::path cut = dir / "latency.json";
  std::ofstream(cut) << first_half(read_file(a.model));
  return {cut, fmt::format("search --supernet {} --latency-model {} --latency-budget-ms 1 --threads 1 --db {} {}",
                           a.supernet.string(), cut.string(), (dir / "run.sqlite").string(), a.task)};
}

// The latency model a run recorded, cut short after the run: `export --db` reads it again.
Corruption latency_model_of_a_run(const fs::path& dir) {
  const Artifacts& a = artifacts();
  const fs::path model = dir / "latency.json", db = dir / "run.sqlite";
  fs::copy_file(a.model, model);
  const Result search =
      run(fmt::format("search --supernet {} --latency-model {} --latency-budget-ms 1.0 --population 4 --generations 1 "
                      "--val-subset 60 --no-closed-loop --no-full-fidelity --threads 1 --db {} {}",
                      a.supernet.string(), model.string(), db.string(), a.task));
  EXPECT_EQ(search.code, 0) << search.err;
  std::ofstream(model) << first_half(read_file(a.model));
  return {model, fmt::format("export --db {} --best --out {} --threads 1", db.string(),
                             (dir / "model.pt").string())};
}

// A work directory whose tokenizer's fingerprint file is cut short: `data` reads it to reuse the tokenizer.
Corruption tokenizer_fingerprint(const fs::path& dir) {
  const Artifacts& a = artifacts();
  const fs::path work = dir / "work", sidecar = work / "tokenizer.model.json";
  fs::create_directories(work);
  fs::copy_file(a.supernet.parent_path() / "tokenizer.model", work / "tokenizer.model");
  std::ofstream(sidecar) << first_half(read_file(a.supernet.parent_path() / "tokenizer.model.json"));
  return {sidecar, fmt::format("data {} --vocab-size 60 --workdir {}", a.task, work.string())};
}

// A TorchScript file whose qtnas_meta.json (see export/package.cpp) is cut short.
Corruption model_metadata(const fs::path& dir) {
  const fs::path model = dir / "model.pt";
  torch::jit::Module module("m");
  module.save(model.string(), {{"qtnas_meta.json", R"({"format": "qtnas-model", "version": 1, "arch": "h2-f)"},
                               {"tokenizer.model", ""}});
  return {model, "predict --model " + model.string() + " 'some text'"};
}

// A checkpoint whose qtnas_meta (see supernet/checkpoint.h) is cut short.
Corruption checkpoint_metadata(const fs::path& dir) {
  const Artifacts& a = artifacts();
  const fs::path checkpoint = dir / "supernet.pt";
  torch::serialize::OutputArchive archive;
  archive.write("qtnas_meta", c10::IValue(std::string(R"({"format": "qtnas-supernet", "version": 1, "spa)")));
  archive.save_to(checkpoint.string());
  return {checkpoint, fmt::format("eval --supernet {} --arch largest --threads 1 {}", checkpoint.string(), a.task)};
}

class CorruptJson : public ::testing::TestWithParam<CorruptJsonCase> {};

}  // namespace

TEST_P(CorruptJson, NotJsonIsOneLineNamingTheFile) {
  const fs::path case_dir = dir() / "case";
  fs::create_directories(case_dir);
  const Corruption c = GetParam().corrupt(case_dir);
  qtnas::testing::expect_bad_input(run(c.args), {"'" + c.file.string() + "'", ": not valid JSON: "}, c.args);
}

INSTANTIATE_TEST_SUITE_P(EveryReader, CorruptJson,
                         ::testing::Values(CorruptJsonCase{"latency_model", latency_model},
                                           CorruptJsonCase{"latency_model_of_a_run", latency_model_of_a_run},
                                           CorruptJsonCase{"tokenizer_fingerprint", tokenizer_fingerprint},
                                           CorruptJsonCase{"model_metadata", model_metadata},
                                           CorruptJsonCase{"checkpoint_metadata", checkpoint_metadata}),
                         [](const ::testing::TestParamInfo<CorruptJsonCase>& info) { return info.param.name; });

TEST(SearchCli, ProfileWritesAModelAndReportsItsHeldOutSubnetsWorstFirst) {
  const Artifacts& a = artifacts();
  const fs::path db = dir() / "profile.sqlite", out = dir() / "profile.json";
  for (const fs::path& f : {db, out}) fs::remove(f);
  const Result bad = run(fmt::format("profile --supernet {} --db {} --rounds 2 --threads 1", a.supernet.string(), db.string()));
  EXPECT_EQ(bad.code, 2);
  EXPECT_NE(bad.err.find("--rounds"), std::string::npos) << bad.err;
  const Result no_repeats = run(fmt::format("profile --supernet {} --db {} --subnet-repeats 0 --threads 1",
                                            a.supernet.string(), db.string()));
  EXPECT_EQ(no_repeats.code, 2);
  EXPECT_NE(no_repeats.err.find("--subnet-repeats"), std::string::npos) << no_repeats.err;
  const Result r = run(fmt::format("profile --supernet {} --db {} --out {} --samples 12 --rounds 3 --min-rounds 1 "
                                   "--threads 1 --json", a.supernet.string(), db.string(), out.string()));
  ASSERT_EQ(r.code, 0) << r.err;
  const nlohmann::json report = nlohmann::json::parse(r.out);
  EXPECT_EQ(report.at("model").get<std::string>(), out.string());
  EXPECT_EQ(report.at("subnets_measured").get<int>(), 12);
  const auto& held_out = report.at("held_out");
  ASSERT_FALSE(held_out.empty());
  for (size_t i = 1; i < held_out.size(); ++i) {
    EXPECT_GE(std::abs(held_out[i - 1]["error"].get<double>()), std::abs(held_out[i]["error"].get<double>()));
  }
  EXPECT_EQ(report.at("holdout").at("n").get<size_t>(), held_out.size());
  EXPECT_EQ(load_latency_model(out.string()).fit_record().measurement_db, fs::absolute(db).string());
}
