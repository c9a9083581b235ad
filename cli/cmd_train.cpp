// `qtnas train`: the preset's recipe for the weight-sharing supernet of a task (or its resumption): masked-token
// pretraining on the task's own texts (self-pretraining), then the labels; then the largest and smallest
// subnets' validation accuracy beside the TF-IDF SVM's. `qtnas pretrain`: the first phase alone, whose
// checkpoint `train --init` takes. `qtnas eval`: accuracy, loss, params and size of one subnet of a trained
// supernet, with the export's numerics.
#include <torch/torch.h>

#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common_options.h"
#include "runs/eval_job.h"
#include "runs/train_job.h"
#include "space/progress.h"

namespace qtnas::cli {
namespace {

int run_training(TrainJob job, const po::variables_map& vm) {
  job.task_options = task_options_json(vm);
  job.workdir = workdir(vm);
  job.dist = distributed_options_from(vm);
  job.cores = cores_from(vm);
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
  const nlohmann::json report = run_train_job(job, callbacks);
  if (!report.is_null() && json) std::cout << report.dump(2) << "\n";
  return 0;
}

// Options of both commands, bound to the job: the task, its dimensions and space, the schedule, threads and ranks.
Run declare_training(po::options_description& desc, Objective objective) {
  auto job = std::make_shared<TrainJob>();
  job->objective = objective;
  job->space = default_space();
  RecipeOverrides& o = job->overrides;
  const bool mlm = objective == Objective::MaskedLm;
  add_task_options(desc);
  add_dims_options(desc, &job->vocab_size, &job->seq_len);
  add_space_options(desc, &job->space);
  desc.add_options()
      ("preset", bound(&job->preset), "default (the measured recipe) or quick (the demo's); other options override "
       "its settings")
      ("epochs", optional(&o.epochs), "passes over the training texts (default: the preset's)")
      ("steps", bound(&o.steps), "training steps instead of epochs (0: from --epochs)")
      ("batch-size", optional(&o.batch_size), "examples per step (default: the preset's)")
      ("lr", optional(&o.lr), "peak learning rate, AdamW (default: the preset's)")
      ("random-subnets", optional(&o.random_subnets), "random subnets per step besides the largest and smallest")
      ("sandwich-start", optional(&o.sandwich_start),
       mlm ? "pretrain every subnet (the sandwich rule), the largest alone for this fraction of steps first "
             "(default: the largest alone throughout)"
           : "fraction of steps the largest subnet trains alone before the sandwich rule (default: the preset's)")
      ("dropout", bound(&job->dropout), "dropout while training (every phase)")
      ("no-bf16", po::bool_switch(&o.no_bf16), "train in fp32 even where the CPU has native bf16")
      ("seed", bound(&o.seed), "random seed")
      ("checkpoint-every", bound(&o.checkpoint_every), "steps per checkpoint")
      ("out", po::value(&job->out), mlm ? "checkpoint path (default: <workdir>/pretrained.pt)"
                                        : "checkpoint path (default: <workdir>/supernet.pt)")
      ("eval-limit", bound(&job->eval_limit), "validation examples for the report (0: all)")
      ("unlabeled", po::value(&job->unlabeled)->multitoken(),
       "files of unlabeled texts, one a line, pretrained on besides the training split's texts (and learnt from "
       "by the tokenizer when it is trained)");
  add_output_options(desc);
  if (mlm) {
    desc.add_options()("mask-fraction", optional(&o.mask_fraction),
                       "fraction of the tokens masked (default: the preset's, 0.3)");
  } else {
    desc.add_options()
        ("pretrain-epochs", optional(&job->pretrain_epochs), "masked-token pretraining on the training texts (and "
         "--unlabeled) before the labels, into <out stem>.pretrained.pt (default: the preset's; 0: none; not with "
         "--init)")
        ("reorder", optional(&o.reorder), "importance reorder of heads and neurons when the sandwich rule starts "
         "(default: the preset's)")
        ("init", po::value(&job->init), "start from a pretrained supernet (qtnas pretrain) of this task")
        ("teacher", po::value(&job->teacher), "distill every subnet from this frozen supernet's largest subnet "
         "(e.g. one trained with --fixed-arch largest) instead of from the largest subnet in training")
        ("fixed-arch", optional(&o.fixed_arch), "train only this arch, alone (a standalone baseline)")
        ("no-baseline", negated(&job->baseline), "skip the TF-IDF SVM baseline beside the report's accuracies");
  }
  add_distributed_options(desc);
  return [job](const po::variables_map& vm) { return run_training(*job, vm); };
}

int run_eval(EvalJob job, const po::variables_map& vm) {
  set_threads(vm);
  job.task_options = task_options_json(vm);
  const EvalReport r = run_eval_job(job);
  std::cout << (vm["json"].as<bool>() ? to_json(r).dump(2) + "\n" : describe(r));
  return 0;
}

}  // namespace

Command train_command() {
  return {"train", "train the weight-sharing supernet (resumes an interrupted run)",
          [](po::options_description& desc) { return declare_training(desc, Objective::Classify); }};
}

Command pretrain_command() {
  return {"pretrain", "pretrain the supernet on the task's own texts, masked tokens (resumes; for train --init)",
          [](po::options_description& desc) { return declare_training(desc, Objective::MaskedLm); }};
}

Command eval_command() {
  return {"eval", "evaluate one subnet of a trained supernet (accuracy, loss, params, size)",
          [](po::options_description& desc) -> Run {
            auto job = std::make_shared<EvalJob>();
            desc.add_options()
                ("supernet", required(&job->supernet_path), "supernet checkpoint")
                ("arch", required(&job->arch), "arch string, or 'largest' / 'smallest'")
                ("split", bound(&job->split), "val or test")
                ("limit", bound(&job->limit), "first N examples of the split (0: all)")
                ("batch-size", bound(&job->batch_size), "examples per batch")
                ("compare-deployed", po::bool_switch(&job->compare_deployed),
                 "also run the deployable module on the same batches and compare")
                ("no-baseline", negated(&job->baseline), "skip the TF-IDF SVM baseline beside the accuracy");
            add_output_options(desc);
            add_task_options(desc);
            return [job](const po::variables_map& vm) { return run_eval(*job, vm); };
          }};
}

}  // namespace qtnas::cli
