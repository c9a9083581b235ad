// Scale-out over torch.distributed (c10d) through the `qtnas` executable, with real processes on localhost:
// data-parallel training on 2 ranks against 1 process with the same global batch, and a distributed search
// with 2 workers, one of them killed mid-generation, against a single-process search; and the messages of
// distributed evaluation (distributed/protocol.h) through their JSON and back.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <nlohmann/json.hpp>

#include "distributed/protocol.h"
#include "supernet/checkpoint.h"
#include "supernet/machine.h"
#include "tests/cli_run.h"
#include "tests/expect_error.h"
#include "tests/tiny_artifacts.h"

namespace fs = std::filesystem;
using namespace qtnas;
using qtnas::testing::CliResult;

namespace {

fs::path dir() { return qtnas::testing::scratch_dir("qtnas_distributed_test"); }
CliResult run(const std::string& args) { return qtnas::testing::run_qtnas(dir(), args); }

// A TCP port free right now on localhost (the kernel's pick), so that tests running in parallel do not collide.
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

const qtnas::testing::TinyArtifacts& artifacts() {
  static const auto a = qtnas::testing::make_tiny_artifacts(dir());
  return a;
}

// A tiny supernet trained from scratch on the tiny task (no pretraining phase): 6 steps of a global batch of
// `batch`, the importance reorder after 2 of them unless `reorder` is false, dropout off (the only randomness
// that differs between ranks), at learning rate `lr` (0: the weights stay as initialized).
std::string train_args(const fs::path& out, int batch, bool reorder = true, double lr = 1e-3) {
  return fmt::format(
      "train {} --workdir {} --layers 2 --hidden 32 --heads 2 --head-dim 16 --ffn-choices 0,32,64 "
      "--sparsity-choices 0,0.5 --precisions fp32,int8 --vocab-size 60 --seq-len 16 --steps 6 --batch-size {} "
      "--sandwich-start {} --reorder {} --dropout 0 --seed 3 --threads 1 --eval-limit 50 --lr {} --out {} "
      "--pretrain-epochs 0 --no-baseline",
      artifacts().task, (dir() / "work").string(), batch, reorder ? 0.34 : 0.0, reorder, lr, out.string());
}

using Parameters = std::vector<std::pair<std::string, torch::Tensor>>;
Parameters parameters(const fs::path& checkpoint) {
  Parameters out;
  for (const auto& p : load_checkpoint(checkpoint.string()).net->named_parameters()) out.emplace_back(p.key(), p.value());
  return out;
}

// The largest absolute difference between two checkpoints' parameters.
double max_difference(const fs::path& a, const fs::path& b) {
  const Parameters x = parameters(a), y = parameters(b);
  EXPECT_EQ(x.size(), y.size());
  double d = 0;
  for (size_t i = 0; i < x.size(); ++i) d = std::max(d, (x[i].second - y[i].second).abs().max().item<double>());
  return d;
}

// |a - b| / |b - start| over all parameters (L2): how far apart two trainings ended, relative to how far the
// reference training moved the weights from where both started.
double relative_distance(const fs::path& a, const fs::path& b, const fs::path& start) {
  const Parameters x = parameters(a), y = parameters(b), s = parameters(start);
  double apart = 0, moved = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    apart += (x[i].second - y[i].second).pow(2).sum().item<double>();
    moved += (y[i].second - s[i].second).pow(2).sum().item<double>();
  }
  return std::sqrt(apart / moved);
}

// What data-parallel training promises depends on the arithmetic, so each is tested on its own:
// - FP32 (every CPU; QTNAS_NO_NATIVE_BF16=1 makes a CPU with native bf16 train in fp32): two ranks give the
//   weights of one process with the same global batch, up to float rounding.
// - BF16 autocast (CPUs with native bf16 only): gradients are fp32 tensors, summed over ranks in fp32, but each
//   rank's gradient carries the bf16 rounding of its own partial sums. The weights agree with one process within
//   5% of how far training moved them (measured on an AMD EPYC Zen 5: 1.2%), while a half batch ends about as
//   far away as training moved them at all. Without the importance reorder: its order is a discrete choice
//   between heads and neurons of nearly equal importance, which bf16 rounding can tip either way, moving whole
//   rows (the reorder's rank synchronization is arithmetic-free and tested in fp32).
enum class Arithmetic { FP32, NativeBF16 };

class DistributedTraining : public ::testing::TestWithParam<Arithmetic> {
 protected:
  void SetUp() override {
    if (GetParam() == Arithmetic::NativeBF16 && !cpu_has_fast_bf16()) {
      GTEST_SKIP() << "bf16 autocast trains only where bf16 is native; here bf16 is " << bf16_support();
    }
  }
  bool bf16() const { return GetParam() == Arithmetic::NativeBF16; }
  // The environment of every qtnas process of the test: fp32 forced, or left as the CPU decides.
  std::string env() const { return bf16() ? "" : "QTNAS_NO_NATIVE_BF16=1"; }
  fs::path path(const std::string& name) const { return dir() / ((bf16() ? "bf16_" : "fp32_") + name); }
};

TEST_P(DistributedTraining, TwoRanksMatchOneProcessWithTheSameGlobalBatch) {
  const bool reorder = !bf16();
  const fs::path single = path("single.pt"), dist = path("dist.pt"), half = path("half.pt"), start = path("start.pt");
  const CliResult one = qtnas::testing::run_qtnas(dir(), train_args(single, 16, reorder), env());
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_NE(one.err.find(bf16() ? "bf16 autocast" : "fp32"), std::string::npos) << one.err;
  // Rank 0 gets the group by options, rank 1 by the environment variables torchrun sets. Rank 1 names another
  // checkpoint path: only rank 0 writes, and the ranks agree without comparing paths.
  const int port = free_port();
  const fs::path rank1_out = path("rank1_never_written.pt");
  const pid_t rank1 = qtnas::testing::spawn_qtnas(
      train_args(rank1_out, 16, reorder) + " --dist-timeout 120", path("rank1.log").string(),
      fmt::format("{} WORLD_SIZE=2 RANK=1 MASTER_ADDR=127.0.0.1 MASTER_PORT={}", env(), port));
  const CliResult rank0 = qtnas::testing::run_qtnas(
      dir(), train_args(dist, 16, reorder) + fmt::format(" --world-size 2 --rank 0 --master-port {} --dist-timeout 120", port),
      env());
  ASSERT_EQ(rank0.code, 0) << rank0.err;
  ASSERT_EQ(qtnas::testing::wait_exit(rank1), 0) << qtnas::testing::read_file(path("rank1.log"));
  EXPECT_NE(rank0.err.find("over 2 ranks"), std::string::npos) << rank0.err;
  EXPECT_EQ(load_checkpoint(dist.string()).meta.training.at("step").get<int64_t>(), 6);
  EXPECT_FALSE(fs::exists(rank1_out));
  ASSERT_EQ(qtnas::testing::run_qtnas(dir(), train_args(half, 8, reorder), env()).code, 0);

  if (!bf16()) {
    // Summing both ranks' share-weighted gradients is the whole batch's gradient: equal up to float rounding
    // (the two halves are padded to their own lengths). A rank training on its half alone is far off.
    const double distributed = max_difference(single, dist), other_batch = max_difference(single, half);
    std::cout << fmt::format("fp32: max |single - 2 ranks| = {:.3g}; max |single - half batch| = {:.3g}\n",
                             distributed, other_batch);
    EXPECT_LT(distributed, 1e-4) << "other batch: " << other_batch;
    EXPECT_GT(other_batch, 100 * distributed);
    return;
  }
  ASSERT_EQ(qtnas::testing::run_qtnas(dir(), train_args(start, 16, reorder, /*lr=*/0), env()).code, 0);
  const double distributed = relative_distance(dist, single, start), other_batch = relative_distance(half, single, start);
  std::cout << fmt::format("bf16 ({}): |single - 2 ranks| = {:.3g}, |single - half batch| = {:.3g} of |single - start|\n",
                           cpu_model_name(), distributed, other_batch);
  EXPECT_LT(distributed, 0.05) << "other batch: " << other_batch;
  EXPECT_GT(other_batch, 10 * distributed);
}

INSTANTIATE_TEST_SUITE_P(Arithmetic, DistributedTraining, ::testing::Values(Arithmetic::FP32, Arithmetic::NativeBF16),
                         [](const auto& info) { return info.param == Arithmetic::FP32 ? "FP32" : "NativeBF16"; });

TEST(DistributedTrainingOptions, RefusesARankOutsideTheWorld) {
  const CliResult r = run(train_args(dir() / "never.pt", 16) + " --world-size 2 --rank 2");
  EXPECT_EQ(r.code, 2);
  EXPECT_NE(r.err.find("rank 2 is outside a world of 2"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(dir() / "never.pt"));
}

std::string search_args(const fs::path& db) {
  const auto& a = artifacts();
  return fmt::format(
      "search --supernet {} --latency-model {} --latency-budget-ms 1.0 --population 12 --generations 4 --seed 5 "
      "--val-subset 60 --no-closed-loop --threads 1 --json --db {} {}",
      a.supernet.string(), a.model.string(), db.string(), a.task);
}

nlohmann::json front(const fs::path& db) {
  const CliResult r = run("front --json --db " + db.string());
  EXPECT_EQ(r.code, 0) << r.err;
  return nlohmann::json::parse(r.out);
}

TEST(DistributedSearch, TwoWorkersOneKilledGiveTheSingleProcessFront) {
  const fs::path single = dir() / "single.sqlite", dist = dir() / "dist.sqlite";
  const CliResult alone = run(search_args(single));
  ASSERT_EQ(alone.code, 0) << alone.err;

  const std::string group = fmt::format(" --world-size 3 --master-port {} --dist-timeout 120", free_port());
  const pid_t steady = qtnas::testing::spawn_qtnas("worker" + group + " --rank 1",
                                                   (dir() / "worker1.log").string());
  // The second worker dies (SIGKILL) as its fourth job arrives, in the middle of the first generation.
  const pid_t doomed = qtnas::testing::spawn_qtnas("worker" + group + " --rank 2 --crash-after-jobs 3",
                                                   (dir() / "worker2.log").string());
  const CliResult rank0 = run(search_args(dist) + " --distributed --worker-timeout 5" + group);
  ASSERT_EQ(rank0.code, 0) << rank0.err;
  EXPECT_EQ(qtnas::testing::wait_exit(doomed), -SIGKILL);
  EXPECT_EQ(qtnas::testing::wait_exit(steady), 0) << qtnas::testing::read_file(dir() / "worker1.log");

  const auto summary = nlohmann::json::parse(rank0.out);
  const auto& stats = summary.at("distributed");
  std::cout << "rank 0: " << stats.dump() << "\n";
  EXPECT_EQ(stats.at("workers_joined").get<int>(), 2) << rank0.err;
  EXPECT_EQ(stats.at("workers_lost").get<int>(), 1) << rank0.err;
  EXPECT_EQ(stats.at("reassigned").get<int>(), 1) << rank0.err;
  EXPECT_EQ(stats.at("local").get<int>(), 0) << rank0.err;
  EXPECT_NE(rank0.err.find("goes to another worker"), std::string::npos) << rank0.err;

  const auto expected = front(single), got = front(dist);
  ASSERT_FALSE(expected.empty());
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].at("arch"), expected[i].at("arch"));
    EXPECT_EQ(got[i].at("accuracy"), expected[i].at("accuracy")) << got[i].at("arch");
    EXPECT_EQ(got[i].at("latency_ms"), expected[i].at("latency_ms"));
  }
}

TEST(EvaluationProtocol, MessagesRoundTripAndMalformedOnesAreRefused) {
  WorkerConfig config;
  config.supernet_path = "/runs/supernet.pt";
  config.supernet_hash = "abc123";
  config.space_hash = "def456";
  config.task = {{"task", "tiny"}, {"limit", 50}};
  config.val_subset = 60;
  config.threads_per_candidate = 2;
  const WorkerConfig c = worker_config_from_json(nlohmann::json::parse(to_json(config).dump()));
  EXPECT_EQ(c.supernet_path, config.supernet_path);
  EXPECT_EQ(c.supernet_hash, config.supernet_hash);
  EXPECT_EQ(c.space_hash, config.space_hash);
  EXPECT_EQ(c.task, config.task);
  EXPECT_EQ(c.val_subset, 60u);
  EXPECT_EQ(c.threads_per_candidate, 2);
  nlohmann::json no_hash = to_json(config);
  no_hash.erase("supernet_hash");
  qtnas::testing::expect_error([&] { worker_config_from_json(no_hash); },
                               {"rank 0's evaluation settings are malformed", "supernet_hash"});

  const EvaluationJob job{Fidelity::Full, parse_arch("h1-f32-s0-int8,skip")};
  const EvaluationJob back = evaluation_job_from_json(nlohmann::json::parse(to_json(job).dump()));
  EXPECT_EQ(back.fidelity, Fidelity::Full);
  EXPECT_EQ(back.arch, job.arch);
  qtnas::testing::expect_error([] { evaluation_job_from_json(nlohmann::json{{"fidelity", "full"}}); },
                               {"malformed evaluation job"});
  EXPECT_THROW(evaluation_job_from_json(nlohmann::json{{"fidelity", "half"}, {"arch", "skip"}}), Error);

  const WorkerReady ready = worker_ready_from_json(nlohmann::json::parse(to_json(WorkerReady{3, "host", 42}).dump()));
  EXPECT_EQ(ready.rank, 3);
  EXPECT_EQ(ready.host, "host");
  EXPECT_EQ(ready.pid, 42);
  EXPECT_EQ(worker_ready_from_json(nlohmann::json::object()).host, "?");
  EXPECT_THROW(worker_ready_from_json(nlohmann::json::parse("[1]")), Error);
}

TEST(DistributedSearch, WorkerRefusesRankZeroAndAnAbsentRankZero) {
  const CliResult zero = run("worker --world-size 2 --rank 0");
  EXPECT_EQ(zero.code, 2);
  EXPECT_NE(zero.err.find("a worker's rank is 1 or more"), std::string::npos) << zero.err;
  const CliResult absent = run(fmt::format("worker --world-size 2 --rank 1 --master-port {} --dist-timeout 1", free_port()));
  EXPECT_EQ(absent.code, 2);
  EXPECT_NE(absent.err.find("cannot reach rank 0"), std::string::npos) << absent.err;
}

}  // namespace
