// The examples of examples/ run as a user runs them, on a fresh work directory: a CSV to an exported model
// (example 1), then that model in Python (example 2) and in a C++ program (example 3), which must label the
// texts exactly as `qtnas predict` does. A sentence-pair model goes through the same three.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/cli_run.h"
#include "tests/files.h"

namespace fs = std::filesystem;
using namespace qtnas::testing;

namespace {

std::string quoted(const std::vector<std::string>& texts) {
  std::string out;
  for (const auto& t : texts) out += " '" + t + "'";
  return out;
}

// `inputs`: how many texts, or pairs, `texts` holds.
void expect_three_routes_agree(const fs::path& dir, const fs::path& model, const std::vector<std::string>& texts,
                               long inputs) {
  const CliResult predicted = run_qtnas(dir, "predict --threads 1 --model " + model.string() + quoted(texts));
  ASSERT_EQ(predicted.code, 0) << predicted.err;
  EXPECT_EQ(std::count(predicted.out.begin(), predicted.out.end(), '\n'), inputs) << predicted.out;
  const CliResult cpp = run_command(dir, std::string(QTNAS_CLASSIFY_EXAMPLE) + " " + model.string() + quoted(texts));
  EXPECT_EQ(cpp.code, 0) << cpp.err;
  EXPECT_EQ(cpp.out, predicted.out);
  const std::string python = python_importing("torch, sentencepiece");
  if (python.empty()) {
    GTEST_SKIP() << "example 2 not run: /usr/bin/python3 lacks torch or sentencepiece (scripts/setup.sh installs "
                    "python3-torch and python3-sentencepiece)";
  }
  const CliResult py =
      run_command(dir, python + " " + QTNAS_SOURCE_DIR "/examples/classify.py " + model.string() + quoted(texts));
  EXPECT_EQ(py.code, 0) << py.err;
  EXPECT_EQ(py.out, predicted.out);
}

}  // namespace

TEST(Examples, CsvToModelThenPythonAndCpp) {
  const fs::path dir = scratch_dir("qtnas_examples_csv");
  const CliResult run = run_command(
      dir, fmt::format("QTNAS_BIN={} QTNAS_EXAMPLE_STEPS=20 bash {}/examples/csv_to_model.sh "
                       "{}/examples/data/glosses.csv {}",
                       QTNAS_BIN, QTNAS_SOURCE_DIR, QTNAS_SOURCE_DIR, (dir / "work").string()));
  ASSERT_EQ(run.code, 0) << run.out << run.err;
  EXPECT_NE(run.out.find("== label new texts"), std::string::npos) << run.out;
  ASSERT_TRUE(fs::exists(dir / "work" / "model.pt"));
  expect_three_routes_agree(dir, dir / "work" / "model.pt",
                            {"a small furry animal with long ears", "a tall plant with a woody trunk",
                             "a sweet baked food made of flour and sugar"},
                            3);
}

// A pair task from a CSV: the label says whether the second text repeats the first one's marker word.
TEST(Examples, PairModelThroughTheThreeRoutes) {
  const fs::path dir = scratch_dir("qtnas_examples_pairs");
  const std::vector<std::string> words = {"stone", "river", "cloud", "paper", "green", "quiet", "metal", "light"};
  std::string csv = "claim,evidence,verdict\n";
  for (int i = 0; i < 400; ++i) {
    const std::string& a = words[size_t(i) % words.size()];
    const std::string& b = words[size_t(i * 7 + 3) % words.size()];
    const bool same = i % 2 == 0;
    csv += fmt::format("\"the {}, seen {} times\",\"a {} here\",{}\n", a, i, same ? a : b, same ? "yes" : "no");
  }
  std::ofstream(dir / "pairs.csv") << csv;
  const std::string task = fmt::format(
      "--data {} --text-column claim --text-pair-column evidence --label-column verdict --workdir {}",
      (dir / "pairs.csv").string(), (dir / "work").string());
  const std::string space = "--layers 2 --hidden 32 --heads 2 --head-dim 16 --ffn-choices 0,32 --sparsity-choices 0 "
                            "--precisions fp32,int8";
  const CliResult trained = run_qtnas(dir, fmt::format("train {} {} --vocab-size 60 --steps 20 --pretrain-epochs 0 "
                                                       "--no-baseline --threads 1 --out {}",
                                                       task, space, (dir / "work" / "supernet.pt").string()));
  ASSERT_EQ(trained.code, 0) << trained.err;
  const fs::path model = dir / "pair_model.pt";
  const CliResult exported = run_qtnas(dir, fmt::format("export {} --supernet {} --arch largest --no-evaluate "
                                                        "--threads 1 --rounds 3 --out {}",
                                                        task, (dir / "work" / "supernet.pt").string(),
                                                        model.string()));
  ASSERT_EQ(exported.code, 0) << exported.err;
  expect_three_routes_agree(dir, model,
                            {"the stone, seen once", "a stone here", "the river, seen twice", "a cloud here"}, 2);
  // The pair supernet with the task's single texts, and one text alone for the pair model: refused.
  const CliResult single = run_qtnas(
      dir, fmt::format("eval --supernet {} --data {} --text-column claim --label-column verdict --arch largest "
                       "--threads 1",
                       (dir / "work" / "supernet.pt").string(), (dir / "pairs.csv").string()));
  expect_bad_input(single, {"trained on pairs of texts", "single texts", "--text-pair-column"}, "eval without pairs");
  const CliResult alone = run_qtnas(dir, "predict --model " + model.string() + " 'the stone'");
  expect_bad_input(alone, {"pairs of texts", "two by two"}, "predict one text with a pair model");
}
