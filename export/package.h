// The deployable checkpoint a user ships: the TorchScript module of export/subnet_module.h saved with extra
// files that make it self-contained and checkable:
//   "qtnas_meta.json"  {"format": "qtnas-model", "version": 2, "arch": ..., "arch_id": ..., "space_hash": ...,
//                       "space": {...}, "label_names": [...], "pairs": false, "provenance": {...}}
//                      Version 2 added "pairs" (a sentence-pair model) and the module's classify methods;
//                      a version-1 model reads as pairs = false.
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

inline constexpr int kModelFormatVersion = 2;

struct ModelMeta {
  Arch arch;
  SpaceConfig space;
  std::vector<std::string> label_names;
  nlohmann::json provenance = nlohmann::json::object();  // run database, candidate id, accuracies, latencies
  bool pairs = false;  // classifies pairs of texts ([CLS] a [SEP] b, data/tokenizer.h)
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
// The inputs of `qtnas predict`: `texts` (two by two for a pair model), then the lines of the file `path` unless
// it is empty: one text a line, or "first<TAB>second" for a pair model; blank lines are skipped. Throws
// qtnas::Error on an odd number of texts for a pair model, an unreadable file, a line that is not a pair (file and
// line named), and no inputs at all.
std::vector<Example> prediction_inputs(const std::vector<std::string>& texts, const std::string& path, bool pairs);

// Tokenizes (as training did), batches and runs the module's forward under inference mode. The inputs are texts
// (Example::text), or pairs (text and text_pair) for a pair model; throws qtnas::Error on the other kind.
std::vector<Prediction> predict(LoadedModel& model, const std::vector<Example>& inputs, int batch_size = 64);
std::vector<Prediction> predict(LoadedModel& model, const std::vector<std::string>& texts, int batch_size = 64);
// The predictions of `qtnas predict`: a JSON list of {"text", "label", "score"} ("text_pair" too for a pair
// model), or one line each, "label<TAB>score<TAB>text" (then "<TAB>text_pair" for a pair model).
nlohmann::json to_json(const std::vector<Example>& inputs, const std::vector<Prediction>& predictions, bool pairs);
std::string to_lines(const std::vector<Example>& inputs, const std::vector<Prediction>& predictions, bool pairs);
// The logits of the inputs (rows in order), for agreement checks.
torch::Tensor logits(LoadedModel& model, const std::vector<Example>& inputs, int batch_size = 64);
torch::Tensor logits(LoadedModel& model, const std::vector<std::string>& texts, int batch_size = 64);

}  // namespace qtnas
