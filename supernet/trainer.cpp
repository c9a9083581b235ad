#include "supernet/trainer.h"

#include <chrono>
#include <cmath>

#include "space/error.h"
#include "supernet/autocast.h"
#include "supernet/evaluate.h"
#include "supernet/importance.h"
#include "supernet/machine.h"

namespace qtnas {
namespace {

namespace F = torch::nn::functional;

// The archs the reorder report compares before and after reordering: every layer at one width.
Arch uniform_arch(const SearchSpace& space, int heads, int ffn) {
  return Arch{std::vector<LayerArch>(space.config().layers, LayerArch{heads, ffn, 0, Precision::FP32})};
}

}  // namespace

nlohmann::json to_json(const TrainConfig& c) {
  return {{"steps", c.steps},
          {"batch_size", c.batch_size},
          {"lr", c.lr},
          {"weight_decay", c.weight_decay},
          {"warmup_fraction", c.warmup_fraction},
          {"reorder_fraction", c.reorder_fraction},
          {"reorder_batches", c.reorder_batches},
          {"random_subnets", c.random_subnets},
          {"label_smoothing", c.label_smoothing},
          {"grad_clip", c.grad_clip},
          {"bf16_autocast", c.bf16_autocast},
          {"seed", c.seed},
          {"checkpoint_every", c.checkpoint_every},
          {"fixed_arch", c.fixed_arch},
          {"teacher_arch", c.teacher_arch}};
}

TrainConfig train_config_from_json(const nlohmann::json& j) {
  TrainConfig c;
  try {
    c.steps = j.at("steps").get<int64_t>();
    c.batch_size = j.at("batch_size").get<int>();
    c.lr = j.at("lr").get<double>();
    c.weight_decay = j.at("weight_decay").get<double>();
    c.warmup_fraction = j.at("warmup_fraction").get<double>();
    c.reorder_fraction = j.at("reorder_fraction").get<double>();
    c.reorder_batches = j.at("reorder_batches").get<int>();
    c.random_subnets = j.at("random_subnets").get<int>();
    c.label_smoothing = j.at("label_smoothing").get<double>();
    c.grad_clip = j.at("grad_clip").get<double>();
    c.bf16_autocast = j.at("bf16_autocast").get<bool>();
    c.seed = j.at("seed").get<uint64_t>();
    c.checkpoint_every = j.at("checkpoint_every").get<int64_t>();
    c.fixed_arch = j.at("fixed_arch").get<std::string>();
    c.teacher_arch = j.value("teacher_arch", std::string());  // absent in checkpoints before fine-tuning existed
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("bad training configuration: {}", e.what());
  }
  return c;
}

Trainer::Trainer(Supernet net, TrainConfig config, CheckpointMeta meta)
    : net_(std::move(net)), config_(std::move(config)), meta_(std::move(meta)), rng_(config_.seed) {
  QTNAS_CHECK(config_.steps >= 1, "training needs at least 1 step, got {}", config_.steps);
  QTNAS_CHECK(config_.batch_size >= 1, "batch size must be positive, got {}", config_.batch_size);
  QTNAS_CHECK(config_.random_subnets >= 0, "random subnets must be >= 0, got {}", config_.random_subnets);
  QTNAS_CHECK(config_.reorder_fraction >= 0 && config_.reorder_fraction < 1, "reorder fraction must be in [0, 1)");
  if (!config_.fixed_arch.empty()) {
    fixed_arch_ = parse_arch(config_.fixed_arch);
    net_->space().validate(*fixed_arch_);
  }
  if (!config_.teacher_arch.empty()) {
    QTNAS_CHECK(fixed_arch_, "a teacher arch distills a fixed arch; give the fixed arch too");
    teacher_arch_ = parse_arch(config_.teacher_arch);
    net_->space().validate(*teacher_arch_);
  }
  use_bf16_ = config_.bf16_autocast && cpu_has_fast_bf16();
  optimizer_ = std::make_unique<torch::optim::AdamW>(
      net_->parameters(), torch::optim::AdamWOptions(config_.lr).weight_decay(config_.weight_decay));
}

Trainer::Trainer(const LoadedCheckpoint& checkpoint)
    : Trainer(checkpoint.net, train_config_from_json(checkpoint.meta.training.at("config")), checkpoint.meta) {
  const auto& state = checkpoint.meta.training;
  QTNAS_CHECK(state.contains("step") && checkpoint.has_optimizer,
              "the checkpoint holds no training state to resume from (a final or exported supernet?)");
  step_ = state.at("step").get<int64_t>();
  rng_.set_state(state.at("rng_state").get<std::string>());
  reordered_ = state.at("reordered").get<bool>();
  reorder_report_ = state.value("reorder_report", nlohmann::json::object());
  restore_optimizer(checkpoint, *optimizer_);
  restore_torch_rng(checkpoint);
}

double Trainer::lr_at(int64_t step) const {
  const double warmup = std::max<double>(1, config_.warmup_fraction * config_.steps);
  if (step < warmup) return config_.lr * (step + 1) / warmup;
  const double progress = (step - warmup) / std::max(1.0, config_.steps - warmup);
  return config_.lr * 0.5 * (1 + std::cos(M_PI * std::min(1.0, progress)));
}

void Trainer::set_data_parallel(DataParallel dp) {
  QTNAS_CHECK(dp.world_size >= 1 && dp.rank >= 0 && dp.rank < dp.world_size, "rank {} outside a world of {}", dp.rank,
              dp.world_size);
  QTNAS_CHECK(dp.world_size == 1 || (dp.all_reduce_sum && dp.broadcast), "data-parallel training needs collectives");
  QTNAS_CHECK(config_.batch_size >= dp.world_size, "a global batch of {} cannot be shared by {} ranks",
              config_.batch_size, dp.world_size);
  dp_ = std::move(dp);
}

void Trainer::sync_from_rank0() {
  if (dp_.world_size == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  for (auto& p : net_->parameters()) {
    tensors.push_back(p);
    if (auto* s = adamw_state(*optimizer_, p)) {  // none before the first step, on any rank
      tensors.push_back(s->exp_avg());
      tensors.push_back(s->exp_avg_sq());
    }
  }
  dp_.broadcast(tensors);
}

void Trainer::set_teacher(Supernet teacher) {
  QTNAS_CHECK(teacher_arch_, "set_teacher without a teacher arch in the training configuration");
  QTNAS_CHECK(to_string(teacher->space().config()) == to_string(net_->space().config()),
              "the teacher supernet is of another search space");
  teacher->eval();
  for (auto& p : teacher->parameters()) p.set_requires_grad(false);
  teacher_ = std::move(teacher);
}

// `share`: this rank's fraction of the global batch's rows (1 in a single process); 0 when it got no rows.
double Trainer::train_step(const Batch& batch, double share) {
  const SearchSpace& space = net_->space();
  const bool warming_up = config_.reorder_fraction > 0 && !reordered_;
  double teacher_loss = 0;
  torch::Tensor soft_targets;
  if (share > 0) {
    CpuAutocast autocast(use_bf16_);
    const Arch teacher = fixed_arch_ ? *fixed_arch_ : space.largest();
    const torch::Tensor logits = net_->forward(batch.ids, batch.pad, teacher).to(torch::kFloat);
    torch::Tensor loss = F::cross_entropy(
        logits, batch.labels, F::CrossEntropyFuncOptions().label_smoothing(config_.label_smoothing));
    if (teacher_arch_) {  // fine-tuning: the labels and the frozen teacher's outputs
      torch::Tensor targets;
      {
        torch::NoGradGuard no_grad;
        targets = torch::softmax(teacher_->forward(batch.ids, batch.pad, *teacher_arch_).to(torch::kFloat), -1);
      }
      loss = loss + F::kl_div(torch::log_softmax(logits, -1), targets, F::KLDivFuncOptions().reduction(torch::kBatchMean));
    }
    (loss * share).backward();
    teacher_loss = loss.item<double>() * share;
    soft_targets = torch::softmax(logits.detach(), -1);
  }
  if (!fixed_arch_ && !warming_up) {
    // Every rank draws the same students, with or without rows: the random stream stays in step.
    std::vector<Arch> students = {space.smallest(space.config().precisions[rng_.uniform(space.config().precisions.size())])};
    for (int i = 0; i < config_.random_subnets; ++i) students.push_back(space.sample(rng_));
    for (const Arch& student : students) {
      if (share == 0) continue;
      CpuAutocast autocast(use_bf16_);
      const torch::Tensor logits = net_->forward(batch.ids, batch.pad, student).to(torch::kFloat);
      (F::kl_div(torch::log_softmax(logits, -1), soft_targets, F::KLDivFuncOptions().reduction(torch::kBatchMean)) *
       share)
          .backward();
    }
  }
  if (dp_.world_size > 1) {  // the sum over ranks of share-weighted means: the global batch's mean
    std::vector<torch::Tensor> sums;
    for (auto& p : net_->parameters()) {
      if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
      sums.push_back(p.grad());
    }
    sums.push_back(torch::tensor({teacher_loss}, torch::kDouble));
    dp_.all_reduce_sum(sums);
    teacher_loss = sums.back().item<double>();
  }
  torch::nn::utils::clip_grad_norm_(net_->parameters(), config_.grad_clip);
  for (auto& group : optimizer_->param_groups()) {
    static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr_at(step_));
  }
  optimizer_->step();
  optimizer_->zero_grad();
  return teacher_loss;
}

void Trainer::reorder(const EncodedSplit& train, const EncodedSplit& val, const TrainCallbacks& callbacks) {
  const SearchSpace& space = net_->space();
  const auto& c = space.config();
  const std::vector<Arch> probes = {space.largest(), uniform_arch(space, c.max_heads / 2, c.ffn_choices.back() / 2),
                                    uniform_arch(space, 1, c.ffn_choices.size() > 1 ? c.ffn_choices[1] : c.ffn_choices[0])};
  const size_t limit = 2000;
  std::vector<double> before;
  for (const Arch& a : probes) before.push_back(evaluate(net_, val, a, 64, limit).accuracy);

  auto batches = eval_batches(train, config_.batch_size, size_t(config_.reorder_batches) * config_.batch_size);
  reorder_by_importance(net_, measure_importance(net_, train, batches), optimizer_.get());
  reordered_ = true;
  sync_from_rank0();  // every rank measured the same batches; rank 0's order is the one kept

  nlohmann::json rows = nlohmann::json::array();
  std::string line = fmt::format("importance reorder at step {} (val accuracy before -> after):", step_);
  for (size_t i = 0; i < probes.size(); ++i) {
    const double after = evaluate(net_, val, probes[i], 64, limit).accuracy;
    rows.push_back({{"arch", to_string(probes[i])}, {"before", before[i]}, {"after", after}});
    line += fmt::format(" [{}-head/{}-ffn layers {:.1f}% -> {:.1f}%]", probes[i].layers[0].heads,
                        probes[i].layers[0].ffn, 100 * before[i], 100 * after);
  }
  reorder_report_ = {{"step", step_}, {"val_examples", std::min(limit, val.size())}, {"archs", rows}};
  if (callbacks.on_log) callbacks.on_log(line);
}

void Trainer::save(const std::string& path) {
  if (dp_.rank != 0) return;
  meta_.training = {{"config", to_json(config_)},
                    {"step", step_},
                    {"rng_state", rng_.state()},
                    {"reordered", reordered_},
                    {"reorder_report", reorder_report_},
                    {"done", step_ >= config_.steps}};
  save_checkpoint(path, net_, meta_, optimizer_.get());
}

void Trainer::run(const EncodedSplit& train, const EncodedSplit& val, const std::string& checkpoint_path,
                  const TrainCallbacks& callbacks) {
  QTNAS_CHECK(train.size() > 0, "no training examples");
  QTNAS_CHECK(!teacher_arch_ || !teacher_.is_empty(), "fine-tuning with a teacher arch needs set_teacher() first");
  net_->train();
  const int64_t per_epoch = (int64_t(train.size()) + config_.batch_size - 1) / config_.batch_size;
  const int64_t reorder_step = fixed_arch_ ? -1 : int64_t(config_.reorder_fraction * config_.steps);
  int64_t epoch = -1;
  std::vector<std::vector<size_t>> plan;
  const auto start = std::chrono::steady_clock::now();
  sync_from_rank0();
  while (step_ < config_.steps) {
    if (config_.reorder_fraction > 0 && !reordered_ && step_ >= reorder_step && !fixed_arch_) {
      reorder(train, val, callbacks);
      net_->train();
    }
    if (step_ / per_epoch != epoch) {
      epoch = step_ / per_epoch;
      plan = epoch_batches(train, config_.batch_size, config_.seed, epoch);
    }
    const std::vector<size_t>& rows = plan[step_ % per_epoch];
    // This rank's contiguous share of the global batch (all of it in a single process).
    const size_t lo = rows.size() * dp_.rank / dp_.world_size, hi = rows.size() * (dp_.rank + 1) / dp_.world_size;
    const std::vector<size_t> mine(rows.begin() + lo, rows.begin() + hi);
    const double loss = train_step(mine.empty() ? Batch{} : make_batch(train, mine), double(hi - lo) / rows.size());
    ++step_;
    if (callbacks.on_step) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      callbacks.on_step({step_, config_.steps, loss, lr_at(step_ - 1), seconds});
    }
    if (step_ % config_.checkpoint_every == 0 || step_ == config_.steps) {
      save(checkpoint_path);
      if (callbacks.on_log && dp_.rank == 0) {
        callbacks.on_log(fmt::format("checkpoint at step {}: {}", step_, checkpoint_path));
      }
    }
  }
  net_->eval();
}

}  // namespace qtnas
