// `qtnas train`: the preset's recipe for the weight-sharing supernet of a task (or its resumption): masked-token
// pretraining on the task's own texts (self-pretraining), then the labels; then the largest and smallest
// subnets' validation accuracy beside the TF-IDF SVM's. `qtnas pretrain`: the first phase alone, whose
// checkpoint `train --init` takes.
#include <torch/torch.h>

#include <iostream>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common_options.h"
#include "data/baseline.h"
#include "distributed/process_group.h"
#include "space/progress.h"
#include "supernet/machine.h"
#include "supernet/task.h"
#include "supernet/trainer.h"
#include "supernet/training_phase.h"

namespace qtnas::cli {
namespace {

std::string preset_name(const po::variables_map& vm) {
  return optional_value<std::string>(vm, "preset").value_or("default");
}

// The options set on top of the preset.
RecipeOverrides overrides_from(const po::variables_map& vm) {
  RecipeOverrides o;
  o.epochs = optional_value<double>(vm, "epochs");
  o.lr = optional_value<double>(vm, "lr");
  o.sandwich_start = optional_value<double>(vm, "sandwich-start");
  o.mask_fraction = optional_value<double>(vm, "mask-fraction");
  o.batch_size = optional_value<int>(vm, "batch-size");
  o.random_subnets = optional_value<int>(vm, "random-subnets");
  o.reorder = optional_value<bool>(vm, "reorder");
  o.fixed_arch = optional_value<std::string>(vm, "fixed-arch");
  o.teacher = vm.count("teacher") > 0;
  o.steps = vm["steps"].as<int64_t>();
  o.no_bf16 = vm["no-bf16"].as<bool>();
  o.seed = vm["seed"].as<uint64_t>();
  o.checkpoint_every = vm["checkpoint-every"].as<int64_t>();
  return o;
}

// What the phases of one command share: the process group, the task and its space.
struct Session {
  std::unique_ptr<DataParallelGroup> group;  // null in a single process
  RankGroup ranks;
  int world_size = 1;
  int cores = 1;  // for configure_training_threads, once the phase knows its arithmetic
  std::optional<TaskContext> task;
  int seq_len = 0;
  SpaceConfig space;
  EncodedSplit val;
};

void open_session(const po::variables_map& vm, Session& s) {
  s.cores = cores_from(vm);
  const DistributedOptions dist = distributed_options_from(vm);
  s.world_size = dist.world_size;
  if (dist.world_size > 1) {
    std::cerr << fmt::format("rank {} of {}: joining rank 0 at {}:{}\n", dist.rank, dist.world_size, dist.master_addr,
                             dist.master_port);
    s.group = std::make_unique<DataParallelGroup>(dist);
    s.ranks = rank_group(*s.group);
  }
  s.task.emplace(prepare_task_on_ranks(s.ranks, [&] { return prepare_task(vm); }));
  s.seq_len = seq_len_from(vm, &*s.task);
  s.val = encode_split(s.task->data.val, s.task->tokenizer, s.seq_len);
  s.space = space_config_from(vm, s.task->data.num_classes(), s.seq_len);
  s.space.vocab_size = s.task->tokenizer.vocab_size();
}

// Rank 0's report of a finished phase: validation rows (printed unless --json), and the baseline beside
// accuracies on the labels.
nlohmann::json report_phase(const po::variables_map& vm, const Session& s, const Trainer& trainer,
                            const std::string& out, size_t train_size, double seconds) {
  const TrainConfig& config = trainer.config();
  const bool json = vm["json"].as<bool>();
  nlohmann::json report =
      qtnas::phase_report(trainer, out, train_size, s.seq_len, seconds, s.val, vm["eval-limit"].as<size_t>());
  if (!json) std::cout << describe_validation_rows(report);
  if (config.objective == Objective::Classify) {  // the baseline a user would pick instead, beside the accuracies
    std::optional<BaselineResult> baseline;
    std::string why = "not computed (--no-baseline)";
    if (!vm["no-baseline"].as<bool>()) baseline = tfidf_svm_baseline(s.task->data, workdir(vm), &why);
    report["baseline"] = to_json(baseline, why);
    if (!json) std::cout << describe(baseline, why) << "\n";
  }
  return report;
}

// One phase: trains `out` on `train` (resuming it if it exists, else from `fresh` and, when `init` is not empty,
// from those pretrained weights). Rank 0 reports progress, and the validation figures into `report`.
void run_phase(const po::variables_map& vm, Session& s, const EncodedSplit& train, const std::string& out,
               const TrainConfig& fresh, const std::string& init, nlohmann::json& report) {
  const int rank = s.ranks.rank();
  PhaseStart start{out, fresh,
                   CheckpointMeta{s.space, vm["dropout"].as<double>(), s.task->data.label_names,
                                  s.task->tokenizer_fingerprint, {}, s.task->data.pairs},
                   init, optional_value<std::string>(vm, "teacher").value_or("")};
  std::unique_ptr<Trainer> trainer =
      start_phase(start, s.ranks, [](const std::string& line) { std::cerr << line << "\n"; });
  configure_training_threads(s.cores, trainer->uses_bf16());
  const TrainConfig& config = trainer->config();
  std::cerr << describe_phase_start(*trainer, train.size(), s.seq_len, s.world_size, s.cores) << "\n";
  if (rank > 0) {  // rank 0 reports progress, writes checkpoints and evaluates
    trainer->run(train, s.val, out);
    std::cerr << fmt::format("rank {}: {} steps done\n", rank, trainer->step());
    return;
  }
  Progress progress(config.objective == Objective::MaskedLm ? "pretrain" : "train", config.steps, trainer->step());
  TrainCallbacks callbacks;
  callbacks.on_step = [&](const TrainStatus& st) {
    progress.update(st.step, fmt::format("loss {:.3f} lr {:.2e}", st.loss, st.lr));
  };
  callbacks.on_log = [](const std::string& line) { std::cerr << "\n" << line << "\n"; };
  trainer->run(train, s.val, out, callbacks);
  progress.finish();
  report = report_phase(vm, s, *trainer, out, train.size(), progress.elapsed_seconds());
}

int run_training(const po::variables_map& vm, Objective objective) {
  Session s;
  open_session(vm, s);
  const SearchSpace space(s.space);
  const bool mlm = objective == Objective::MaskedLm;
  const std::string out = vm.count("out") ? vm["out"].as<std::string>()
                                          : workdir(vm) + (mlm ? "/pretrained.pt" : "/supernet.pt");
  if (s.ranks.rank() == 0) place_training_tokenizer(out, s.task->tokenizer);
  nlohmann::json report;
  const EncodedSplit train = encode_split(s.task->data.train, s.task->tokenizer, s.seq_len);
  if (mlm) {
    const EncodedSplit texts = pretraining_split(train, *s.task, s.seq_len);
    run_phase(vm, s, texts, out, recipe(preset_name(vm), objective, overrides_from(vm), texts.size(), space), "",
              report);
  } else {
    const RecipeOverrides overrides = overrides_from(vm);
    const TrainConfig on_labels = recipe(preset_name(vm), objective, overrides, train.size(), space);
    const LabelPlan plan = plan_labels(
        preset_name(vm), optional_value<double>(vm, "pretrain-epochs"),
        train.size() + s.task->unlabeled.size(), space, on_labels, out,
        optional_value<std::string>(vm, "init").value_or(""), s.ranks);
    if (plan.pretrain) {
      TrainConfig pre = *plan.pretrain;
      apply_run_settings(pre, overrides);
      run_phase(vm, s, pretraining_split(train, *s.task, s.seq_len), plan.init, pre, "", report["pretrain"]);
    }
    nlohmann::json labels;
    run_phase(vm, s, train, out, on_labels, plan.init, labels);
    if (report.contains("pretrain")) labels["pretrain"] = report["pretrain"];
    report = std::move(labels);
  }
  if (s.ranks.rank() == 0 && vm["json"].as<bool>()) std::cout << report.dump(2) << "\n";
  return 0;
}

// Options of both commands: the task, its dimensions and space, the schedule, threads and ranks.
void add_training_options(po::options_description& desc, Objective objective) {
  add_task_options(desc);
  add_dims_options(desc);
  add_space_options(desc);
  const bool mlm = objective == Objective::MaskedLm;
  desc.add_options()
      ("preset", po::value<std::string>(), "default (the measured recipe) or quick (the demo's); other options "
       "override its settings")
      ("epochs", po::value<double>(), "passes over the training texts (default: the preset's)")
      ("steps", po::value<int64_t>()->default_value(0), "training steps instead of epochs (0: from --epochs)")
      ("batch-size", po::value<int>(), "examples per step (default: the preset's)")
      ("lr", po::value<double>(), "peak learning rate, AdamW (default: the preset's)")
      ("random-subnets", po::value<int>(), "random subnets per step besides the largest and smallest")
      ("sandwich-start", po::value<double>(), mlm ? "pretrain every subnet (the sandwich rule), the largest alone for "
                                                    "this fraction of steps first (default: the largest alone throughout)"
                                                  : "fraction of steps the largest subnet trains alone before the "
                                                    "sandwich rule starts (default: the preset's)")
      ("dropout", po::value<double>()->default_value(0.1), "dropout while training")
      ("no-bf16", po::bool_switch(), "train in fp32 even where the CPU has native bf16")
      ("seed", po::value<uint64_t>()->default_value(0), "random seed")
      ("checkpoint-every", po::value<int64_t>()->default_value(500), "steps per checkpoint")
      ("out", po::value<std::string>(), mlm ? "checkpoint path (default: <workdir>/pretrained.pt)"
                                            : "checkpoint path (default: <workdir>/supernet.pt)")
      ("eval-limit", po::value<size_t>()->default_value(0), "validation examples for the report (0: all)")
      ("threads", po::value<int>()->default_value(0), "threads (0: all cores)")
      ("json", po::bool_switch(), "machine-readable report");
  desc.add_options()
      ("unlabeled", po::value<std::vector<std::string>>()->multitoken(),
       "files of unlabeled texts, one a line, pretrained on besides the training split's texts (and learnt from "
       "by the tokenizer when it is trained)");
  if (mlm) {
    desc.add_options()
        ("mask-fraction", po::value<double>(), "fraction of the tokens masked (default: the preset's, 0.3)");
  } else {
    desc.add_options()
        ("pretrain-epochs", po::value<double>(), "masked-token pretraining on the training texts (and --unlabeled) "
         "before the labels, into <out stem>.pretrained.pt (default: the preset's; 0: none; not with --init)")
        ("reorder", po::value<bool>(), "importance reorder of heads and neurons when the sandwich rule starts "
         "(default: the preset's)")
        ("init", po::value<std::string>(), "start from a pretrained supernet (qtnas pretrain) of this task")
        ("teacher", po::value<std::string>(), "distill every subnet from this frozen supernet's largest subnet "
         "(e.g. one trained with --fixed-arch largest) instead of from the largest subnet in training")
        ("fixed-arch", po::value<std::string>(), "train only this arch, alone (a standalone baseline)")
        ("no-baseline", po::bool_switch(), "skip the TF-IDF SVM baseline beside the report's accuracies");
  }
  add_distributed_options(desc);
}

}  // namespace

Command train_command() {
  return {"train", "train the weight-sharing supernet (resumes an interrupted run)",
          [](po::options_description& desc) { add_training_options(desc, Objective::Classify); },
          [](const po::variables_map& vm) { return run_training(vm, Objective::Classify); }, /*positional=*/""};
}

Command pretrain_command() {
  return {"pretrain", "pretrain the supernet on the task's own texts, masked tokens (resumes; for train --init)",
          [](po::options_description& desc) { add_training_options(desc, Objective::MaskedLm); },
          [](const po::variables_map& vm) { return run_training(vm, Objective::MaskedLm); }, /*positional=*/""};
}

}  // namespace qtnas::cli
