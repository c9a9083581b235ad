// Fine-tuning one arch of a supernet before it is exported: the arch's weights alone, trained for a few steps on
// the labels and distilled from the supernet's largest FP32 subnet (a frozen copy), with the exact export
// numerics (fake INT8, bf16 rounding, magnitude masks). Inherited weights are what the search ranks archs by; a
// short fine-tune is what a user deploys.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "supernet/batches.h"
#include "supernet/checkpoint.h"
#include "supernet/trainer.h"

namespace qtnas {

struct FinetuneConfig {
  int64_t steps = 0;
  double lr = 3e-4;           // peak learning rate
  std::string supernet_path;  // the checkpoint the weights come from, loaded again as the frozen teacher
  std::string supernet_hash;  // the hex hash of that file, which names the resume checkpoint
  std::string out;            // the model file the fine-tuned arch is exported to; the checkpoint goes beside it
};

// What a fine-tune reads. Views: the referenced data must outlive the call.
struct FinetuneData {
  const std::vector<Example>& train;  // encoded here, at the supernet's sequence length
  const Tokenizer& tokenizer;
  const EncodedSplit& val;   // the trainer's validation split
  const EncodedSplit& test;  // where the accuracy of the inherited weights is measured
};

struct FinetuneCallbacks {
  std::function<void(const std::string&)> on_note;  // one line of news: a resume, what is trained
  std::function<void(int64_t first_step, int64_t steps)> on_start;  // once, before training (first_step > 0: resumed)
  std::function<void(const TrainStatus&)> on_step;                  // after every step
};

struct FinetuneReport {
  int64_t steps = 0;
  double lr = 0;
  int batch_size = 0;
  std::string teacher;            // the teacher's arch string (the largest subnet)
  double seconds = 0;             // wall time of this call's training (not of an interrupted earlier one)
  double accuracy_inherited = 0;  // test accuracy of the arch with the inherited weights (supernet numerics)
  std::string checkpoint;         // the resume checkpoint; the caller removes it once the model is written
};
// {"steps", "lr", "batch_size", "teacher", "seconds", "accuracy_inherited", "checkpoint"}
nlohmann::json to_json(const FinetuneReport& report);

// The resume checkpoint beside the output: "<out>.finetune-<first 12 hex digits of supernet_hash>.pt".
std::string finetune_checkpoint_path(const FinetuneConfig& config);

// Fine-tunes `arch` of `supernet` for config.steps steps (> 0); on return supernet.net holds the fine-tuned
// weights (the very module, trained in place, unless resumed). When the resume checkpoint exists, the fine-tune
// continues from it, so that an interrupted one resumes with the same command; throws qtnas::Error when it
// holds another fine-tune (another arch, number of steps or learning rate), or when a file cannot be read.
FinetuneReport finetune_arch(LoadedCheckpoint& supernet, const Arch& arch, const FinetuneData& data,
                             const FinetuneConfig& config, const FinetuneCallbacks& callbacks = {});

}  // namespace qtnas
