#include "cli/common_options.h"

#include <torch/torch.h>

#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include "data/labeled_files.h"
#include "data/stats.h"
#include "data/wordnet.h"
#include "space/error.h"
#include "space/hash.h"

namespace qtnas::cli {

void add_space_options(po::options_description& desc) {
  const SpaceConfig d;
  desc.add_options()
      ("layers", po::value<int>()->default_value(d.layers), "supernet layers (maximum depth)")
      ("hidden", po::value<int>()->default_value(d.hidden), "hidden size")
      ("heads", po::value<int>()->default_value(d.max_heads), "maximum attention heads per layer")
      ("head-dim", po::value<int>()->default_value(d.head_dim), "size of one attention head")
      ("ffn-choices", po::value<std::string>()->default_value("0,256,512,768,1024"), "FFN widths (0 = no FFN)")
      ("sparsity-choices", po::value<std::string>()->default_value("0,0.5,0.75,0.9"),
       "weight sparsity levels, as fractions or percents")
      ("precisions", po::value<std::string>()->default_value("fp32,bf16,int8"), "layer precisions")
      ("min-active-layers", po::value<int>()->default_value(d.min_active_layers), "fewest non-skipped layers")
      ("skip-probability", po::value<double>()->default_value(d.skip_probability),
       "chance that a randomly sampled layer is skipped");
}

void add_dims_options(po::options_description& desc) {
  const SpaceConfig d;
  desc.add_options()
      ("vocab-size", po::value<int>()->default_value(d.vocab_size), "tokenizer vocabulary size")
      ("seq-len", po::value<std::string>()->default_value("auto"),
       "tokens per example, [CLS] included; auto: the length that covers 95% of the training texts");
}

int seq_len_from(const po::variables_map& vm, const TaskContext* task) {
  const std::string text = vm["seq-len"].as<std::string>();
  if (text == "auto") return task ? covering_seq_len(task->data.train, task->tokenizer) : SpaceConfig{}.max_seq_len;
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  QTNAS_CHECK(ec == std::errc() && end == text.data() + text.size() && value >= 2,
              "--seq-len must be 'auto' or an integer of at least 2, got '{}'", text);
  return value;
}

SpaceConfig space_config_from(const po::variables_map& vm, int num_classes, int seq_len) {
  SpaceConfig c;
  c.layers = vm["layers"].as<int>();
  c.hidden = vm["hidden"].as<int>();
  c.max_heads = vm["heads"].as<int>();
  c.head_dim = vm["head-dim"].as<int>();
  c.ffn_choices = parse_int_list(vm["ffn-choices"].as<std::string>(), "ffn");
  c.sparsity_pct_choices = parse_sparsity_list(vm["sparsity-choices"].as<std::string>());
  c.precisions = parse_precision_list(vm["precisions"].as<std::string>());
  c.min_active_layers = vm["min-active-layers"].as<int>();
  c.skip_probability = vm["skip-probability"].as<double>();
  c.vocab_size = vm["vocab-size"].as<int>();
  c.max_seq_len = seq_len;
  c.num_classes = num_classes;
  validate(c);
  return c;
}

void add_task_options(po::options_description& desc) {
  desc.add_options()
      ("task", po::value<std::string>()->default_value("wordnet"),
       "wordnet (the embedded default: WordNet glosses -> 45 lexicographer classes), tsv or jsonl")
      ("wordnet-dir", po::value<std::string>()->default_value("/usr/share/wordnet"), "WordNet 3.0 data files")
      ("data", po::value<std::string>(), "one tsv/jsonl file, split 80/10/10 by a hash of each text")
      ("train", po::value<std::string>(), "training file (with --val and --test instead of --data)")
      ("val", po::value<std::string>(), "validation file")
      ("test", po::value<std::string>(), "test file")
      ("workdir", po::value<std::string>()->default_value("qtnas_work"),
       "directory for the tokenizer, checkpoints and databases of this task");
}

nlohmann::json task_options_json(const po::variables_map& vm) {
  nlohmann::json j = nlohmann::json::object();
  for (const char* key : {"task", "wordnet-dir", "data", "train", "val", "test"}) {
    if (vm.count(key)) j[key] = vm[key].as<std::string>();
  }
  return j;
}

Dataset load_task(const nlohmann::json& options) {
  const std::string task = options.value("task", "wordnet");
  if (task == "wordnet") {
    QTNAS_CHECK(!options.contains("data") && !options.contains("train"), "--task wordnet takes no --data/--train files");
    return load_wordnet(options.value("wordnet-dir", "/usr/share/wordnet"));
  }
  QTNAS_CHECK(task == "tsv" || task == "jsonl", "unknown task '{}' (allowed: wordnet, tsv, jsonl)", task);
  const FileFormat format = parse_file_format(task);
  const bool split_files = options.contains("train") || options.contains("val") || options.contains("test");
  if (options.contains("data")) {
    QTNAS_CHECK(!split_files, "give either --data or --train/--val/--test, not both");
    return load_labeled_file_split(format, options["data"].get<std::string>());
  }
  QTNAS_CHECK(options.contains("train") && options.contains("val") && options.contains("test"),
              "--task {} needs --data FILE, or all of --train, --val and --test", task);
  return load_labeled_files(format, options["train"].get<std::string>(), options["val"].get<std::string>(),
                            options["test"].get<std::string>());
}

Dataset load_task(const po::variables_map& vm) { return load_task(task_options_json(vm)); }

std::string workdir(const po::variables_map& vm) {
  const std::string dir = vm["workdir"].as<std::string>();
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  QTNAS_CHECK(!ec, "cannot create work directory '{}': {}", dir, ec.message());
  return dir;
}

namespace {

std::vector<std::string> unlabeled_texts(const po::variables_map& vm) {
  std::vector<std::string> texts;
  if (!vm.count("unlabeled")) return texts;
  for (const std::string& path : vm["unlabeled"].as<std::vector<std::string>>()) {
    std::ifstream in(path);
    QTNAS_CHECK(in && !std::filesystem::is_directory(path), "cannot read unlabeled texts '{}'", path);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find_first_not_of(" \t\r") != std::string::npos) texts.push_back(line);
    }
  }
  return texts;
}

}  // namespace

TaskContext prepare_task(const po::variables_map& vm) {
  Dataset data = load_task(vm);
  std::vector<std::string> unlabeled = unlabeled_texts(vm);
  const int vocab_size = vm["vocab-size"].as<int>();
  QTNAS_CHECK(vocab_size >= 8, "--vocab-size must be at least 8, got {}", vocab_size);
  const std::string path = workdir(vm) + "/tokenizer.model";
  std::vector<std::string> texts;
  texts.reserve(data.train.size());
  for (const auto& e : data.train) texts.push_back(e.text);
  const auto start = std::chrono::steady_clock::now();
  bool reused = false;
  Tokenizer tokenizer = Tokenizer::train_or_load(texts, vocab_size, path, &reused, unlabeled);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << fmt::format("tokenizer: {} {} (vocabulary {}, {} training texts{}, {:.1f} s)\n",
                           reused ? "reused" : "trained", path, tokenizer.vocab_size(), texts.size(),
                           reused || unlabeled.empty() ? "" : fmt::format(" and {} unlabeled", unlabeled.size()),
                           seconds);
  const std::string fingerprint = hash_hex(stable_hash(tokenizer.serialized()));
  return {std::move(data), std::move(tokenizer), path, fingerprint, reused, std::move(unlabeled)};
}

void add_distributed_options(po::options_description& desc) {
  desc.add_options()
      ("world-size", po::value<int>()->default_value(0), "processes in the group (0: $WORLD_SIZE, else 1)")
      ("rank", po::value<int>()->default_value(-1), "this process's rank (-1: $RANK, else 0)")
      ("master-addr", po::value<std::string>()->default_value(""), "rank 0's host ('': $MASTER_ADDR, else 127.0.0.1)")
      ("master-port", po::value<int>()->default_value(0), "rank 0's TCPStore port (0: $MASTER_PORT, else 29500)")
      ("dist-timeout", po::value<int>()->default_value(300), "seconds to wait for the other ranks");
}

DistributedOptions distributed_options_from(const po::variables_map& vm) {
  DistributedOptions o = resolve_distributed_options(vm["world-size"].as<int>(), vm["rank"].as<int>(),
                                                     vm["master-addr"].as<std::string>(), vm["master-port"].as<int>());
  QTNAS_CHECK(vm["dist-timeout"].as<int>() > 0, "--dist-timeout must be positive");
  o.timeout = std::chrono::seconds(vm["dist-timeout"].as<int>());
  return o;
}

void set_threads(const po::variables_map& vm) {
  const int threads = vm["threads"].as<int>();
  QTNAS_CHECK(threads >= 0, "--threads must be >= 0, got {}", threads);
  at::set_num_threads(threads > 0 ? threads : std::max(1u, std::thread::hardware_concurrency()));
}

}  // namespace qtnas::cli
