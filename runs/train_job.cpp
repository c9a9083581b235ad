#include "runs/train_job.h"

#include <chrono>
#include <memory>

#include <fmt/format.h>

#include "data/baseline.h"
#include "data/task.h"
#include "supernet/machine.h"
#include "supernet/task.h"
#include "supernet/training_phase.h"

namespace qtnas {
namespace {

// What the phases of one job share: the process group, the task and its space.
struct Session {
  std::unique_ptr<DataParallelGroup> group;  // null in a single process
  RankGroup ranks;
  std::optional<TaskContext> task;
  int seq_len = 0;
  SpaceConfig space;
  EncodedSplit val;
};

void open_session(const TrainJob& job, const TrainJobCallbacks& callbacks, Session& s) {
  if (job.dist.world_size > 1) {
    callbacks.on_note(fmt::format("rank {} of {}: joining rank 0 at {}:{}", job.dist.rank, job.dist.world_size,
                                  job.dist.master_addr, job.dist.master_port));
    s.group = std::make_unique<DataParallelGroup>(job.dist);
    s.ranks = rank_group(*s.group);
  }
  s.task.emplace(prepare_task_on_ranks(s.ranks, [&] {
    return prepare_task(job.task_options, job.vocab_size, job.workdir, read_unlabeled_texts(job.unlabeled),
                        callbacks.on_note);
  }));
  s.seq_len = parse_seq_len(job.seq_len, &*s.task, SpaceConfig{}.max_seq_len);
  s.val = encode_split(s.task->data.val, s.task->tokenizer, s.seq_len);
  SpaceConfig space = job.space;
  space.num_classes = s.task->data.num_classes();
  space.max_seq_len = s.seq_len;
  space.vocab_size = s.task->tokenizer.vocab_size();
  s.space = SearchSpace(space).config();  // validated, and canonical: lists sorted as every stored space has them
}

// Rank 0's report of a finished phase: its validation rows, and the baseline beside accuracies on the labels.
void report_phase(const TrainJob& job, const TrainJobCallbacks& callbacks, const Session& s,
                  const Trainer& trainer, const std::string& out, size_t train_size, double seconds,
                  nlohmann::json& report) {
  report = phase_report(trainer, out, train_size, s.seq_len, seconds, s.val, job.eval_limit);
  std::string text = describe_validation_rows(report);
  if (trainer.config().objective == Objective::Classify) {
    std::string why;
    const std::optional<BaselineResult> baseline = baseline_if_wanted(job.baseline, s.task->data, job.workdir, &why);
    report["baseline"] = to_json(baseline, why);
    text += describe(baseline, why) + "\n";
  }
  callbacks.on_phase_report(report, text);
}

// One phase: trains `out` on `train` (resuming it if it exists, else from `fresh` and, when `init` is not empty,
// from those pretrained weights). Rank 0 reports progress, and the finished phase into `report`.
void run_phase(const TrainJob& job, const TrainJobCallbacks& callbacks, Session& s, const EncodedSplit& train,
               const std::string& out, const TrainConfig& fresh, const std::string& init, nlohmann::json& report) {
  const int rank = s.ranks.rank();
  PhaseStart start{out, fresh,
                   CheckpointMeta{s.space, job.dropout, s.task->data.label_names, s.task->tokenizer_fingerprint, {},
                                  s.task->data.pairs},
                   init, job.teacher};
  std::unique_ptr<Trainer> trainer = start_phase(start, s.ranks, callbacks.on_note);
  configure_training_threads(job.cores, trainer->uses_bf16());
  callbacks.on_note(describe_phase_start(*trainer, train.size(), s.seq_len, job.dist.world_size, job.cores));
  if (rank > 0) {  // rank 0 reports progress, writes checkpoints and evaluates
    trainer->run(train, s.val, out);
    callbacks.on_note(fmt::format("rank {}: {} steps done", rank, trainer->step()));
    return;
  }
  const bool mlm = trainer->config().objective == Objective::MaskedLm;
  callbacks.on_phase_start(mlm ? "pretrain" : "train", trainer->config().steps, trainer->step());
  const auto started = std::chrono::steady_clock::now();
  trainer->run(train, s.val, out, callbacks.train);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  callbacks.on_phase_trained();
  report_phase(job, callbacks, s, *trainer, out, train.size(), seconds, report);
}

}  // namespace

nlohmann::json run_train_job(const TrainJob& job, const TrainJobCallbacks& callbacks) {
  Session s;
  open_session(job, callbacks, s);
  const SearchSpace space(s.space);
  const bool mlm = job.objective == Objective::MaskedLm;
  RecipeOverrides overrides = job.overrides;
  overrides.teacher = !job.teacher.empty();  // the recipe distils from a frozen teacher when the job names one
  const std::string out =
      !job.out.empty() ? job.out : job.workdir + (mlm ? "/pretrained.pt" : "/supernet.pt");
  if (s.ranks.rank() == 0) place_training_tokenizer(out, s.task->tokenizer);
  const EncodedSplit train = encode_split(s.task->data.train, s.task->tokenizer, s.seq_len);
  if (mlm) {
    const EncodedSplit texts = pretraining_split(train, *s.task, s.seq_len);
    nlohmann::json report;
    run_phase(job, callbacks, s, texts, out, recipe(job.preset, job.objective, overrides, texts.size(), space),
              "", report);
    return s.ranks.rank() == 0 ? report : nullptr;
  }
  const TrainConfig on_labels = recipe(job.preset, job.objective, overrides, train.size(), space);
  const LabelPlan plan = plan_labels(job.preset, job.pretrain_epochs, train.size() + s.task->unlabeled.size(), space,
                                     on_labels, out, job.init, s.ranks);
  nlohmann::json pretrained;
  if (plan.pretrain) {
    TrainConfig pre = *plan.pretrain;
    apply_run_settings(pre, overrides);
    run_phase(job, callbacks, s, pretraining_split(train, *s.task, s.seq_len), plan.init, pre, "", pretrained);
  }
  nlohmann::json labels;
  run_phase(job, callbacks, s, train, out, on_labels, plan.init, labels);
  if (s.ranks.rank() > 0) return nullptr;
  if (plan.pretrain) labels["pretrain"] = std::move(pretrained);
  return labels;
}

}  // namespace qtnas
