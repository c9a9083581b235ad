// The deployable checkpoint a user ships: the TorchScript module of export/subnet_module.h saved with extra
// files that make it self-contained and checkable:
//   "qtnas_meta.json"  {"format": "qtnas-model", "version": 1, "arch": ..., "arch_id": ..., "space_hash": ...,
//                       "space": {...}, "label_names": [...], "provenance": {...}}
//   "tokenizer.model"  the SentencePiece model the supernet was trained with (serialized proto)
// Loadable by torch::jit::load and by Python's torch.jit.load (extra files through _extra_files).
#pragma once

#include <torch/script.h>

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "data/tokenizer.h"
#include "space/search_space.h"

namespace qtnas {

inline constexpr int kModelFormatVersion = 1;

struct ModelMeta {
  Arch arch;
  SpaceConfig space;
  std::vector<std::string> label_names;
  nlohmann::json provenance = nlohmann::json::object();  // run database, candidate id, accuracies, latencies
};

// Written to a temporary file renamed into place. Throws qtnas::Error if it cannot be written.
void save_model(const std::string& path, torch::jit::Module& module, const ModelMeta& meta,
                const std::string& tokenizer_bytes);

struct LoadedModel {
  torch::jit::Module module;
  ModelMeta meta;
  Tokenizer tokenizer;
};
// Throws qtnas::Error naming the file when it is missing, corrupt, not a qtnas model, or of a newer format.
LoadedModel load_model(const std::string& path);

struct Prediction {
  std::string label;
  double score = 0;  // softmax probability of the label
};
// Tokenizes, batches and runs the module under inference mode.
std::vector<Prediction> predict(LoadedModel& model, const std::vector<std::string>& texts, int batch_size = 64);
// The logits of `texts` (rows in order), for agreement checks.
torch::Tensor logits(LoadedModel& model, const std::vector<std::string>& texts, int batch_size = 64);

}  // namespace qtnas
