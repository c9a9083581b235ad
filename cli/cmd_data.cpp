// `qtnas data`: load a task, train (or reuse) its tokenizer, and print the splits, class counts and token
// lengths.
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common_options.h"
#include "data/stats.h"
#include "data/tokenizer.h"
#include "space/error.h"

namespace qtnas::cli {
namespace {

std::vector<std::string> train_texts(const Dataset& data) {
  std::vector<std::string> texts;
  texts.reserve(data.train.size());
  for (const auto& e : data.train) texts.push_back(e.text);
  return texts;
}

int run_data(const po::variables_map& vm) {
  const Dataset data = load_task(vm);
  const int vocab_size = vm["vocab-size"].as<int>();
  const int seq_len = vm["seq-len"].as<int>();
  QTNAS_CHECK(vocab_size >= 8, "--vocab-size must be at least 8, got {}", vocab_size);
  QTNAS_CHECK(seq_len >= 2, "--seq-len must be at least 2, got {}", seq_len);
  const std::string model_path = workdir(vm) + "/tokenizer.model";

  const auto start = std::chrono::steady_clock::now();
  std::cerr << fmt::format("tokenizer: {} (vocabulary {}, {} training texts)...\n", model_path, vocab_size,
                           data.train.size());
  bool reused = false;
  const Tokenizer tokenizer = Tokenizer::train_or_load(train_texts(data), vocab_size, model_path, &reused);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cerr << fmt::format("tokenizer: {} in {:.1f} s\n", reused ? "reused" : "trained", seconds);

  const DatasetStats stats = compute_stats(data, tokenizer, seq_len);
  if (vm["json"].as<bool>()) {
    nlohmann::json out = to_json(stats);
    out["tokenizer"] = {{"path", model_path}, {"reused", reused}, {"vocab_size", tokenizer.vocab_size()}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << to_table(stats);
    std::cout << fmt::format("tokenizer: {} ({}, vocabulary {})\n", model_path, reused ? "reused" : "trained",
                             tokenizer.vocab_size());
  }
  return 0;
}

}  // namespace

Command data_command() {
  return {"data", "load a task, train its tokenizer, print splits, classes and token lengths",
          [](po::options_description& desc) {
            add_task_options(desc);
            add_dims_options(desc);
            desc.add_options()("json", po::bool_switch(), "machine-readable output");
          },
          run_data};
}

}  // namespace qtnas::cli
