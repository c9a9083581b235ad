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
#include "runs/train_job.h"
#include "space/progress.h"

namespace qtnas::cli {
namespace {

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

TrainJob train_job_from(const po::variables_map& vm, Objective objective) {
  TrainJob job;
  job.objective = objective;
  job.task_options = task_options_json(vm);
  job.vocab_size = vm["vocab-size"].as<int>();
  job.workdir = workdir(vm);
  job.unlabeled = optional_value<std::vector<std::string>>(vm, "unlabeled").value_or(std::vector<std::string>());
  job.seq_len = vm["seq-len"].as<std::string>();
  job.space = space_options_from(vm);
  job.preset = optional_value<std::string>(vm, "preset").value_or(job.preset);
  job.overrides = overrides_from(vm);
  job.pretrain_epochs = optional_value<double>(vm, "pretrain-epochs");
  job.init = optional_value<std::string>(vm, "init").value_or(job.init);
  job.teacher = optional_value<std::string>(vm, "teacher").value_or(job.teacher);
  job.out = optional_value<std::string>(vm, "out").value_or(job.out);
  job.dropout = vm["dropout"].as<double>();
  job.eval_limit = vm["eval-limit"].as<size_t>();
  job.baseline = !(vm.count("no-baseline") && vm["no-baseline"].as<bool>());
  job.dist = distributed_options_from(vm);
  job.cores = cores_from(vm);
  return job;
}

int run_training(const po::variables_map& vm, Objective objective) {
  const bool json = vm["json"].as<bool>();
  std::optional<Progress> progress;  // of the phase in training
  TrainJobCallbacks callbacks;
  callbacks.on_note = [](const std::string& line) { std::cerr << line << "\n"; };
  callbacks.on_phase_start = [&](const std::string& what, int64_t steps, int64_t done) {
    progress.emplace(what, steps, done);
  };
  callbacks.train.on_step = [&](const TrainStatus& st) {
    progress->update(st.step, fmt::format("loss {:.3f} lr {:.2e}", st.loss, st.lr));
  };
  callbacks.train.on_log = [](const std::string& line) { std::cerr << "\n" << line << "\n"; };
  callbacks.on_phase_trained = [&] { progress->finish(); };
  callbacks.on_phase_report = [&](const nlohmann::json&, const std::string& text) {
    if (!json) std::cout << text;
  };
  const nlohmann::json report = run_train_job(train_job_from(vm, objective), callbacks);
  if (!report.is_null() && json) std::cout << report.dump(2) << "\n";
  return 0;
}

// Options of both commands: the task, its dimensions and space, the schedule, threads and ranks.
void add_training_options(po::options_description& desc, Objective objective) {
  add_task_options(desc);
  add_dims_options(desc);
  add_space_options(desc);
  const bool mlm = objective == Objective::MaskedLm;
  const TrainJob d;
  desc.add_options()
      ("preset", po::value<std::string>(), "default (the measured recipe) or quick (the demo's); other options "
       "override its settings")
      ("epochs", po::value<double>(), "passes over the training texts (default: the preset's)")
      ("steps", defaulted(d.overrides.steps), "training steps instead of epochs (0: from --epochs)")
      ("batch-size", po::value<int>(), "examples per step (default: the preset's)")
      ("lr", po::value<double>(), "peak learning rate, AdamW (default: the preset's)")
      ("random-subnets", po::value<int>(), "random subnets per step besides the largest and smallest")
      ("sandwich-start", po::value<double>(),
       mlm ? "pretrain every subnet (the sandwich rule), the largest alone for this fraction of steps first "
             "(default: the largest alone throughout)"
           : "fraction of steps the largest subnet trains alone before the sandwich rule (default: the preset's)")
      ("dropout", defaulted(d.dropout), "dropout while training (every phase)")
      ("no-bf16", po::bool_switch(), "train in fp32 even where the CPU has native bf16")
      ("seed", defaulted(d.overrides.seed), "random seed")
      ("checkpoint-every", defaulted(d.overrides.checkpoint_every), "steps per checkpoint")
      ("out", po::value<std::string>(), mlm ? "checkpoint path (default: <workdir>/pretrained.pt)"
                                            : "checkpoint path (default: <workdir>/supernet.pt)")
      ("eval-limit", defaulted(d.eval_limit), "validation examples for the report (0: all)")
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
