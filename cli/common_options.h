// Option groups shared by several subcommands (the search space, the task, the process group), and the
// helpers that bind an option to the library struct field it fills.
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

// Options bound to fields: po::notify stores each given value into its field. A field's initial value, set by
// its library struct, is the option's default: the default's one home. Defaults are shown in --help as a person
// writes them (Boost would print 0.1 as 0.10000000000000001).
template <typename T>
po::typed_value<T>* bound(T* field) {
  return po::value(field)->default_value(*field, fmt::format("{}", *field));
}
template <typename T>
po::typed_value<T>* required(T* field) {
  return po::value(field)->required();
}
// Set only when given; unset otherwise.
template <typename T>
po::typed_value<T>* optional(std::optional<T>* field) {
  return po::value<T>()->notifier([field](const T& v) { *field = v; });
}
// A switch --no-x that sets `*field` to false.
inline po::typed_value<bool>* negated(bool* field) {
  return po::bool_switch()->notifier([field](bool on) { *field = *field && !on; });
}
// Written as text and read into `*field` by `parse` (which throws qtnas::Error on bad text); `text` is the
// field's initial value as a user writes it.
template <typename T, typename Parse>
po::typed_value<std::string>* parsed(T* field, Parse parse, const std::string& text) {
  return po::value<std::string>()->default_value(text)->notifier(
      [field, parse](const std::string& value) { *field = parse(value); });
}

// --threads N (0: all cores) and --json, which most commands take. set_threads gives the cores to LibTorch's
// intra-op threads. set_measuring_threads also leaves OpenBLAS one thread, for commands that evaluate or measure
// modules (supernet/machine.h says why); training keeps OpenBLAS's own threads, as its speed was measured.
void add_output_options(po::options_description& desc);
int cores_from(const po::variables_map& vm);
void set_threads(const po::variables_map& vm);
void set_measuring_threads(const po::variables_map& vm);

// --layers --hidden --heads --head-dim --ffn-choices --sparsity-choices --precisions --keep-choices --pooling
// --min-active-layers --skip-probability, bound to `*space`, whose initial values are the defaults (the
// commands start from default_space()). Stored as given: neither checked nor sorted.
void add_space_options(po::options_description& desc, SpaceConfig* space);
// --vocab-size and --seq-len: the tokenizer's vocabulary, and the tokens per example, as data/task.h's
// parse_seq_len takes them (a number, or "auto"); bound to the fields given, else read from the variables map.
void add_dims_options(po::options_description& desc, int* vocab_size = nullptr, std::string* seq_len = nullptr);

// --task wordnet|tsv|jsonl --wordnet-dir --data | --train --val --test, --workdir.
void add_task_options(po::options_description& desc);
// The task options as JSON (stored in a search run, so that `resume` and `export` reload the same data).
nlohmann::json task_options_json(const po::variables_map& vm);
// Where this task's files (tokenizer, checkpoints) live; created if missing.
std::string workdir(const po::variables_map& vm);

// --world-size --rank --master-addr --master-port --dist-timeout: a process group of torch.distributed (unset
// values come from WORLD_SIZE, RANK, MASTER_ADDR, MASTER_PORT, as torchrun sets them).
void add_distributed_options(po::options_description& desc);
DistributedOptions distributed_options_from(const po::variables_map& vm);

}  // namespace qtnas::cli
