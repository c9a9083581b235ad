// `qtnas data`: load a task, train (or reuse) its tokenizer, and print the splits, class counts and token
// lengths.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common_options.h"
#include "data/stats.h"
#include "data/tokenizer.h"
#include "space/error.h"

namespace qtnas::cli {
namespace {

int run_data(const po::variables_map& vm) {
  const int seq_len = vm["seq-len"].as<int>();
  QTNAS_CHECK(seq_len >= 2, "--seq-len must be at least 2, got {}", seq_len);
  const TaskContext task = prepare_task(vm);
  const Dataset& data = task.data;
  const Tokenizer& tokenizer = task.tokenizer;
  const std::string& model_path = task.tokenizer_path;
  const bool reused = task.tokenizer_reused;

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
          run_data, /*positional=*/""};
}

}  // namespace qtnas::cli
