// Supernet training. Each step applies the sandwich rule: the largest subnet on the labels, then the smallest
// and n random subnets (random precisions and sparsities) distilled in place from the largest one's outputs.
// Before `sandwich_start` the largest subnet trains alone (a teacher worth distilling from first, as OFA and
// DεpS do); at that point heads and neurons may be reordered by importance (DynaBERT). Optionally a frozen
// teacher supernet replaces the in-place teacher. AdamW with linear warm-up and cosine decay, bf16 autocast
// where the CPU has native bf16, and checkpoints that resume exactly (weights, optimizer, step, random state).
// The same loop pretrains: with Objective::MaskedLm the labels are the texts' own masked tokens
// (supernet/masked_lm.h), and students distill the largest subnet's token predictions; there every subnet keeps
// every token (a masked token must reach the output). On the labels, subnets drawn from a space with keep
// ratios drop tokens as they are drawn: with the smallest's lowest keeps, this is LengthDrop within the sandwich
// rule.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "supernet/batches.h"
#include "supernet/checkpoint.h"
#include "supernet/masked_lm.h"
#include "supernet/optimizer.h"
#include "supernet/supernet.h"

namespace qtnas {

enum class Objective { Classify, MaskedLm };
const char* to_string(Objective o);  // "classify", "masked_lm"
Objective objective_from_string(const std::string& text);  // throws qtnas::Error on anything else

struct TrainConfig {
  int64_t steps = 3000;
  double epochs = 0;               // what `steps` was derived from (steps_for_epochs), 0 when given in steps
  int batch_size = 32;
  double lr = 1e-3;                // peak learning rate
  double weight_decay = 0.01;
  double warmup_fraction = 0.05;   // of steps, linear warm-up of the learning rate
  double sandwich_start = 0.1;     // fraction of steps the largest subnet trains alone before the sandwich rule
  bool reorder = false;            // importance reorder of heads and neurons when the sandwich rule starts
                                   // (classification only, and only after a phase of the largest alone). Off:
                                   // on WordNet it left every subnet a little worse at the end (README,
                                   // "Training recipe")
  int reorder_batches = 16;        // training batches over which importance is measured
  int random_subnets = 1;          // n in the sandwich rule
  double label_smoothing = 0.1;
  double grad_clip = 1.0;
  bool bf16_autocast = true;       // only takes effect where cpu_has_fast_bf16()
  uint64_t seed = 0;
  int64_t checkpoint_every = 500;  // steps between checkpoints (and at the end)
  Objective objective = Objective::Classify;
  double mask_fraction = kMaskFraction;  // Objective::MaskedLm: the fraction of tokens masked
  std::string fixed_arch;          // non-empty: train only this arch (a standalone baseline, the fine-tuning of a
                                   // chosen subnet from trained weights, or the largest alone in pretraining)
  std::string teacher_arch;        // non-empty: distill from this arch of a frozen teacher supernet (set_teacher):
                                   // the fixed arch alone, or every subnet of the sandwich rule (the largest adds it
                                   // to its label loss, the others distill from it instead of the largest)
};

nlohmann::json to_json(const TrainConfig& config);
// Throws qtnas::Error on a malformed configuration. Reads the configurations of older checkpoints too.
TrainConfig train_config_from_json(const nlohmann::json& j);

// The recipes `qtnas train --preset` names, chosen by measurement (README, "Training recipe"): "default" and
// "quick" (the demo's). Throws qtnas::Error on another name.
TrainConfig train_preset(const std::string& name);

// The masked-token pretraining that preset `name` runs before train_preset(name) when no pretrained weights are
// given: the largest subnet of `space` alone (the sandwich rule from the start stays at the unigram plateau,
// the largest alone leaves it within a few hundred steps), batches of 64, 30% of the tokens masked.
// Its epochs are 0 when the preset pretrains not at all. Throws qtnas::Error on an unknown name.
TrainConfig pretrain_preset(const std::string& name, const SearchSpace& space);

// Steps of `batch_size` examples that make `epochs` passes over `examples` examples (at least 1).
int64_t steps_for_epochs(double epochs, size_t examples, int batch_size);

// What a user sets on top of a preset (the options of `qtnas train` and `qtnas pretrain`); what is unset keeps
// the preset's value.
struct RecipeOverrides {
  std::optional<double> epochs, lr, sandwich_start, mask_fraction;
  std::optional<int> batch_size, random_subnets;
  std::optional<bool> reorder;
  std::optional<std::string> fixed_arch;
  bool teacher = false;  // distill from a frozen teacher's largest subnet
  int64_t steps = 0;     // > 0: this many steps, whatever the epochs
  // The settings of every phase of one command (run_settings):
  bool no_bf16 = false;
  uint64_t seed = 0;
  int64_t checkpoint_every = 500;
};

// Preset `preset`'s recipe for `objective` (train_preset, or pretrain_preset for MaskedLm) with `o` on top; its
// steps come from o.steps, else from its epochs over `examples`. A pretraining given a sandwich_start trains
// every subnet, not the preset's largest alone. Throws qtnas::Error on an unknown preset, o.steps < 0, or a
// pretraining with neither epochs (the preset's or o's) nor steps.
TrainConfig recipe(const std::string& preset, Objective objective, const RecipeOverrides& o, size_t examples,
                   const SearchSpace& space);
// Sets o's per-command settings (bf16, seed, checkpoint interval) on a phase's config.
void apply_run_settings(TrainConfig& c, const RecipeOverrides& o);

struct TrainStatus {
  int64_t step = 0, steps = 0;
  double loss = 0;  // the largest (or fixed) subnet's training loss at this step
  double lr = 0;
  double seconds = 0;  // wall time of this run so far (not counting earlier, resumed-from runs)
};

// Data-parallel training over several processes (distributed/ provides the collectives, over c10d Gloo). Every
// rank walks the same global batches and samples the same subnets (same seed); each computes the gradients of
// its contiguous share of each batch's rows, weighted by that share, and `all_reduce_sum` sums them, so that
// every rank steps with the gradient of the whole global batch. Gradients are fp32 tensors and are summed in
// fp32; under bf16 autocast each rank's own gradient carries the bf16 rounding of its partial sums, so ranks
// agree with one process within bf16 rounding, not to the last bit. `broadcast` copies rank 0's tensors to all.
// Only rank 0 writes checkpoints.
struct DataParallel {
  int rank = 0, world_size = 1;
  std::function<void(std::vector<torch::Tensor>&)> all_reduce_sum;
  std::function<void(std::vector<torch::Tensor>&)> broadcast;
};

struct TrainCallbacks {
  std::function<void(const TrainStatus&)> on_step;  // after every step
  std::function<void(const std::string&)> on_log;   // one line of news (expected time, reorder, checkpoint)
};

class Trainer {
 public:
  // A fresh run. meta carries the labels and tokenizer identity written into every checkpoint.
  Trainer(Supernet net, TrainConfig config, CheckpointMeta meta);
  // Resumes from a checkpoint written by a Trainer (config, weights, optimizer, step, random state).
  explicit Trainer(const LoadedCheckpoint& checkpoint);

  // Trains until config.steps, writing checkpoints to `checkpoint_path`. `val` serves the reorder report only.
  // For Objective::MaskedLm the splits' labels are ignored.
  void run(const EncodedSplit& train, const EncodedSplit& val, const std::string& checkpoint_path,
           const TrainCallbacks& callbacks = {});

  // One step of the recipe on `batch` as run() takes it at the current step (the largest alone before the
  // sandwich start, the sandwich rule after), then the step count advances. No reorder, no checkpoint: for
  // benchmarks of a step. Returns the largest (or fixed) subnet's loss.
  double step_on(const Batch& batch);

  // Before run(): train as one rank of a data-parallel group. Rank 0's weights (and optimizer moments) are
  // copied to every rank when run() starts and after the importance reorder.
  void set_data_parallel(DataParallel dp);

  // Before run(), when config.teacher_arch is set: the frozen supernet whose `teacher_arch` outputs are
  // distilled from (e.g. the weights fine-tuning starts from, or a largest subnet trained alone). Never updated.
  void set_teacher(Supernet teacher);

  int64_t step() const { return step_; }
  bool uses_bf16() const { return use_bf16_; }
  const TrainConfig& config() const { return config_; }
  Supernet net() const { return net_; }
  MaskedLmHead mlm_head() const { return mlm_head_; }  // null unless Objective::MaskedLm
  const nlohmann::json& reorder_report() const { return reorder_report_; }
  int64_t sandwich_start_step() const;

 private:
  double lr_at(int64_t step) const;
  double train_step(const Batch& batch, double share, const std::vector<uint64_t>& example_ids);
  std::vector<Arch> draw_students();
  void sync_from_rank0();
  void reorder(const EncodedSplit& train, const EncodedSplit& val, const TrainCallbacks& callbacks);
  void save(const std::string& path);

  Supernet net_;
  MaskedLmHead mlm_head_{nullptr};  // Objective::MaskedLm only
  TrainConfig config_;
  CheckpointMeta meta_;
  std::unique_ptr<FusedAdamW> optimizer_;
  Rng rng_;
  int64_t step_ = 0;
  bool reordered_ = false;
  bool use_bf16_ = false;
  std::optional<Arch> fixed_arch_;
  std::optional<Arch> teacher_arch_;
  Supernet teacher_{nullptr};
  nlohmann::json reorder_report_ = nlohmann::json::object();
  DataParallel dp_;
};

// Starts `net` from the weights of a pretrained supernet (qtnas pretrain): every weight but the classifier.
// Throws qtnas::Error if it is of another search space (its pooling aside) or was trained with another tokenizer.
void init_from_pretrained(Supernet& net, const std::string& tokenizer_fingerprint, const LoadedCheckpoint& pretrained);

}  // namespace qtnas
