#include "supernet/training_phase.h"

#include <filesystem>

#include <torch/torch.h>

#include "space/error.h"
#include "supernet/evaluate.h"
#include "supernet/machine.h"
#include "supernet/masked_lm.h"

namespace qtnas {
namespace {

std::unique_ptr<Trainer> resume_phase(const PhaseStart& start, const RankGroup& group, bool here) {
  QTNAS_CHECK(here, "rank {}: rank 0 resumes from its checkpoint, but '{}' is missing here; every rank needs "
              "a copy of the checkpoint to resume (or a shared folder)", group.rank(), start.checkpoint);
  const LoadedCheckpoint ckpt = load_checkpoint(start.checkpoint);
  QTNAS_CHECK(to_string(ckpt.meta.space) == to_string(start.meta.space) &&
                  ckpt.meta.tokenizer_fingerprint == start.meta.tokenizer_fingerprint,
              "'{}' holds a supernet of another task or search space; choose another --out (nothing was changed)",
              start.checkpoint);
  auto trainer = std::make_unique<Trainer>(ckpt);
  QTNAS_CHECK(trainer->config().objective == start.config.objective,
              "'{}' holds a {} run, not a {} one; choose another --out", start.checkpoint,
              to_string(trainer->config().objective), to_string(start.config.objective));
  return trainer;
}

void attach_teacher(Trainer& trainer, const PhaseStart& start) {
  if (trainer.config().teacher_arch.empty()) {
    QTNAS_CHECK(start.teacher.empty(), "'{}' was trained without a teacher; --teacher cannot join it half-way",
                start.checkpoint);
    return;
  }
  QTNAS_CHECK(!start.teacher.empty(), "'{}' distills from a teacher supernet: give the same --teacher to resume",
              start.checkpoint);
  const LoadedCheckpoint teacher = load_checkpoint(start.teacher);
  QTNAS_CHECK(teacher.meta.tokenizer_fingerprint == start.meta.tokenizer_fingerprint,
              "teacher '{}' was trained with another tokenizer", start.teacher);
  trainer.set_teacher(teacher.net);
}

}  // namespace

std::unique_ptr<Trainer> start_phase(const PhaseStart& start, const RankGroup& group,
                                     const std::function<void(const std::string&)>& on_note) {
  const bool here = std::filesystem::exists(start.checkpoint);
  // Keyed by the phase's objective, not its path: ranks may name their checkpoints differently.
  const std::string phase = to_string(start.config.objective);
  const nlohmann::json decided = nlohmann::json::parse(group.share_from_rank0(
      "start " + phase,
      group.rank() == 0 ? nlohmann::json{{"resume", here}, {"config", to_json(start.config)}}.dump() : ""));
  std::unique_ptr<Trainer> trainer;
  if (decided.at("resume").get<bool>()) {
    trainer = resume_phase(start, group, here);
    if (group.rank() == 0 && on_note) {
      on_note(fmt::format("resuming '{}' at step {}/{}", start.checkpoint, trainer->step(), trainer->config().steps));
    }
  } else {
    const TrainConfig config = train_config_from_json(decided.at("config"));  // rank 0's, seed included
    torch::manual_seed(config.seed);
    Supernet net(start.meta.space, start.meta.dropout);
    if (!start.init.empty()) {
      init_from_pretrained(net, start.meta.tokenizer_fingerprint, load_checkpoint(start.init));
      if (group.rank() == 0 && on_note) on_note(fmt::format("starting from the pretrained weights of '{}'", start.init));
    }
    trainer = std::make_unique<Trainer>(net, config, start.meta);
  }
  attach_teacher(*trainer, start);
  if (group.distributed()) {
    const int64_t rank0_step = std::stoll(group.share_from_rank0("step " + phase, std::to_string(trainer->step())));
    QTNAS_CHECK(trainer->step() == rank0_step,
                "rank {} would start at step {} but rank 0 at step {}: every rank needs the same checkpoint '{}'",
                group.rank(), trainer->step(), rank0_step, start.checkpoint);
    if (group.rank() > 0) torch::manual_seed(trainer->config().seed * 1000003 + uint64_t(group.rank()));
    trainer->set_data_parallel(group.collectives);
  }
  return trainer;
}

EncodedSplit pretraining_split(EncodedSplit train, const TaskContext& task, int seq_len) {
  std::vector<Example> extra;
  for (const auto& text : task.unlabeled) extra.push_back({text, 0});
  const EncodedSplit more = encode_split(extra, task.tokenizer, seq_len);
  train.ids.insert(train.ids.end(), more.ids.begin(), more.ids.end());
  train.labels.insert(train.labels.end(), more.labels.begin(), more.labels.end());
  return train;
}

std::string pretrained_path(const std::string& out) {
  const std::filesystem::path p(out);
  return (p.parent_path() / (p.stem().string() + ".pretrained" + p.extension().string())).string();
}

std::optional<TrainConfig> pretraining_before_labels(const std::string& preset, std::optional<double> epochs,
                                                     size_t texts, const SearchSpace& space, const TrainConfig& labels,
                                                     bool from_init) {
  if (from_init || !labels.fixed_arch.empty() || !labels.teacher_arch.empty()) return std::nullopt;
  TrainConfig c = pretrain_preset(preset, space);
  if (epochs) c.epochs = *epochs;
  QTNAS_CHECK(c.epochs >= 0, "--pretrain-epochs must be >= 0, got {}", c.epochs);
  if (c.epochs == 0) return std::nullopt;
  c.steps = steps_for_epochs(c.epochs, texts, c.batch_size);
  return c;
}

LabelPlan plan_labels(const std::string& preset, std::optional<double> pretrain_epochs, size_t texts,
                      const SearchSpace& space, const TrainConfig& labels, const std::string& out,
                      const std::string& init, const RankGroup& group) {
  const bool labels_begun =
      group.share_from_rank0("labels begun", std::filesystem::exists(out) ? "1" : "0") == "1";
  LabelPlan plan{pretraining_before_labels(preset, pretrain_epochs, texts, space, labels, !init.empty()), init};
  if (plan.pretrain && labels_begun) plan.pretrain.reset();
  if (plan.pretrain) plan.init = pretrained_path(out);
  return plan;
}

nlohmann::json validation_rows(const Trainer& trainer, const EncodedSplit& val, size_t limit) {
  Supernet net = trainer.net();
  const TrainConfig& config = trainer.config();
  std::vector<Arch> archs = {net->space().largest(), net->space().smallest()};
  if (!config.fixed_arch.empty()) archs = {parse_arch(config.fixed_arch)};
  nlohmann::json rows = nlohmann::json::array();
  for (const Arch& arch : archs) {
    nlohmann::json row = {{"arch", to_string(arch)}};
    if (config.objective == Objective::MaskedLm) {
      MaskedLmHead head = trainer.mlm_head();
      row["masked_token_accuracy"] = masked_token_accuracy(net, head, val, arch, limit);
    } else {
      const EvalResult r = evaluate(net, val, arch, 64, limit);
      row.update({{"accuracy", r.accuracy}, {"loss", r.loss}, {"examples", r.examples}});
    }
    rows.push_back(row);
  }
  return rows;
}

nlohmann::json phase_report(const Trainer& trainer, const std::string& checkpoint, size_t train_size, int seq_len,
                            double seconds, const EncodedSplit& val, size_t eval_limit) {
  const TrainConfig& config = trainer.config();
  return {{"checkpoint", checkpoint},
          {"objective", to_string(config.objective)},
          {"steps", config.steps},
          {"epochs", double(config.steps) * config.batch_size / double(train_size)},
          {"seq_len", seq_len},
          {"train_seconds", seconds},
          {"cpu", cpu_model_name()},
          {"bf16", trainer.uses_bf16()},
          {"reorder", trainer.reorder_report()},
          {"val", validation_rows(trainer, val, eval_limit)}};
}

TaskContext prepare_task_on_ranks(const RankGroup& ranks, const std::function<TaskContext()>& prepare) {
  std::optional<TaskContext> task;
  if (ranks.rank() == 0) task.emplace(prepare());
  const std::string fingerprint = ranks.share_from_rank0("tokenizer", task ? task->tokenizer_fingerprint : "");
  if (!task) task.emplace(prepare());
  QTNAS_CHECK(task->tokenizer_fingerprint == fingerprint,
              "rank {}: the tokenizer here differs from rank 0's (another task or --vocab-size?)", ranks.rank());
  return std::move(*task);
}

std::string describe_validation_rows(const nlohmann::json& report) {
  std::string out;
  for (const auto& row : report["val"]) {
    const std::string arch = row["arch"].get<std::string>();
    if (row.contains("masked_token_accuracy")) {
      out += fmt::format("val masked-token accuracy {:.2f}%: {}\n", 100 * row["masked_token_accuracy"].get<double>(),
                         arch);
    } else {
      out += fmt::format("val accuracy {:.2f}% loss {:.3f} ({} examples): {}\n", 100 * row["accuracy"].get<double>(),
                         row["loss"].get<double>(), row["examples"].get<int64_t>(), arch);
    }
  }
  return out;
}

std::string describe_phase_start(const Trainer& trainer, size_t examples, int seq_len, int world_size, int cores) {
  const TrainConfig& config = trainer.config();
  const bool mlm = config.objective == Objective::MaskedLm;
  const std::string title =
      mlm ? (config.fixed_arch.empty() ? "pretraining (masked tokens, every subnet)"
                                       : "pretraining (masked tokens, the largest alone)")
          : (config.fixed_arch.empty() ? "training the supernet" : "training '" + config.fixed_arch + "' alone");
  return fmt::format("{} on {} examples of {} tokens: {} steps of {}{}{}, {} cores, {}", title, examples, seq_len,
                     config.steps, config.batch_size,
                     config.epochs > 0 ? fmt::format(" ({:g} epochs)", config.epochs) : "",
                     world_size > 1 ? fmt::format(" over {} ranks", world_size) : "", cores,
                     trainer.uses_bf16()    ? "bf16 autocast"
                     : config.bf16_autocast ? "fp32 (bf16 " + bf16_support() + ")"
                                            : std::string("fp32 (--no-bf16)"));
}

}  // namespace qtnas
