// Tests of the `qtnas` executable as a user runs it: exit codes, one-line errors, --json, config files.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/cli_run.h"

namespace fs = std::filesystem;

namespace {

using Result = qtnas::testing::CliResult;

class Cli : public ::testing::Test {
 protected:
  Result run(const std::string& args) { return qtnas::testing::run_qtnas(dir_, args); }

  // Bad input: exit code 2 and exactly one line on stderr that contains `needle`.
  void expect_bad_input(const std::string& args, const std::string& needle) {
    qtnas::testing::expect_bad_input(run(args), {needle}, args);
  }

  fs::path write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
    return dir_ / name;
  }

  const fs::path dir_ = qtnas::testing::scratch_dir("qtnas_cli_test");
};

TEST_F(Cli, HelpListsEverySubcommandWithItsSummaryAndEachHasItsOwnHelp) {
  const Result r = run("--help");
  ASSERT_EQ(r.code, 0) << r.err;
  // The banner alone names some subcommands ("search" holds "arch"): read the list under "subcommands:", one
  // "  <name>  <summary>" line each, in the order of the data flow.
  const size_t list = r.out.find("subcommands:\n");
  ASSERT_NE(list, std::string::npos) << r.out;
  std::istringstream lines(r.out.substr(list + std::string("subcommands:\n").size()));
  std::vector<std::string> listed;
  for (std::string line; std::getline(lines, line) && !line.empty();) {
    std::istringstream fields(line);
    std::string name, summary;
    fields >> name;
    std::getline(fields >> std::ws, summary);
    EXPECT_EQ(line.rfind("  " + name + " ", 0), 0u) << "not a subcommand line: '" << line << "'";
    EXPECT_GE(summary.size(), 20u) << name << " has no summary: '" << line << "'";
    listed.push_back(name);
  }
  const std::vector<std::string> expected = {"data",   "arch",   "pretrain", "train", "eval",   "profile", "search",
                                             "resume", "worker", "score",    "front", "plot",   "export",  "predict"};
  EXPECT_EQ(listed, expected) << r.out;
  // Each subcommand's own help lists its options.
  std::map<std::string, std::string> helps;
  for (const std::string& name : expected) {
    const Result help = run(name + " --help");
    EXPECT_EQ(help.code, 0) << name << ": " << help.err;
    EXPECT_NE(help.out.find("qtnas " + name + " options"), std::string::npos) << help.out;
    EXPECT_NE(help.out.find("--dump-config"), std::string::npos) << help.out;
    helps[name] = help.out;
  }
  EXPECT_NE(helps["arch"].find("--sparsity-choices"), std::string::npos);
  EXPECT_NE(helps["data"].find("--task"), std::string::npos);
  // No subcommand: the same usage, on stderr, as bad input.
  const Result none = run("");
  EXPECT_EQ(none.code, 2);
  EXPECT_NE(none.err.find("  predict "), std::string::npos) << none.err;
}

TEST_F(Cli, BadInputGivesOneLineAndCodeTwo) {
  expect_bad_input("frobnicate", "unknown subcommand 'frobnicate'");
  expect_bad_input("arch --no-such-option", "no-such-option");
  expect_bad_input("arch --random", "random");
  expect_bad_input("arch --random x", "random");
  expect_bad_input("arch --check 'h4-f1024-s0'", "layer 0");
  expect_bad_input("arch --check 'h9-f1024-s0-fp32,skip,skip,skip,skip,skip'", "9 heads");
  expect_bad_input("arch --random 3 --ffn-choices 0,abc", "'abc'");
  expect_bad_input("arch", "exactly one of");
  expect_bad_input("arch --random 1 --config " + (dir_ / "missing.ini").string(), "missing.ini");
  expect_bad_input("data --task tsv --data " + (dir_ / "missing.tsv").string(), "missing.tsv");
  expect_bad_input("data --task xlsx", "unknown task 'xlsx'");
  expect_bad_input("data --task tsv", "--train");
  expect_bad_input("data --wordnet-dir " + (dir_ / "nowhere").string(), "wordnet-base");
  const auto bad = write("bad.tsv", "text\tlabel\nhello\tpos\nno label here\n");
  expect_bad_input("data --task tsv --data " + bad.string(), "bad.tsv:3");
}

TEST_F(Cli, ArchRandomIsDeterministicAndJson) {
  const Result a = run("arch --random 20 --seed 5 --json");
  const Result b = run("arch --random 20 --seed 5 --json");
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(a.out, b.out);
  const auto j = nlohmann::json::parse(a.out);
  ASSERT_EQ(j["archs"].size(), 20u);
  // Each printed arch checks out, with the same id and size.
  const auto first = j["archs"][0];
  const Result c = run("arch --json --check '" + first["arch"].get<std::string>() + "'");
  ASSERT_EQ(c.code, 0) << c.err;
  const auto k = nlohmann::json::parse(c.out);
  EXPECT_EQ(k["archs"][0]["id"], first["id"]);
  EXPECT_EQ(k["archs"][0]["size_bytes"], first["size_bytes"]);
  EXPECT_NE(run("arch --random 20 --seed 6 --json").out, a.out);
}

TEST_F(Cli, ConfigFileSectionsAndDumpConfig) {
  const auto ini = write("q.ini", "seed = 9\nvocab-size = 500\n[arch]\nrandom = 4\nlayers = 3\n[data]\ntask = tsv\n");
  Result r = run("arch --config " + ini.string() + " --dump-config");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("[arch]"), std::string::npos);
  EXPECT_NE(r.out.find("seed = 9"), std::string::npos);
  EXPECT_NE(r.out.find("layers = 3"), std::string::npos);
  EXPECT_NE(r.out.find("vocab-size = 500"), std::string::npos);
  // The command line wins over the file.
  r = run("arch --config " + ini.string() + " --layers 2 --dump-config");
  EXPECT_NE(r.out.find("layers = 2"), std::string::npos);
  // The dumped configuration is itself a valid config file giving the same configuration.
  const auto dumped = write("dumped.ini", r.out);
  EXPECT_EQ(run("arch --config " + dumped.string() + " --dump-config").out, r.out);
  r = run("arch --config " + ini.string() + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["archs"].size(), 4u);
  expect_bad_input("arch --config " + write("typo.ini", "[arch]\nsed = 1\n").string(), "typo.ini:2");
  expect_bad_input("arch --config " + write("global.ini", "nonsense = 1\n").string(), "nonsense");
  expect_bad_input("arch --config " + write("noeq.ini", "[arch]\nrandom\n").string(), "noeq.ini:2");
}

// A user's files, each kind of bad input: one line naming the file (and line), code 2, and the file untouched.
TEST_F(Cli, BadUserFilesGiveOneLineAndCodeTwo) {
  const std::string header = "product,review,score\n";
  std::string rows;
  for (int i = 0; i < 60; ++i) rows += fmt::format("p{},\"review {}, fine\",{}\n", i, i, i % 2 ? "good" : "bad");
  const auto good = write("good.csv", header + rows);
  const auto val = write("val.csv", header + "a,\"ok, fine\",good\nb,meh,awful\n");
  const auto missing_field = write("short.csv", header + rows + "p9,\"no score\"\n");
  const auto empty_field = write("empty.csv", header + rows + "p9,,good\n");
  const auto open_quote = write("open.csv", header + rows + "p9,\"never closed,good\n");
  const auto renamed = write("reviews.txt", header + rows);
  const std::string cols = " --text-column review --label-column score --workdir " + (dir_ / "w").string();
  const std::vector<std::pair<std::string, std::vector<std::string>>> cases = {
      {"data --data " + good.string() + " --workdir " + (dir_ / "w").string(),
       {"good.csv:1:", "no 'text' column", "'product', 'review', 'score'"}},
      {"data --data " + good.string() + cols + " --text-pair-column title", {"good.csv:1:", "no 'title' column"}},
      {"data --data " + missing_field.string() + cols, {"short.csv:62:", "expected 3 fields", "found 2"}},
      {"data --data " + empty_field.string() + cols, {"empty.csv:62:", "empty text"}},
      {"data --data " + open_quote.string() + cols, {"open.csv:62:", "never closed"}},
      {"data --train " + good.string() + " --val " + val.string() + " --test " + good.string() + cols,
       {"val.csv:3:", "label 'awful'", "val split"}},
      {"data --data " + renamed.string() + cols, {"reviews.txt", "'.txt'", "--format"}},
      {"data --data " + renamed.string() + cols + " --format xls", {"'xls'", "csv"}},
  };
  for (const auto& [args, parts] : cases) qtnas::testing::expect_bad_input(run(args), parts, args);
  // The same file given with --format csv reads.
  EXPECT_EQ(run("data --data " + renamed.string() + cols + " --format csv --no-baseline --vocab-size 60").code, 0);
  EXPECT_EQ(qtnas::testing::read_file(good), header + rows);  // nothing rewrites a user's file
}

TEST_F(Cli, DataOnUserTsvPrintsStatistics) {
  std::string text = "id\ttext\tlabel\n";
  for (int i = 0; i < 300; ++i) {
    text += std::to_string(i) + "\t" + (i % 2 ? "the cat sat on the mat number " : "a dog ran in the park ") +
            std::to_string(i) + "\t" + (i % 2 ? "cat" : "dog") + "\n";
  }
  const auto data = write("pets.tsv", text);
  const std::string args = "data --task tsv --data " + data.string() + " --vocab-size 60 --seq-len 8 --workdir " +
                           (dir_ / "work").string() + " --json";
  const Result r = run(args);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_FALSE(j["tokenizer"]["reused"].get<bool>());
  EXPECT_TRUE(fs::exists(dir_ / "work" / "tokenizer.model"));
  EXPECT_EQ(j["label_names"], (nlohmann::json{"cat", "dog"}));
  // A second run reuses the tokenizer and prints the same statistics.
  const auto again = nlohmann::json::parse(run(args).out);
  EXPECT_TRUE(again["tokenizer"]["reused"].get<bool>());
  EXPECT_EQ(again["splits"], j["splits"]);
}

}  // namespace
