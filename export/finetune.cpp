#include "export/finetune.h"

#include <chrono>
#include <filesystem>
#include <memory>

#include <fmt/format.h>

#include "space/error.h"
#include "supernet/evaluate.h"

namespace qtnas {
namespace {

TrainConfig finetune_train_config(const FinetuneConfig& config, const Arch& arch, const SearchSpace& space) {
  TrainConfig c;
  c.steps = config.steps;
  c.lr = config.lr;
  c.sandwich_start = 0;  // a fixed arch: no phase of the largest alone, no reorder
  c.random_subnets = 0;
  c.fixed_arch = to_string(arch);
  c.teacher_arch = to_string(space.largest());
  c.checkpoint_every = std::max<int64_t>(50, c.steps / 4);
  return c;
}

// A fresh trainer of `net`, or the one the checkpoint left when it holds this very fine-tune.
std::unique_ptr<Trainer> finetune_trainer(LoadedCheckpoint& supernet, const TrainConfig& config,
                                          const std::string& checkpoint, const FinetuneCallbacks& callbacks) {
  if (!std::filesystem::exists(checkpoint)) {
    return std::make_unique<Trainer>(supernet.net, config, supernet.meta);
  }
  const LoadedCheckpoint ckpt = load_checkpoint(checkpoint);
  const TrainConfig saved = train_config_from_json(ckpt.meta.training.at("config"));
  QTNAS_CHECK(saved.fixed_arch == config.fixed_arch && saved.steps == config.steps && saved.lr == config.lr,
              "'{}' holds another fine-tune (of {} for {} steps); delete it or choose another --out", checkpoint,
              saved.fixed_arch, saved.steps);
  auto trainer = std::make_unique<Trainer>(ckpt);
  if (callbacks.on_note) {
    callbacks.on_note(
        fmt::format("resuming the fine-tune '{}' at step {}/{}", checkpoint, trainer->step(), config.steps));
  }
  return trainer;
}

}  // namespace

nlohmann::json to_json(const FinetuneReport& r) {
  return {{"steps", r.steps},
          {"lr", r.lr},
          {"batch_size", r.batch_size},
          {"teacher", r.teacher},
          {"seconds", r.seconds},
          {"accuracy_inherited", r.accuracy_inherited},
          {"checkpoint", r.checkpoint}};
}

std::string finetune_checkpoint_path(const FinetuneConfig& config) {
  return fmt::format("{}.finetune-{}.pt", config.out, config.supernet_hash.substr(0, 12));
}

FinetuneReport finetune_arch(LoadedCheckpoint& supernet, const Arch& arch, const FinetuneData& data,
                             const FinetuneConfig& config, const FinetuneCallbacks& callbacks) {
  const SearchSpace& space = supernet.net->space();
  const TrainConfig train_config = finetune_train_config(config, arch, space);
  const std::string checkpoint = finetune_checkpoint_path(config);
  const double inherited_test = evaluate(supernet.net, data.test, arch).accuracy;

  std::unique_ptr<Trainer> trainer = finetune_trainer(supernet, train_config, checkpoint, callbacks);
  trainer->set_teacher(load_checkpoint(config.supernet_path).net);
  const EncodedSplit train = encode_split(data.train, data.tokenizer, space.config().max_seq_len);
  if (callbacks.on_note) {
    callbacks.on_note(fmt::format("fine-tuning {} for {} steps of {} (distilled from the largest subnet), {} threads",
                                  train_config.fixed_arch, train_config.steps, train_config.batch_size,
                                  at::get_num_threads()));
  }
  if (callbacks.on_start) callbacks.on_start(trainer->step(), train_config.steps);
  TrainCallbacks train_callbacks;
  train_callbacks.on_step = callbacks.on_step;
  const auto start = std::chrono::steady_clock::now();
  trainer->run(train, data.val, checkpoint, train_callbacks);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  supernet.net = trainer->net();  // the same module when not resumed
  return {train_config.steps, train_config.lr, train_config.batch_size, train_config.teacher_arch,
          seconds,            inherited_test,  checkpoint};
}

}  // namespace qtnas
