// Option groups shared by several subcommands: the search space, and the task (which data, which tokenizer).
#pragma once

#include <optional>
#include <string>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "data/task.h"
#include "data/wordnet.h"
#include "distributed/process_group.h"
#include "space/search_space.h"

namespace qtnas::cli {

// An option's value whose default is `v`, a library struct's field (the default's one home), shown in --help as
// a person writes it (Boost would print 0.1 as 0.10000000000000001).
template <typename T>
po::typed_value<T>* defaulted(const T& v) {
  return po::value<T>()->default_value(v, fmt::format("{}", v));
}

// The value of an option that has no default, if it was given.
template <typename T>
std::optional<T> optional_value(const po::variables_map& vm, const char* name) {
  return vm.count(name) ? std::optional<T>(vm[name].as<T>()) : std::nullopt;
}

// --layers --hidden --heads --head-dim --ffn-choices --sparsity-choices --precisions --keep-choices --pooling
// --min-active-layers --skip-probability (defaults: the default space of qtnas).
void add_space_options(po::options_description& desc);
// --vocab-size --seq-len: the tokenizer's vocabulary and the model's sequence length.
void add_dims_options(po::options_description& desc);
// --seq-len: a number, or "auto" (data/stats.h covering_seq_len of the task's training texts; without a task,
// the default space's length). Throws qtnas::Error on anything else.
int seq_len_from(const po::variables_map& vm, const TaskContext* task);
// The space and dims options as given, neither checked nor sorted (their classes and length unset).
SpaceConfig space_options_from(const po::variables_map& vm);
// Builds the space from those options; num_classes comes from the task or from --num-classes.
// Validated and canonical (SearchSpace sorts its lists): the form every checkpoint and database stores.
SpaceConfig space_config_from(const po::variables_map& vm, int num_classes, int seq_len);

// --task wordnet|tsv|jsonl --wordnet-dir --data | --train --val --test, --workdir.
void add_task_options(po::options_description& desc);
Dataset load_task(const po::variables_map& vm);
// The task options as JSON (stored in a search run, so that `resume` and `export` reload the same data), and
// the task they name.
nlohmann::json task_options_json(const po::variables_map& vm);
// Where this task's files (tokenizer, checkpoints) live; created if missing.
std::string workdir(const po::variables_map& vm);

// data/task.h's prepare_task with the task options, --vocab-size, --workdir and, where the command has it,
// --unlabeled FILE...; its note goes to stderr.
TaskContext prepare_task(const po::variables_map& vm);

// --world-size --rank --master-addr --master-port --dist-timeout: a process group of torch.distributed (unset
// values come from WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT, as torchrun sets them).
void add_distributed_options(po::options_description& desc);
DistributedOptions distributed_options_from(const po::variables_map& vm);

// --threads N (0: all cores): the cores to use; set_threads gives them to LibTorch's intra-op threads.
int cores_from(const po::variables_map& vm);
void set_threads(const po::variables_map& vm);

}  // namespace qtnas::cli
