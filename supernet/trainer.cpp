#include "supernet/trainer.h"

#include <chrono>
#include <cmath>
#include <numeric>

#include "space/error.h"
#include "space/hash.h"
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

torch::Tensor distill_loss(const torch::Tensor& logits, const torch::Tensor& target_probs) {
  return F::kl_div(torch::log_softmax(logits, -1), target_probs, F::KLDivFuncOptions().reduction(torch::kBatchMean));
}

// Steps between the two wall-time estimates' measurements: enough to average over batch lengths.
constexpr int64_t kPaceSteps = 20;

}  // namespace

const char* to_string(Objective o) { return o == Objective::Classify ? "classify" : "masked_lm"; }

Objective objective_from_string(const std::string& text) {
  if (text == "classify") return Objective::Classify;
  if (text == "masked_lm") return Objective::MaskedLm;
  QTNAS_FAIL("unknown training objective '{}' (allowed: classify, masked_lm)", text);
}

nlohmann::json to_json(const TrainConfig& c) {
  return {{"steps", c.steps},
          {"epochs", c.epochs},
          {"batch_size", c.batch_size},
          {"lr", c.lr},
          {"weight_decay", c.weight_decay},
          {"warmup_fraction", c.warmup_fraction},
          {"sandwich_start", c.sandwich_start},
          {"reorder", c.reorder},
          {"reorder_batches", c.reorder_batches},
          {"random_subnets", c.random_subnets},
          {"label_smoothing", c.label_smoothing},
          {"grad_clip", c.grad_clip},
          {"bf16_autocast", c.bf16_autocast},
          {"seed", c.seed},
          {"checkpoint_every", c.checkpoint_every},
          {"objective", to_string(c.objective)},
          {"mask_fraction", c.mask_fraction},
          {"fixed_arch", c.fixed_arch},
          {"teacher_arch", c.teacher_arch}};
}

TrainConfig train_config_from_json(const nlohmann::json& j) {
  TrainConfig c;
  try {
    c.steps = j.at("steps").get<int64_t>();
    c.epochs = j.value("epochs", 0.0);
    c.batch_size = j.at("batch_size").get<int>();
    c.lr = j.at("lr").get<double>();
    c.weight_decay = j.at("weight_decay").get<double>();
    c.warmup_fraction = j.at("warmup_fraction").get<double>();
    if (j.contains("sandwich_start")) {
      c.sandwich_start = j.at("sandwich_start").get<double>();
      c.reorder = j.at("reorder").get<bool>();
    } else {  // checkpoints before the sandwich start was its own setting: the reorder ended the warm-up
      c.sandwich_start = j.at("reorder_fraction").get<double>();
      c.reorder = c.sandwich_start > 0;
    }
    c.reorder_batches = j.at("reorder_batches").get<int>();
    c.random_subnets = j.at("random_subnets").get<int>();
    c.label_smoothing = j.at("label_smoothing").get<double>();
    c.grad_clip = j.at("grad_clip").get<double>();
    c.bf16_autocast = j.at("bf16_autocast").get<bool>();
    c.seed = j.at("seed").get<uint64_t>();
    c.checkpoint_every = j.at("checkpoint_every").get<int64_t>();
    c.objective = objective_from_string(j.value("objective", std::string("classify")));
    c.mask_fraction = j.value("mask_fraction", kMaskFraction);
    c.fixed_arch = j.at("fixed_arch").get<std::string>();
    c.teacher_arch = j.value("teacher_arch", std::string());
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("bad training configuration: {}", e.what());
  }
  return c;
}

TrainConfig train_preset(const std::string& name) {
  TrainConfig c;
  if (name == "default") {
    c.epochs = 4;
  } else if (name == "quick") {  // the demo's, on its smaller space (scripts/demo.sh)
    c.epochs = 1.5;
  } else {
    QTNAS_FAIL("unknown preset '{}' (allowed: default, quick)", name);
  }
  return c;
}

TrainConfig pretrain_preset(const std::string& name, const SearchSpace& space) {
  TrainConfig c;
  c.objective = Objective::MaskedLm;
  c.epochs = name == "default" ? 3 : name == "quick" ? 0 : -1;
  QTNAS_CHECK(c.epochs >= 0, "unknown preset '{}' (allowed: default, quick)", name);
  c.fixed_arch = to_string(space.largest());
  c.batch_size = 64;
  c.mask_fraction = 0.3;
  c.sandwich_start = 0;
  c.reorder = false;
  c.label_smoothing = 0;
  return c;
}

int64_t steps_for_epochs(double epochs, size_t examples, int batch_size) {
  QTNAS_CHECK(epochs > 0, "epochs must be positive, got {}", epochs);
  QTNAS_CHECK(batch_size >= 1, "batch size must be positive, got {}", batch_size);
  const int64_t per_epoch = (int64_t(examples) + batch_size - 1) / batch_size;
  return std::max<int64_t>(1, std::llround(epochs * double(per_epoch)));
}

TrainConfig recipe(const std::string& preset, Objective objective, const RecipeOverrides& o, size_t examples,
                   const SearchSpace& space) {
  const bool mlm = objective == Objective::MaskedLm;
  TrainConfig c = mlm ? pretrain_preset(preset, space) : train_preset(preset);
  if (o.epochs) c.epochs = *o.epochs;
  QTNAS_CHECK(!mlm || c.epochs > 0 || o.steps > 0, "preset '{}' does not pretrain: give --epochs or --steps", preset);
  if (o.batch_size) c.batch_size = *o.batch_size;
  if (o.lr) c.lr = *o.lr;
  if (o.random_subnets) c.random_subnets = *o.random_subnets;
  if (o.sandwich_start) {
    c.sandwich_start = *o.sandwich_start;
    if (mlm) c.fixed_arch.clear();
  }
  if (o.reorder) c.reorder = *o.reorder;
  if (o.mask_fraction) c.mask_fraction = *o.mask_fraction;
  apply_run_settings(c, o);
  if (o.fixed_arch) c.fixed_arch = *o.fixed_arch;
  if (o.teacher) c.teacher_arch = to_string(space.largest());
  QTNAS_CHECK(o.steps >= 0, "--steps must be >= 0, got {}", o.steps);
  if (o.steps > 0) {
    c.steps = o.steps;
    c.epochs = 0;
  } else {
    c.steps = steps_for_epochs(c.epochs, examples, c.batch_size);
  }
  return c;
}

void apply_run_settings(TrainConfig& c, const RecipeOverrides& o) {
  if (o.no_bf16) c.bf16_autocast = false;
  c.seed = o.seed;
  c.checkpoint_every = o.checkpoint_every;
}

Trainer::Trainer(Supernet net, TrainConfig config, CheckpointMeta meta)
    : net_(std::move(net)), config_(std::move(config)), meta_(std::move(meta)), rng_(config_.seed) {
  QTNAS_CHECK(config_.steps >= 1, "training needs at least 1 step, got {}", config_.steps);
  QTNAS_CHECK(config_.batch_size >= 1, "batch size must be positive, got {}", config_.batch_size);
  QTNAS_CHECK(config_.random_subnets >= 0, "random subnets must be >= 0, got {}", config_.random_subnets);
  QTNAS_CHECK(config_.sandwich_start >= 0 && config_.sandwich_start < 1,
              "the sandwich start must be a fraction of the steps in [0, 1), got {}", config_.sandwich_start);
  if (!config_.fixed_arch.empty()) {
    fixed_arch_ = parse_arch(config_.fixed_arch);
    net_->space().validate(*fixed_arch_);
  }
  if (!config_.teacher_arch.empty()) {
    QTNAS_CHECK(config_.objective == Objective::Classify, "a teacher supernet distills labels' predictions");
    teacher_arch_ = parse_arch(config_.teacher_arch);
    net_->space().validate(*teacher_arch_);
  }
  use_bf16_ = config_.bf16_autocast && cpu_has_fast_bf16();
  std::vector<torch::Tensor> params = net_->parameters();
  if (config_.objective == Objective::MaskedLm) {
    mlm_head_ = MaskedLmHead(net_->space().config().hidden, net_->space().config().vocab_size);
    for (const auto& p : mlm_head_->parameters()) params.push_back(p);
  }
  optimizer_ = std::make_unique<FusedAdamW>(
      params, torch::optim::AdamWOptions(config_.lr).weight_decay(config_.weight_decay));
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
  if (mlm_head_) restore_module(checkpoint, kMaskedLmHeadKey, *mlm_head_);
  restore_optimizer(checkpoint, *optimizer_);
  restore_torch_rng(checkpoint);
}

int64_t Trainer::sandwich_start_step() const {
  return fixed_arch_ ? 0 : int64_t(config_.sandwich_start * double(config_.steps));
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
  QTNAS_ASSERT(dp.world_size == 1 || (dp.all_reduce_sum && dp.broadcast), "data-parallel training needs collectives");
  QTNAS_CHECK(config_.batch_size >= dp.world_size, "a global batch of {} cannot be shared by {} ranks",
              config_.batch_size, dp.world_size);
  dp_ = std::move(dp);
}

void Trainer::sync_from_rank0() {
  if (dp_.world_size == 1) return;
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> tensors;
  std::vector<torch::Tensor> params = net_->parameters();
  if (mlm_head_) {
    for (const auto& p : mlm_head_->parameters()) params.push_back(p);
  }
  for (auto& p : params) {
    tensors.push_back(p);
    if (auto* s = adamw_state(*optimizer_, p)) {  // none before the first step, on any rank
      tensors.push_back(s->exp_avg());
      tensors.push_back(s->exp_avg_sq());
    }
  }
  dp_.broadcast(tensors);
}

void Trainer::set_teacher(Supernet teacher) {
  QTNAS_ASSERT(teacher_arch_, "set_teacher without a teacher arch in the training configuration");
  QTNAS_CHECK(to_string(teacher->space().config()) == to_string(net_->space().config()),
              "the teacher supernet is of another search space");
  teacher->eval();
  for (auto& p : teacher->parameters()) p.set_requires_grad(false);
  teacher_ = std::move(teacher);
}

std::vector<Arch> Trainer::draw_students() {
  const SearchSpace& space = net_->space();
  const auto& precisions = space.config().precisions;
  std::vector<Arch> students = {space.smallest(precisions[rng_.uniform(precisions.size())])};
  for (int i = 0; i < config_.random_subnets; ++i) students.push_back(space.sample(rng_));
  return students;
}

// `share`: this rank's fraction of the global batch's rows (1 in a single process); 0 when it got no rows.
// `example_ids`: the rows' indices in the training split (the masked-language objective seeds masks by them).
double Trainer::train_step(const Batch& batch, double share, const std::vector<uint64_t>& example_ids) {
  const SearchSpace& space = net_->space();
  const bool sandwich = !fixed_arch_ && step_ >= sandwich_start_step();
  const bool mlm = config_.objective == Objective::MaskedLm;
  const Arch teacher = fixed_arch_ ? *fixed_arch_ : space.largest();
  double teacher_loss = 0;
  torch::Tensor soft_targets;
  MaskedBatch masked;
  // Logits of `arch` on this rank's rows: classes per example, or vocabulary per masked token.
  auto logits_of = [&](const Arch& arch) {
    if (!mlm) return net_->forward(batch.ids, batch.pad, arch).to(torch::kFloat);
    Arch every_token = arch;  // a masked token must reach the output: pretraining drops none
    for (auto& layer : every_token.layers) layer.keep_pct = 100;
    const torch::Tensor hidden = net_->encode(masked.ids, masked.pad, every_token);
    return mlm_head_->forward(hidden.reshape({-1, hidden.size(-1)}).index_select(0, masked.positions),
                              net_->tok_embedding->weight);
  };
  if (share > 0) {
    if (mlm) {
      std::vector<uint64_t> seeds;
      for (uint64_t id : example_ids) seeds.push_back(stable_hash(fmt::format("{} {} {}", config_.seed, step_, id)));
      masked = mask_tokens(batch, seeds, kMaskTokenId, kFirstOrdinaryTokenId, space.config().vocab_size,
                           config_.mask_fraction);
    }
    CpuAutocast autocast(use_bf16_);
    const torch::Tensor logits = logits_of(teacher);
    torch::Tensor loss = mlm ? F::cross_entropy(logits, masked.targets)
                             : F::cross_entropy(logits, batch.labels,
                                                F::CrossEntropyFuncOptions().label_smoothing(config_.label_smoothing));
    if (teacher_arch_) {  // the labels and a frozen teacher's outputs
      torch::NoGradGuard no_grad;
      soft_targets = torch::softmax(teacher_->forward(batch.ids, batch.pad, *teacher_arch_).to(torch::kFloat), -1);
    } else {
      soft_targets = torch::softmax(logits.detach(), -1);
    }
    if (teacher_arch_) loss = loss + distill_loss(logits, soft_targets);
    (loss * share).backward();
    teacher_loss = loss.item<double>() * share;
  }
  if (sandwich) {
    // Every rank draws the same students, with or without rows: the random stream stays in step.
    for (const Arch& student : draw_students()) {
      if (share == 0) continue;
      CpuAutocast autocast(use_bf16_);
      (distill_loss(logits_of(student), soft_targets) * share).backward();
    }
  }
  if (dp_.world_size > 1) {  // the sum over ranks of share-weighted means: the global batch's mean
    std::vector<torch::Tensor> sums;
    for (auto& group : optimizer_->param_groups()) {
      for (auto& p : group.params()) {
        if (!p.grad().defined()) p.mutable_grad() = torch::zeros_like(p);
        sums.push_back(p.grad());
      }
    }
    sums.push_back(torch::tensor({teacher_loss}, torch::kDouble));
    dp_.all_reduce_sum(sums);
    teacher_loss = sums.back().item<double>();
  }
  auto& group = optimizer_->param_groups().at(0);  // the trainer's only group
  static_cast<torch::optim::AdamWOptions&>(group.options()).lr(lr_at(step_));
  optimizer_->step_scaled(clip_coefficient(group.params(), config_.grad_clip));
  optimizer_->release_grads();
  return teacher_loss;
}

double Trainer::step_on(const Batch& batch) {
  QTNAS_ASSERT(!teacher_arch_ || !teacher_.is_empty(), "a teacher arch needs set_teacher() first");
  std::vector<uint64_t> ids(size_t(batch.ids.size(0)));
  std::iota(ids.begin(), ids.end(), uint64_t(step_) * ids.size());
  net_->train();
  const double loss = train_step(batch, 1.0, ids);
  ++step_;
  return loss;
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
  std::vector<std::pair<std::string, torch::nn::Module*>> extra;
  if (mlm_head_) extra.emplace_back(kMaskedLmHeadKey, mlm_head_.get());
  save_checkpoint(path, net_, meta_, optimizer_.get(), extra);
}

void Trainer::run(const EncodedSplit& train, const EncodedSplit& val, const std::string& checkpoint_path,
                  const TrainCallbacks& callbacks) {
  QTNAS_CHECK(train.size() > 0, "no training examples");
  QTNAS_ASSERT(!teacher_arch_ || !teacher_.is_empty(), "a teacher arch needs set_teacher() first");
  net_->train();
  const int64_t per_epoch = (int64_t(train.size()) + config_.batch_size - 1) / config_.batch_size;
  const int64_t sandwich_step = sandwich_start_step();
  const bool reorder_due = config_.reorder && config_.objective == Objective::Classify && sandwich_step > 0;
  int64_t epoch = -1;
  std::vector<std::vector<size_t>> plan;
  const auto start = std::chrono::steady_clock::now();
  // The expected wall time, from the pace of the steps as measured: once after the first kPaceSteps steps,
  // and again after as many sandwich steps when the run began with the largest subnet alone.
  auto pace_start = start;
  int64_t pace_from = step_;
  auto log = [&](const std::string& line) {
    if (callbacks.on_log && dp_.rank == 0) callbacks.on_log(line);
  };
  sync_from_rank0();
  while (step_ < config_.steps) {
    if (step_ == sandwich_step && sandwich_step > 0) {
      if (reorder_due && !reordered_) {
        reorder(train, val, callbacks);
        net_->train();
      }
      pace_start = std::chrono::steady_clock::now();
      pace_from = step_;
    }
    if (step_ / per_epoch != epoch) {
      epoch = step_ / per_epoch;
      plan = epoch_batches(train, config_.batch_size, config_.seed, epoch);
    }
    const std::vector<size_t>& rows = plan[step_ % per_epoch];
    // This rank's contiguous share of the global batch (all of it in a single process).
    const size_t lo = rows.size() * dp_.rank / dp_.world_size, hi = rows.size() * (dp_.rank + 1) / dp_.world_size;
    const std::vector<size_t> mine(rows.begin() + lo, rows.begin() + hi);
    const std::vector<uint64_t> ids(mine.begin(), mine.end());
    const double loss =
        train_step(mine.empty() ? Batch{} : make_batch(train, mine), double(hi - lo) / rows.size(), ids);
    ++step_;
    if (step_ - pace_from == kPaceSteps) {
      const auto now = std::chrono::steady_clock::now();
      const double pace = std::chrono::duration<double>(now - pace_start).count() / kPaceSteps;
      const double so_far = std::chrono::duration<double>(now - start).count();
      const bool alone = step_ < sandwich_step;
      // Before the sandwich rule starts, its steps are estimated by the forward-backward passes they add: the
      // smallest subnet and each random one cost about half the largest on average.
      const double sandwich_pace = alone ? pace * (1 + 0.5 * (1 + config_.random_subnets)) : pace;
      const double remaining = (alone ? double(sandwich_step - step_) * pace : 0.0) +
                               double(config_.steps - std::max(step_, sandwich_step)) * sandwich_pace;
      log(fmt::format("expected wall time {:.1f} min ({:.3f} s/step over steps {}-{}{})", (so_far + remaining) / 60,
                      pace, pace_from + 1, step_,
                      alone ? "; the sandwich steps estimated, measured again when they start" : ""));
    }
    if (callbacks.on_step) {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      callbacks.on_step({step_, config_.steps, loss, lr_at(step_ - 1), seconds});
    }
    if (step_ % config_.checkpoint_every == 0 || step_ == config_.steps) {
      save(checkpoint_path);
      log(fmt::format("checkpoint at step {}: {}", step_, checkpoint_path));
    }
  }
  net_->eval();
}

void init_from_pretrained(Supernet& net, const std::string& tokenizer_fingerprint, const LoadedCheckpoint& pretrained) {
  SpaceConfig mine = net->space().config(), theirs = pretrained.meta.space;
  mine.num_classes = theirs.num_classes = 0;  // the classifier is not taken,
  mine.pooling = theirs.pooling = Pooling::Cls;  // nor the pooling, which only the classifier reads
  QTNAS_CHECK(to_string(mine) == to_string(theirs), "the pretrained supernet is of another search space ({} vs {})",
              to_string(theirs), to_string(mine));
  QTNAS_CHECK(pretrained.meta.tokenizer_fingerprint == tokenizer_fingerprint,
              "the pretrained supernet was trained with another tokenizer (another task or --vocab-size?)");
  torch::NoGradGuard no_grad;
  const auto source = pretrained.net->named_parameters();
  for (auto& p : net->named_parameters()) {
    if (p.key().rfind("classifier.", 0) == 0) continue;
    p.value().copy_(source[p.key()]);
  }
}

}  // namespace qtnas
