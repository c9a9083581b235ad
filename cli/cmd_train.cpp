// `qtnas train`: train the weight-sharing supernet of a task (or resume it), then report the largest and
// smallest subnets' validation accuracy.
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common_options.h"
#include "cli/progress.h"
#include "distributed/process_group.h"
#include "space/error.h"
#include "space/hash.h"
#include "supernet/evaluate.h"
#include "supernet/machine.h"
#include "supernet/trainer.h"

namespace qtnas::cli {
namespace {

// Steps of each preset when --steps is not given. `default` fits the 30-minute budget on 2 AVX2 cores in fp32
// (about 1.2 s per step of 32 examples); `quick` is the demo's.
int64_t preset_steps(const std::string& preset) {
  if (preset == "default") return 1300;
  if (preset == "quick") return 150;
  QTNAS_FAIL("unknown preset '{}' (allowed: default, quick)", preset);
}

TrainConfig train_config_from(const po::variables_map& vm) {
  TrainConfig c;
  const int64_t steps = vm["steps"].as<int64_t>();
  c.steps = steps > 0 ? steps : preset_steps(vm["preset"].as<std::string>());
  c.batch_size = vm["batch-size"].as<int>();
  c.lr = vm["lr"].as<double>();
  c.random_subnets = vm["random-subnets"].as<int>();
  c.reorder_fraction = vm["reorder-fraction"].as<double>();
  c.bf16_autocast = !vm["no-bf16"].as<bool>();
  c.seed = vm["seed"].as<uint64_t>();
  c.checkpoint_every = vm["checkpoint-every"].as<int64_t>();
  if (vm.count("fixed-arch")) c.fixed_arch = vm["fixed-arch"].as<std::string>();
  return c;
}

// Data-parallel training: the rank's process group, its hooks for the trainer, and what rank 0 shares.
struct Group {
  std::unique_ptr<DataParallelGroup> group;  // null in a single process
  int rank = 0;
  DataParallel hooks() {
    DataParallel dp;
    if (!group) return dp;
    dp.rank = group->rank();
    dp.world_size = group->world_size();
    dp.all_reduce_sum = [g = group.get()](std::vector<torch::Tensor>& t) { g->all_reduce_sum(t); };
    dp.broadcast = [g = group.get()](std::vector<torch::Tensor>& t) { g->broadcast(t); };
    return dp;
  }
  // Rank 0's `value` on every rank (single process: `value`).
  std::string share(const std::string& key, const std::string& value) {
    return group ? group->share(key, value) : value;
  }
};

int run_train(const po::variables_map& vm) {
  set_threads(vm);
  Group g;
  const DistributedOptions dist = distributed_options_from(vm);
  g.rank = dist.rank;
  if (dist.world_size > 1) {
    std::cerr << fmt::format("rank {} of {}: joining rank 0 at {}:{}\n", dist.rank, dist.world_size, dist.master_addr,
                             dist.master_port);
    g.group = std::make_unique<DataParallelGroup>(dist);
  }
  // Rank 0 prepares the task first (it may train the tokenizer into a shared workdir); the other ranks then
  // must arrive at the very same tokenizer.
  std::optional<TaskContext> prepared;
  if (g.rank == 0) prepared.emplace(prepare_task(vm));
  const std::string fingerprint = g.share("tokenizer", prepared ? prepared->tokenizer_fingerprint : "");
  if (!prepared) prepared.emplace(prepare_task(vm));
  const TaskContext& task = *prepared;
  QTNAS_CHECK(task.tokenizer_fingerprint == fingerprint,
              "rank {}: the tokenizer here differs from rank 0's (another task or --vocab-size?)", g.rank);
  const std::string out = vm.count("out") ? vm["out"].as<std::string>() : workdir(vm) + "/supernet.pt";
  const int seq_len = vm["seq-len"].as<int>();
  const EncodedSplit train = encode_split(task.data.train, task.tokenizer, seq_len);
  const EncodedSplit val = encode_split(task.data.val, task.tokenizer, seq_len);

  SpaceConfig space = space_config_from(vm, task.data.num_classes());
  space.vocab_size = task.tokenizer.vocab_size();
  // Rank 0 decides whether this is a fresh run or a resumed one, and with which configuration.
  const bool resuming = std::filesystem::exists(out);
  const nlohmann::json start = nlohmann::json::parse(g.share(
      "start", g.rank == 0 ? nlohmann::json{{"resume", resuming}, {"config", to_json(train_config_from(vm))}}.dump()
                           : ""));
  std::unique_ptr<Trainer> trainer;
  if (start.at("resume").get<bool>()) {
    QTNAS_CHECK(resuming, "rank {}: rank 0 resumes from its checkpoint, but '{}' is missing here; every rank needs "
                "a copy of the checkpoint to resume (or a shared folder)", g.rank, out);
    const LoadedCheckpoint ckpt = load_checkpoint(out);
    QTNAS_CHECK(to_string(ckpt.meta.space) == to_string(space) &&
                    ckpt.meta.tokenizer_fingerprint == task.tokenizer_fingerprint,
                "'{}' holds a supernet of another task or search space; choose another --out (nothing was changed)",
                out);
    trainer = std::make_unique<Trainer>(ckpt);
    if (g.rank == 0) std::cerr << fmt::format("resuming '{}' at step {}/{}\n", out, trainer->step(), trainer->config().steps);
  } else {
    const TrainConfig config = train_config_from_json(start.at("config"));  // rank 0's, seed included
    torch::manual_seed(config.seed);
    CheckpointMeta meta{space, vm["dropout"].as<double>(), task.data.label_names, task.tokenizer_fingerprint, {}};
    trainer = std::make_unique<Trainer>(Supernet(space, meta.dropout), config, meta);
  }
  if (g.group) {
    const int64_t rank0_step = std::stoll(g.share("step", std::to_string(trainer->step())));
    QTNAS_CHECK(trainer->step() == rank0_step,
                "rank {} would start at step {} but rank 0 at step {}: every rank needs the same checkpoint '{}'",
                g.rank, trainer->step(), rank0_step, out);
    if (g.rank > 0) torch::manual_seed(trainer->config().seed * 1000003 + uint64_t(g.rank));  // own dropout masks
    trainer->set_data_parallel(g.hooks());
  }
  const TrainConfig& config = trainer->config();
  std::cerr << fmt::format("training {} on {} examples: {} steps of {}{}, {} threads, {}\n",
                           config.fixed_arch.empty() ? "the supernet" : "'" + config.fixed_arch + "' alone",
                           train.size(), config.steps, config.batch_size,
                           g.group ? fmt::format(" over {} ranks", dist.world_size) : "", at::get_num_threads(),
                           trainer->uses_bf16()            ? "bf16 autocast"
                           : config.bf16_autocast ? "fp32 (bf16 " + bf16_support() + ")"
                                                  : std::string("fp32 (--no-bf16)"));
  if (g.rank > 0) {  // rank 0 reports progress, writes checkpoints and evaluates
    trainer->run(train, val, out);
    std::cerr << fmt::format("rank {}: {} steps done\n", g.rank, trainer->step());
    return 0;
  }
  Progress progress("train", config.steps, trainer->step());
  TrainCallbacks callbacks;
  callbacks.on_step = [&](const TrainStatus& s) {
    progress.update(s.step, fmt::format("loss {:.3f} lr {:.2e}", s.loss, s.lr));
  };
  callbacks.on_log = [](const std::string& line) { std::cerr << "\n" << line << "\n"; };
  trainer->run(train, val, out, callbacks);
  progress.finish();

  Supernet net = trainer->net();
  const size_t limit = vm["eval-limit"].as<size_t>();
  nlohmann::json report = {{"checkpoint", out}, {"steps", config.steps},
                           {"train_seconds", progress.elapsed_seconds()}, {"reorder", trainer->reorder_report()}};
  std::vector<Arch> archs = {net->space().largest(), net->space().smallest()};
  if (!config.fixed_arch.empty()) archs = {parse_arch(config.fixed_arch)};
  for (const Arch& arch : archs) {
    const EvalResult r = evaluate(net, val, arch, 64, limit);
    report["val"].push_back({{"arch", to_string(arch)}, {"accuracy", r.accuracy}, {"loss", r.loss},
                             {"examples", r.examples}});
    if (!vm["json"].as<bool>()) {
      std::cout << fmt::format("val accuracy {:.2f}% loss {:.3f} ({} examples): {}\n", 100 * r.accuracy, r.loss,
                               r.examples, to_string(arch));
    }
  }
  if (vm["json"].as<bool>()) std::cout << report.dump(2) << "\n";
  return 0;
}

}  // namespace

Command train_command() {
  return {"train", "train the weight-sharing supernet (resumes an interrupted run)",
          [](po::options_description& desc) {
            add_task_options(desc);
            add_dims_options(desc);
            add_space_options(desc);
            const TrainConfig d;
            desc.add_options()
                ("preset", po::value<std::string>()->default_value("default"),
                 "default (the full budget, <= 30 min on 2 cores) or quick (the demo's)")
                ("steps", po::value<int64_t>()->default_value(0), "training steps (0: the preset's)")
                ("batch-size", po::value<int>()->default_value(d.batch_size), "examples per step")
                ("lr", po::value<double>()->default_value(d.lr), "peak learning rate (AdamW)")
                ("random-subnets", po::value<int>()->default_value(d.random_subnets),
                 "random subnets per step besides the largest and smallest")
                ("reorder-fraction", po::value<double>()->default_value(d.reorder_fraction),
                 "fraction of steps on the largest subnet before the importance reorder (0: none)")
                ("dropout", po::value<double>()->default_value(0.1), "dropout while training")
                ("no-bf16", po::bool_switch(), "train in fp32 even where the CPU has native bf16")
                ("seed", po::value<uint64_t>()->default_value(d.seed), "random seed")
                ("checkpoint-every", po::value<int64_t>()->default_value(d.checkpoint_every), "steps per checkpoint")
                ("fixed-arch", po::value<std::string>(), "train only this arch, alone (a standalone baseline)")
                ("out", po::value<std::string>(), "checkpoint path (default: <workdir>/supernet.pt)")
                ("eval-limit", po::value<size_t>()->default_value(0), "validation examples for the report (0: all)")
                ("threads", po::value<int>()->default_value(0), "LibTorch threads (0: all cores)")
                ("json", po::bool_switch(), "machine-readable report");
            add_distributed_options(desc);
          },
          run_train, /*positional=*/""};
}

}  // namespace qtnas::cli
