// `qtnas train` and `qtnas pretrain`, the whole job but the options and the printing: a task's weight-sharing
// supernet trained by a preset's recipe, in one process or on every rank of a data-parallel group. `train`
// first pretrains on the task's own texts when the preset does (supernet/training_phase.h plan_labels), then
// trains on the labels; each phase resumes from its checkpoint. Rank 0 writes the checkpoints, reports
// progress, and reports each finished phase on validation, with the TF-IDF SVM beside accuracies on the labels.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "distributed/process_group.h"
#include "space/search_space.h"
#include "supernet/checkpoint.h"
#include "supernet/trainer.h"

namespace qtnas {

struct TrainJob {
  Objective objective = Objective::Classify;  // MaskedLm: `qtnas pretrain`, the pretraining phase alone
  // The task, as data/task.h prepare_task takes it; `unlabeled` files of texts (one a line) are pretrained on
  // besides the training texts, and learnt from by the tokenizer when it is trained.
  nlohmann::json task_options;
  int vocab_size = SpaceConfig{}.vocab_size;
  std::string workdir;  // must exist
  std::vector<std::string> unlabeled;
  std::string seq_len = "auto";  // data/task.h parse_seq_len, over the task's training texts
  SpaceConfig space;  // its classes, sequence length and vocabulary are replaced by the task's (its tokenizer's)
  std::string preset = "default";
  RecipeOverrides overrides;  // its `teacher` flag is ignored: set from `teacher` below
  std::optional<double> pretrain_epochs;  // train: replaces the preset's pretraining epochs (0: none)
  std::string init;     // train: the labels start from these pretrained weights ('' none; then no pretraining)
  std::string teacher;  // train: every subnet distils from this frozen supernet's largest subnet ('' none)
  std::string out;      // the checkpoint ('': <workdir>/supernet.pt, or <workdir>/pretrained.pt for pretrain)
  double dropout = CheckpointMeta{}.dropout;
  size_t eval_limit = 0;  // validation examples of a phase's report (0: all)
  bool baseline = true;   // the TF-IDF SVM beside the accuracies on the labels
  DistributedOptions dist;  // world_size 1: one process
  int cores = 1;            // for supernet/machine.h configure_training_threads
};

struct TrainJobCallbacks {
  std::function<void(const std::string&)> on_note;  // a line of news: the ranks, the task, a phase's start
  // Rank 0 only:
  std::function<void(const std::string& what, int64_t steps, int64_t done)> on_phase_start;  // "pretrain"/"train"
  TrainCallbacks train;                      // every step, and the trainer's news
  std::function<void()> on_phase_trained;    // the phase's last step is done; its report follows
  // A finished phase's report (training_phase.h phase_report, with "baseline" on the labels), and as text.
  std::function<void(const nlohmann::json& report, const std::string& text)> on_phase_report;
};

// Runs the job. Rank 0 returns the last phase's report (the labels', with the pretraining's under "pretrain"
// when this run pretrained), other ranks null. Throws qtnas::Error as prepare_task, recipe, plan_labels and
// start_phase do, and when the ranks do not all arrive.
nlohmann::json run_train_job(const TrainJob& job, const TrainJobCallbacks& callbacks);

}  // namespace qtnas
