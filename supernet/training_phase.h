// The rules every command that trains a supernet shares, in one place: how a phase starts fresh or resumes on
// every rank of a data-parallel group, what pretraining learns from, where `qtnas train` keeps its pretraining
// phase and when it runs one, and what a finished phase reports on validation.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "data/task.h"
#include "supernet/checkpoint.h"
#include "supernet/trainer.h"

namespace qtnas {

// How one rank reaches the others. One process is rank 0 of 1, with no collectives. `share` gives rank 0's
// `value` to every rank under `key` (each key once); null in one process, where it returns `value`.
struct RankGroup {
  DataParallel collectives;
  std::function<std::string(const std::string& key, const std::string& value)> share;

  int rank() const { return collectives.rank; }
  bool distributed() const { return collectives.world_size > 1; }
  std::string share_from_rank0(const std::string& key, const std::string& value) const {
    return share ? share(key, value) : value;
  }
};

struct PhaseStart {
  std::string checkpoint;  // written while training; resumed from when it exists on rank 0
  TrainConfig config;      // rank 0's recipe for a fresh start (seed included)
  CheckpointMeta meta;     // a fresh start's space, dropout, labels and tokenizer fingerprint
  std::string init;        // a fresh start begins from these pretrained weights ('' none)
  std::string teacher;     // the frozen supernet to distil from ('' none); a resumed run needs its own again
};

// The trainer of a phase, the same on every rank. Rank 0 decides whether it resumes (its checkpoint exists)
// and with which configuration; every rank needs the checkpoint to resume, and starts at rank 0's step.
// Ranks agree by the phase's objective, not by path: each may name the checkpoint differently (only rank 0
// writes it; a rank that resumes reads its own).
// Ranks other than 0 draw their own dropout masks. `on_note` (rank 0) gets a line on what it resumes or
// starts from. Throws qtnas::Error when the checkpoint holds another task, space or objective, when the
// teacher differs from the run's, or when ranks disagree.
std::unique_ptr<Trainer> start_phase(const PhaseStart& start, const RankGroup& group,
                                     const std::function<void(const std::string&)>& on_note);

// What masked-token pretraining learns from: the training split and the task's unlabeled texts, labels
// unused. Never the validation or test texts.
EncodedSplit pretraining_split(EncodedSplit train, const TaskContext& task, int seq_len);

// Where `qtnas train` keeps its pretraining phase: "<dir>/supernet.pt" -> "<dir>/supernet.pretrained.pt".
std::string pretrained_path(const std::string& out);

// The pretraining phase that preset `preset` runs before `labels`, with `epochs` replacing the preset's when
// given, over `texts` texts. None when it would have 0 epochs, and when the labels phase starts from given
// weights (`from_init`), trains one arch alone or distils from a teacher. Throws qtnas::Error on negative
// epochs or an unknown preset.
std::optional<TrainConfig> pretraining_before_labels(const std::string& preset, std::optional<double> epochs,
                                                     size_t texts, const SearchSpace& space, const TrainConfig& labels,
                                                     bool from_init);

// What `qtnas train` runs before the labels, and from which weights the labels start.
struct LabelPlan {
  std::optional<TrainConfig> pretrain;  // the pretraining phase to run (or resume) first, into `init`
  std::string init;                     // the labels start from these weights ('' none)
};
// The pretraining_before_labels of `labels` unless `init` is given, into pretrained_path(out), which the labels
// then start from. A run whose training on the labels has begun (rank 0's `out` exists) never pretrains again:
// it resumes. Every rank gets rank 0's decision.
LabelPlan plan_labels(const std::string& preset, std::optional<double> pretrain_epochs, size_t texts,
                      const SearchSpace& space, const TrainConfig& labels, const std::string& out,
                      const std::string& init, const RankGroup& group);

// The task of a command on every rank: rank 0 prepares it first (it may train the tokenizer into a workdir the
// ranks share), then the others; each must arrive at rank 0's tokenizer. Throws qtnas::Error on a rank whose
// tokenizer differs.
TaskContext prepare_task_on_ranks(const RankGroup& ranks, const std::function<TaskContext()>& prepare);

// A finished phase on validation (at most `limit` examples; 0: all), one JSON row per subnet: the largest and
// the smallest, or the fixed arch alone; "accuracy", "loss", "examples" on the labels, or
// "masked_token_accuracy" after pretraining.
nlohmann::json validation_rows(const Trainer& trainer, const EncodedSplit& val, size_t limit);

// What a finished phase reports: {"checkpoint", "objective", "steps", "epochs" (over `train_size` examples),
// "seq_len", "train_seconds", "cpu", "bf16", "reorder", "val" (validation_rows)}.
nlohmann::json phase_report(const Trainer& trainer, const std::string& checkpoint, size_t train_size, int seq_len,
                            double seconds, const EncodedSplit& val, size_t eval_limit);
// Its validation rows as text, one line per subnet.
std::string describe_validation_rows(const nlohmann::json& report);

// The line a phase starts with: what it trains, on how many examples of how many tokens, its steps, batch and
// epochs, the ranks (when world_size > 1), the cores, and fp32 or bf16 (and why fp32).
std::string describe_phase_start(const Trainer& trainer, size_t examples, int seq_len, int world_size, int cores);

}  // namespace qtnas
