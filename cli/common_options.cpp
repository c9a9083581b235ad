#include "cli/common_options.h"

#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include "space/error.h"
#include "supernet/machine.h"

namespace qtnas::cli {

void add_space_options(po::options_description& desc) {
  const SpaceConfig d = default_space();
  desc.add_options()
      ("layers", defaulted(d.layers), "supernet layers (maximum depth)")
      ("hidden", defaulted(d.hidden), "hidden size")
      ("heads", defaulted(d.max_heads), "maximum attention heads per layer")
      ("head-dim", defaulted(d.head_dim), "size of one attention head")
      ("ffn-choices", defaulted(list_text(d.ffn_choices)), "FFN widths (0 = no FFN)")
      ("sparsity-choices", defaulted(list_text(d.sparsity_pct_choices)),
       "weight sparsity levels, as fractions or percents")
      ("precisions", defaulted(list_text(d.precisions)), "layer precisions")
      ("keep-choices", defaulted(list_text(d.keep_pct_choices)),
       "fractions or percents of the tokens a layer may keep (token elimination), e.g. 1,0.75,0.5,0.25; 1 or 100 "
       "alone: none")
      ("pooling", defaulted(to_string(d.pooling)),
       "what the classifier reads: cls (the [CLS] vector) or mean (the mean over the real tokens)")
      ("min-active-layers", defaulted(d.min_active_layers), "fewest non-skipped layers")
      ("skip-probability", defaulted(d.skip_probability),
       "chance that a randomly sampled layer is skipped");
}

void add_dims_options(po::options_description& desc) {
  const SpaceConfig d = default_space();
  desc.add_options()
      ("vocab-size", defaulted(d.vocab_size), "tokenizer vocabulary size")
      ("seq-len", po::value<std::string>()->default_value("auto"),
       "tokens per example, [CLS] included; auto: the length that covers 95% of the training texts");
}

int seq_len_from(const po::variables_map& vm, const TaskContext* task) {
  return parse_seq_len(vm["seq-len"].as<std::string>(), task, SpaceConfig{}.max_seq_len);
}

SpaceConfig space_options_from(const po::variables_map& vm) {
  SpaceConfig c;
  c.layers = vm["layers"].as<int>();
  c.hidden = vm["hidden"].as<int>();
  c.max_heads = vm["heads"].as<int>();
  c.head_dim = vm["head-dim"].as<int>();
  c.ffn_choices = parse_int_list(vm["ffn-choices"].as<std::string>(), "ffn");
  c.sparsity_pct_choices = parse_sparsity_list(vm["sparsity-choices"].as<std::string>());
  c.precisions = parse_precision_list(vm["precisions"].as<std::string>());
  c.keep_pct_choices = parse_keep_list(vm["keep-choices"].as<std::string>());
  c.pooling = parse_pooling(vm["pooling"].as<std::string>());
  c.min_active_layers = vm["min-active-layers"].as<int>();
  c.skip_probability = vm["skip-probability"].as<double>();
  c.vocab_size = vm["vocab-size"].as<int>();
  return c;
}

SpaceConfig space_config_from(const po::variables_map& vm, int num_classes, int seq_len) {
  SpaceConfig c = space_options_from(vm);
  c.max_seq_len = seq_len;
  c.num_classes = num_classes;
  return SearchSpace(c).config();  // validated, and canonical: lists sorted as every stored space has them
}

void add_task_options(po::options_description& desc) {
  desc.add_options()
      ("task", po::value<std::string>()->default_value("wordnet"),
       "wordnet (the embedded default: WordNet glosses -> 45 lexicographer classes), or files (implied by --data or "
       "--train)")
      ("wordnet-dir", defaulted(std::string(kWordnetDir)), "WordNet 3.0 data files")
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
  const bool has_files = vm.count("data") || vm.count("train") || vm.count("val") || vm.count("test");
  if (has_files && vm["task"].defaulted()) j["task"] = "files";
  return j;
}

Dataset load_task(const po::variables_map& vm) { return qtnas::load_task(task_options_json(vm)); }

std::string workdir(const po::variables_map& vm) {
  const std::string dir = vm["workdir"].as<std::string>();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  QTNAS_CHECK(!ec, "cannot create work directory '{}': {}", dir, ec.message());
  return dir;
}

TaskContext prepare_task(const po::variables_map& vm) {
  const std::vector<std::string> paths =
      optional_value<std::vector<std::string>>(vm, "unlabeled").value_or(std::vector<std::string>());
  return qtnas::prepare_task(task_options_json(vm), vm["vocab-size"].as<int>(), workdir(vm),
                             read_unlabeled_texts(paths),
                             [](const std::string& line) { std::cerr << line << "\n"; });
}

void add_distributed_options(po::options_description& desc) {
  const DistributedOptions d;
  desc.add_options()
      ("world-size", po::value<int>()->default_value(0), "processes in the group (0: $WORLD_SIZE, else 1)")
      ("rank", po::value<int>()->default_value(-1), "this process's rank (-1: $RANK, else 0)")
      ("master-addr", po::value<std::string>()->default_value(""), "rank 0's host ('': $MASTER_ADDR, else 127.0.0.1)")
      ("master-port", po::value<int>()->default_value(0), "rank 0's TCPStore port (0: $MASTER_PORT, else 29500)")
      ("dist-timeout", defaulted(int(std::chrono::duration_cast<std::chrono::seconds>(d.timeout).count())),
       "seconds to wait for the other ranks");
}

DistributedOptions distributed_options_from(const po::variables_map& vm) {
  DistributedOptions o = resolve_distributed_options(vm["world-size"].as<int>(), vm["rank"].as<int>(),
                                                     vm["master-addr"].as<std::string>(), vm["master-port"].as<int>());
  QTNAS_CHECK(vm["dist-timeout"].as<int>() > 0, "--dist-timeout must be positive");
  o.timeout = std::chrono::seconds(vm["dist-timeout"].as<int>());
  return o;
}

int cores_from(const po::variables_map& vm) {
  const int threads = vm["threads"].as<int>();
  QTNAS_CHECK(threads >= 0, "--threads must be >= 0, got {}", threads);
  return cores_to_use(threads);
}

void set_threads(const po::variables_map& vm) { at::set_num_threads(cores_from(vm)); }

}  // namespace qtnas::cli
