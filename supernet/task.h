// A trained supernet with its task, as search, resume, worker, eval and export take it: the checkpoint, the
// tokenizer it was trained with (beside it, in the same folder) and the task's data, checked to belong together.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "data/dataset.h"
#include "data/tokenizer.h"
#include "supernet/batches.h"
#include "supernet/checkpoint.h"

namespace qtnas {

// The tokenizer beside a supernet checkpoint; throws qtnas::Error if it is not the one the supernet was trained
// with (its fingerprint is in the checkpoint).
Tokenizer load_training_tokenizer(const std::string& supernet_path, const CheckpointMeta& meta);
// Writes `tokenizer` beside the checkpoint `supernet_path` will be (where load_training_tokenizer reads it),
// unless the same tokenizer is there already; throws qtnas::Error, writing nothing, if another one is there (a
// supernet of another task in that folder). Training calls it, so a checkpoint written outside the workdir is
// usable as it is.
void place_training_tokenizer(const std::string& supernet_path, const Tokenizer& tokenizer);

struct SupernetTask {
  LoadedCheckpoint checkpoint;
  Tokenizer tokenizer;
  std::string tokenizer_bytes;
  Dataset data;
  EncodedSplit val, test;
};
// The task of data/task.h's `task_options`, with its validation and test splits encoded at the supernet's
// sequence length. Throws qtnas::Error when the tokenizer beside the checkpoint is not the one it was trained
// with, or the task's labels differ from the checkpoint's.
SupernetTask load_supernet_task(const std::string& supernet_path, const nlohmann::json& task_options);

// Throws qtnas::Error when `data`'s labels are not those supernet `supernet_path` (of `meta`) was trained on, or
// it gives single texts to a supernet trained on pairs, or pairs to one trained on single texts.
void check_task_labels(const Dataset& data, const CheckpointMeta& meta, const std::string& supernet_path);


}  // namespace qtnas
