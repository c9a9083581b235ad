// `qtnas train` as a user runs it: the preset's masked-token pretraining first, into its own checkpoint, then
// the labels from those weights; a rerun resumes without pretraining again; --init and --pretrain-epochs 0 skip
// the first phase; `qtnas pretrain` then `train --init` is the same recipe in two commands.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "supernet/checkpoint.h"
#include "tests/cli_run.h"
#include "tests/tiny_artifacts.h"

namespace fs = std::filesystem;
using namespace qtnas;
using qtnas::testing::CliResult;

namespace {

fs::path dir() { return qtnas::testing::scratch_dir("qtnas_train_cli_test"); }

const qtnas::testing::TinyArtifacts& artifacts() {
  static const auto a = qtnas::testing::make_tiny_artifacts(dir());
  return a;
}

// The tiny task's space, 4 steps on the labels; `extra` adds the phase options under test.
CliResult train(const fs::path& out, const std::string& extra) {
  return qtnas::testing::run_qtnas(
      dir(), fmt::format("train {} --workdir {} --layers 2 --hidden 32 --heads 2 --head-dim 16 --ffn-choices 0,32,64 "
                         "--sparsity-choices 0,0.5 --precisions fp32,int8 --vocab-size 60 --seq-len 16 --steps 4 "
                         "--batch-size 16 --threads 1 --eval-limit 50 --no-baseline --json --out {} {}",
                         artifacts().task, (dir() / "work").string(), out.string(), extra));
}

std::string objective_of(const fs::path& checkpoint) {
  return load_checkpoint(checkpoint.string()).meta.training.at("config").at("objective").get<std::string>();
}

}  // namespace

TEST(TrainCli, PretrainsFirstIntoItsOwnCheckpointThenTrainsTheLabelsFromIt) {
  const fs::path out = dir() / "two_phases.pt", pretrained = dir() / "two_phases.pretrained.pt";
  const CliResult first = train(out, "--pretrain-epochs 0.5");
  ASSERT_EQ(first.code, 0) << first.err;
  ASSERT_TRUE(fs::exists(pretrained));
  EXPECT_EQ(objective_of(pretrained), "masked_lm");
  EXPECT_EQ(objective_of(out), "classify");
  EXPECT_NE(first.err.find("pretraining (masked tokens, the largest alone)"), std::string::npos) << first.err;
  EXPECT_NE(first.err.find("starting from the pretrained weights of '" + pretrained.string() + "'"),
            std::string::npos)
      << first.err;
  const nlohmann::json report = nlohmann::json::parse(first.out);
  EXPECT_EQ(report.at("objective"), "classify");
  EXPECT_EQ(report.at("pretrain").at("objective"), "masked_lm");
  EXPECT_GT(report.at("pretrain").at("steps").get<int>(), 0);

  // A finished (or begun) training on the labels is resumed, never preceded by pretraining again.
  const auto stamp = fs::last_write_time(pretrained);
  const CliResult again = train(out, "--pretrain-epochs 0.5");
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_NE(again.err.find("resuming '" + out.string() + "'"), std::string::npos) << again.err;
  EXPECT_EQ(again.err.find("pretraining (masked tokens"), std::string::npos) << again.err;
  EXPECT_FALSE(nlohmann::json::parse(again.out).contains("pretrain"));
  EXPECT_EQ(fs::last_write_time(pretrained), stamp);
}

TEST(TrainCli, InitOrZeroPretrainEpochsSkipThePretrainingPhase) {
  const fs::path none = dir() / "no_pretraining.pt";
  const CliResult plain = train(none, "--pretrain-epochs 0");
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_FALSE(fs::exists(dir() / "no_pretraining.pretrained.pt"));
  EXPECT_EQ(plain.err.find("pretraining (masked tokens"), std::string::npos) << plain.err;

  // The same recipe in two commands: `qtnas pretrain`, then `train --init` from its checkpoint.
  const fs::path pretrained = dir() / "by_hand.pretrained.pt";
  const CliResult pre = qtnas::testing::run_qtnas(
      dir(), fmt::format("pretrain {} --workdir {} --layers 2 --hidden 32 --heads 2 --head-dim 16 --ffn-choices "
                         "0,32,64 --sparsity-choices 0,0.5 --precisions fp32,int8 --vocab-size 60 --seq-len 16 "
                         "--steps 3 --threads 1 --eval-limit 50 --out {}",
                         artifacts().task, (dir() / "work").string(), pretrained.string()));
  ASSERT_EQ(pre.code, 0) << pre.err;
  EXPECT_EQ(objective_of(pretrained), "masked_lm");
  const CliResult from = train(dir() / "from_init.pt", "--init " + pretrained.string());
  ASSERT_EQ(from.code, 0) << from.err;
  EXPECT_EQ(from.err.find("pretraining (masked tokens"), std::string::npos) << from.err;
  EXPECT_NE(from.err.find("starting from the pretrained weights of '" + pretrained.string() + "'"),
            std::string::npos)
      << from.err;
}

TEST(TrainCli, ThePretrainCommandNeedsEpochsWhereThePresetDoesNotPretrain) {
  const CliResult r = qtnas::testing::run_qtnas(
      dir(), fmt::format("pretrain {} --workdir {} --preset quick --layers 2 --hidden 32 --heads 2 --head-dim 16 "
                         "--ffn-choices 0,32,64 --vocab-size 60 --seq-len 16 --threads 1 --out {}",
                         artifacts().task, (dir() / "work").string(), (dir() / "quick.pt").string()));
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("preset 'quick' does not pretrain: give --epochs or --steps"), std::string::npos) << r.err;
}

// --keep-choices gives the space token elimination: the checkpoint's space has the keeps, and an arch that drops
// tokens exports, is re-evaluated and re-measured. A bad list is one line and exit code 2.
TEST(TrainCli, KeepChoicesReachTheSpaceAndAnArchThatDropsTokensExports) {
  const fs::path out = dir() / "keep.pt", model = dir() / "keep_model.pt";
  const CliResult bad = train(dir() / "bad_keep.pt", "--keep-choices 1,0");
  EXPECT_EQ(bad.code, 2) << bad.err;
  EXPECT_NE(bad.err.find("qtnas: error: keep list '1,0': '0' is not a whole percent"), std::string::npos) << bad.err;
  EXPECT_EQ(bad.err.find("error", bad.err.find("error") + 1), std::string::npos) << bad.err;  // one error line
  EXPECT_FALSE(fs::exists(dir() / "bad_keep.pt"));

  const CliResult trained = train(out, "--keep-choices 1,0.5");
  ASSERT_EQ(trained.code, 0) << trained.err;
  EXPECT_EQ(load_checkpoint(out.string()).meta.space.keep_pct_choices, (std::vector<int>{50, 100}));
  // Written outside the workdir, the checkpoint has its tokenizer beside it, so eval reads it as it is.
  const CliResult evaluated = qtnas::testing::run_qtnas(
      dir(), fmt::format("eval --supernet {} --arch 'h2-f64-s0-fp32,h1-f32-s0-int8-k50' --no-baseline --threads 1 {}",
                         out.string(), artifacts().task));
  EXPECT_EQ(evaluated.code, 0) << evaluated.err;
  const CliResult exported = qtnas::testing::run_qtnas(
      dir(), fmt::format("export --supernet {} --arch 'h2-f64-s0-fp32,h1-f32-s0-int8-k50' --out {} --rounds 3 "
                         "--threads 1 --json {}",
                         out.string(), model.string(), artifacts().task));
  ASSERT_EQ(exported.code, 0) << exported.err;
  EXPECT_EQ(nlohmann::json::parse(exported.out).at("arch"), "h2-f64-s0-fp32,h1-f32-s0-int8-k50");
  EXPECT_TRUE(fs::exists(model));
}
