// Wiring shared by the commands that evaluate a trained supernet on its task (search, resume, export): the
// checkpoint, the tokenizer it was trained with (next to it), and the task's data, checked to belong together.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "supernet/batches.h"
#include "supernet/checkpoint.h"

namespace qtnas::cli {

// The tokenizer beside a supernet checkpoint; throws qtnas::Error if it is not the one the supernet was trained
// with (its fingerprint is in the checkpoint).
Tokenizer load_training_tokenizer(const std::string& supernet_path, const CheckpointMeta& meta);

struct SupernetTask {
  LoadedCheckpoint checkpoint;
  Tokenizer tokenizer;
  std::string tokenizer_bytes;
  Dataset data;
  EncodedSplit val, test;
};
// Throws qtnas::Error when the tokenizer beside the checkpoint is not the one it was trained with, or the
// task's labels differ from the checkpoint's.
SupernetTask load_supernet_task(const std::string& supernet_path, const nlohmann::json& task_options);

// An --arch option: an arch string, or "largest" / "smallest" (FP32) of the space; validated against it.
Arch arch_option(const SearchSpace& space, const std::string& text);

// Hex of the stable hash of a file's bytes (identity of a checkpoint or latency model in a run).
std::string file_hash(const std::string& path);

}  // namespace qtnas::cli
