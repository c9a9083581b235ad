// Supernet training: each step the sandwich rule (the largest subnet on the labels; the smallest and n random
// subnets, with random precisions and sparsities, distilled in place from the largest one's outputs), AdamW
// with linear warm-up and cosine decay, bf16 autocast where the CPU has native bf16, a DynaBERT importance
// reorder after a warm-up of the largest subnet, and checkpoints that resume exactly (weights, optimizer,
// step, both random generators).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "supernet/batches.h"
#include "supernet/checkpoint.h"
#include "supernet/supernet.h"

namespace qtnas {

struct TrainConfig {
  int64_t steps = 3000;
  int batch_size = 32;
  double lr = 1e-3;                // peak learning rate
  double weight_decay = 0.01;
  double warmup_fraction = 0.05;   // of steps, linear warm-up of the learning rate
  double reorder_fraction = 0.1;   // of steps trained on the largest subnet alone, then the importance reorder
                                   // (0: no warm-up and no reorder)
  int reorder_batches = 16;        // training batches over which importance is measured
  int random_subnets = 1;          // n in the sandwich rule
  double label_smoothing = 0.1;
  double grad_clip = 1.0;
  bool bf16_autocast = true;       // only takes effect where cpu_has_fast_bf16()
  uint64_t seed = 0;
  int64_t checkpoint_every = 500;  // steps between checkpoints (and at the end)
  std::string fixed_arch;          // non-empty: train only this arch on the labels (a standalone baseline, or the
                                   // fine-tuning of a chosen subnet from trained weights)
  std::string teacher_arch;        // with fixed_arch: add the KL divergence to this arch of a frozen teacher
                                   // supernet (set_teacher), as the sandwich rule distills its students
};

nlohmann::json to_json(const TrainConfig& config);
TrainConfig train_config_from_json(const nlohmann::json& j);

struct TrainStatus {
  int64_t step = 0, steps = 0;
  double loss = 0;  // the largest (or fixed) subnet's training loss at this step
  double lr = 0;
  double seconds = 0;  // wall time of this run so far (not counting earlier, resumed-from runs)
};

// Data-parallel training over several processes (distributed/ provides the collectives, over c10d Gloo). Every
// rank walks the same global batches and samples the same subnets (same seed); each computes the gradients of
// its contiguous share of each batch's rows, weighted by that share, and `all_reduce_sum` sums them, so that
// every rank steps with the gradient of the whole global batch. `broadcast` copies rank 0's tensors to all.
// Only rank 0 writes checkpoints.
struct DataParallel {
  int rank = 0, world_size = 1;
  std::function<void(std::vector<torch::Tensor>&)> all_reduce_sum;
  std::function<void(std::vector<torch::Tensor>&)> broadcast;
};

struct TrainCallbacks {
  std::function<void(const TrainStatus&)> on_step;  // after every step
  std::function<void(const std::string&)> on_log;   // one line of news (reorder, checkpoint, resume)
};

class Trainer {
 public:
  // A fresh run. meta carries the labels and tokenizer identity written into every checkpoint.
  Trainer(Supernet net, TrainConfig config, CheckpointMeta meta);
  // Resumes from a checkpoint written by a Trainer (config, weights, optimizer, step, random state).
  explicit Trainer(const LoadedCheckpoint& checkpoint);

  // Trains until config.steps, writing checkpoints to `checkpoint_path`. `val` serves the reorder report only.
  void run(const EncodedSplit& train, const EncodedSplit& val, const std::string& checkpoint_path,
           const TrainCallbacks& callbacks = {});

  // Before run(): train as one rank of a data-parallel group. Rank 0's weights (and optimizer moments) are
  // copied to every rank when run() starts and after the importance reorder.
  void set_data_parallel(DataParallel dp);

  // Before run(), when config.teacher_arch is set: the frozen supernet whose `teacher_arch` outputs the fixed
  // arch is distilled from (a copy of the weights fine-tuning starts from; it is never updated).
  void set_teacher(Supernet teacher);

  int64_t step() const { return step_; }
  bool uses_bf16() const { return use_bf16_; }
  const TrainConfig& config() const { return config_; }
  Supernet net() const { return net_; }
  const nlohmann::json& reorder_report() const { return reorder_report_; }

 private:
  double lr_at(int64_t step) const;
  double train_step(const Batch& batch, double share);
  void sync_from_rank0();
  void reorder(const EncodedSplit& train, const EncodedSplit& val, const TrainCallbacks& callbacks);
  void save(const std::string& path);

  Supernet net_;
  TrainConfig config_;
  CheckpointMeta meta_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
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

}  // namespace qtnas
