// Supernet checkpoint files. A checkpoint is a LibTorch archive (zip) holding:
//   "qtnas_meta"  a JSON string: {"format": "qtnas-supernet", "version": 1, "space": {...}, "dropout": 0.1,
//                 "label_names": [...], "tokenizer_fingerprint": "<hex>", "training": {...}, "pairs": false}
//   the supernet's parameters, and for a checkpoint written during training also "optimizer" (AdamW state)
//   and "torch_rng" (LibTorch's CPU generator state, for dropout), so that training resumes exactly.
// Writes go to a temporary file renamed into place: an interrupted save never leaves a half-written checkpoint.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "supernet/supernet.h"

namespace qtnas {

inline constexpr int kCheckpointVersion = 1;

struct CheckpointMeta {
  SpaceConfig space;
  double dropout = 0.1;
  std::vector<std::string> label_names;
  std::string tokenizer_fingerprint;  // hash_hex(stable_hash(tokenizer bytes)) of the tokenizer it was trained with
  nlohmann::json training = nlohmann::json::object();  // the trainer's state and config (see supernet/trainer.h)
  bool pairs = false;  // trained on a sentence-pair task (absent from older checkpoints: false)
};

// The archive key of the masked-language-model head that a pretraining checkpoint carries besides the supernet.
inline constexpr const char* kMaskedLmHeadKey = "masked_lm_head";

// `optimizer` may be null (a final or exported checkpoint need not carry it). `extra` modules are stored under
// their keys, for training state that is not part of the supernet (a pretraining head). Throws qtnas::Error if
// the file cannot be written.
void save_checkpoint(const std::string& path, Supernet& net, const CheckpointMeta& meta,
                     torch::optim::AdamW* optimizer,
                     const std::vector<std::pair<std::string, torch::nn::Module*>>& extra = {});

struct LoadedCheckpoint {
  Supernet net{nullptr};
  CheckpointMeta meta;
  bool has_optimizer = false;
  std::shared_ptr<torch::serialize::InputArchive> archive;  // for restore_optimizer / restore_torch_rng
};

// Throws qtnas::Error naming the file when it is missing, truncated or corrupt, not a qtnas supernet
// checkpoint, or of a newer format version.
LoadedCheckpoint load_checkpoint(const std::string& path);
// Loads the module stored under `key` by save_checkpoint's `extra`; throws qtnas::Error if absent or corrupt.
void restore_module(const LoadedCheckpoint& checkpoint, const std::string& key, torch::nn::Module& module);
void restore_optimizer(const LoadedCheckpoint& checkpoint, torch::optim::AdamW& optimizer);
void restore_torch_rng(const LoadedCheckpoint& checkpoint);

}  // namespace qtnas
