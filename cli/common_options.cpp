#include "cli/common_options.h"

#include <torch/torch.h>

#include <filesystem>

#include "space/error.h"
#include "supernet/machine.h"

namespace qtnas::cli {

void add_output_options(po::options_description& desc) {
  desc.add_options()
      ("threads", po::value<int>()->default_value(0), "LibTorch threads (0: all cores)")
      ("json", po::bool_switch(), "machine-readable output");
}

int cores_from(const po::variables_map& vm) {
  const int threads = vm["threads"].as<int>();
  QTNAS_CHECK(threads >= 0, "--threads must be >= 0, got {}", threads);
  return cores_to_use(threads);
}

void set_threads(const po::variables_map& vm) { at::set_num_threads(cores_from(vm)); }

void set_measuring_threads(const po::variables_map& vm) {
  set_threads(vm);
  set_openblas_single_threaded();
}

void add_space_options(po::options_description& desc, SpaceConfig* c) {
  desc.add_options()
      ("layers", bound(&c->layers), "supernet layers (maximum depth)")
      ("hidden", bound(&c->hidden), "hidden size")
      ("heads", bound(&c->max_heads), "maximum attention heads per layer")
      ("head-dim", bound(&c->head_dim), "size of one attention head")
      ("ffn-choices", parsed(&c->ffn_choices, [](const std::string& s) { return parse_int_list(s, "ffn"); },
                             list_text(c->ffn_choices)), "FFN widths (0 = no FFN)")
      ("sparsity-choices", parsed(&c->sparsity_pct_choices, parse_sparsity_list, list_text(c->sparsity_pct_choices)),
       "weight sparsity levels, as fractions or percents")
      ("precisions", parsed(&c->precisions, parse_precision_list, list_text(c->precisions)), "layer precisions")
      ("keep-choices", parsed(&c->keep_pct_choices, parse_keep_list, list_text(c->keep_pct_choices)),
       "fractions or percents of the tokens a layer may keep (token elimination), e.g. 1,0.75,0.5,0.25; 1 or 100 "
       "alone: none")
      ("pooling", parsed(&c->pooling, parse_pooling, to_string(c->pooling)),
       "what the classifier reads: cls (the [CLS] vector) or mean (the mean over the real tokens)")
      ("min-active-layers", bound(&c->min_active_layers), "fewest non-skipped layers")
      ("skip-probability", bound(&c->skip_probability), "chance that a randomly sampled layer is skipped");
}

void add_dims_options(po::options_description& desc, int* vocab_size, std::string* seq_len) {
  desc.add_options()
      ("vocab-size", po::value(vocab_size)->default_value(default_space().vocab_size), "tokenizer vocabulary size")
      ("seq-len", po::value(seq_len)->default_value("auto"),
       "tokens per example, [CLS] included; auto: the length that covers 95% of the training texts");
}

void add_task_options(po::options_description& desc) {
  desc.add_options()
      ("task", po::value<std::string>(), "wordnet (the default: WordNet glosses -> 45 lexicographer classes), or "
       "files (the default with --data or --train)")
      ("wordnet-dir", po::value<std::string>()->default_value(kWordnetDir), "WordNet 3.0 data files")
      ("data", po::value<std::string>(), "one tsv/csv/json(l) file, split 80/10/10 by a hash of each example")
      ("train", po::value<std::string>(), "training file (with --val and --test instead of --data)")
      ("val", po::value<std::string>(), "validation file")
      ("test", po::value<std::string>(), "test file")
      ("format", po::value<std::string>(), "tsv, csv, json or jsonl (default: by each file's extension)")
      ("text-column", po::value<std::string>(), "the column (or JSON key) of the text (default: text)")
      ("label-column", po::value<std::string>(), "the column (or JSON key) of the label (default: label)")
      ("text-pair-column", po::value<std::string>(), "the column of a second text: a sentence-pair task")
      ("workdir", po::value<std::string>()->default_value("qtnas_work"),
       "directory for the tokenizer, checkpoints and databases of this task");
}

nlohmann::json task_options_json(const po::variables_map& vm) {
  nlohmann::json j = nlohmann::json::object();
  for (const char* key : kTaskOptionKeys) {
    if (vm.count(key)) j[key] = vm[key].as<std::string>();
  }
  return j;  // without "task", load_task infers it from the files given
}

std::string workdir(const po::variables_map& vm) {
  const std::string dir = vm["workdir"].as<std::string>();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  QTNAS_CHECK(!ec, "cannot create work directory '{}': {}", dir, ec.message());
  return dir;
}

void add_distributed_options(po::options_description& desc) {
  const int timeout_s = std::chrono::duration_cast<std::chrono::seconds>(DistributedOptions{}.timeout).count();
  desc.add_options()
      ("world-size", po::value<int>()->default_value(0), "processes in the group (0: $WORLD_SIZE, else 1)")
      ("rank", po::value<int>()->default_value(-1), "this process's rank (-1: $RANK, else 0)")
      ("master-addr", po::value<std::string>()->default_value(""), "rank 0's host ('': $MASTER_ADDR, else 127.0.0.1)")
      ("master-port", po::value<int>()->default_value(0), "rank 0's TCPStore port (0: $MASTER_PORT, else 29500)")
      ("dist-timeout", po::value<int>()->default_value(timeout_s), "seconds to wait for the other ranks");
}

DistributedOptions distributed_options_from(const po::variables_map& vm) {
  DistributedOptions o = resolve_distributed_options(vm["world-size"].as<int>(), vm["rank"].as<int>(),
                                                     vm["master-addr"].as<std::string>(), vm["master-port"].as<int>());
  QTNAS_CHECK(vm["dist-timeout"].as<int>() > 0, "--dist-timeout must be positive");
  o.timeout = std::chrono::seconds(vm["dist-timeout"].as<int>());
  return o;
}

}  // namespace qtnas::cli
