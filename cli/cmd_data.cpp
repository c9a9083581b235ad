// `qtnas data`: load a task, train (or reuse) its tokenizer, and print the splits, class counts and token
// lengths.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common_options.h"
#include "data/baseline.h"
#include "data/stats.h"
#include "data/tokenizer.h"
#include "space/error.h"

namespace qtnas::cli {
namespace {

int run_data(const po::variables_map& vm) {
  const TaskContext task = prepare_task(vm);
  const int seq_len = seq_len_from(vm, &task);
  const Dataset& data = task.data;
  const Tokenizer& tokenizer = task.tokenizer;
  const std::string& model_path = task.tokenizer_path;
  const bool reused = task.tokenizer_reused;

  if (vm.count("write-split")) {
    const std::string dir = vm["write-split"].as<std::string>();
    write_split_jsonl(data, dir);
    std::cerr << fmt::format("split written to {}/{{train,val,test}}.jsonl\n", dir);
  }
  const DatasetStats stats = compute_stats(data, tokenizer, seq_len);
  std::optional<BaselineResult> baseline;
  std::string why = "not computed (--no-baseline)";
  if (!vm["no-baseline"].as<bool>()) baseline = tfidf_svm_baseline(data, workdir(vm), &why);
  if (vm["json"].as<bool>()) {
    nlohmann::json out = to_json(stats);
    out["baseline"] = to_json(baseline, why);
    out["tokenizer"] = {{"path", model_path},
                        {"reused", reused},
                        {"vocab_size", tokenizer.vocab_size()},
                        {"fingerprint", task.tokenizer_fingerprint}};
    out["pairs"] = data.pairs;
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << to_table(stats);
    std::cout << describe(baseline, why) << "\n";
    std::cout << fmt::format("tokenizer: {} ({}, vocabulary {}, fingerprint {})\n", model_path,
                             reused ? "reused" : "trained", tokenizer.vocab_size(), task.tokenizer_fingerprint);
  }
  return 0;
}

}  // namespace

Command data_command() {
  return {"data", "load a task, train its tokenizer, print splits, classes and token lengths",
          [](po::options_description& desc) {
            add_task_options(desc);
            add_dims_options(desc);
            desc.add_options()
                ("no-baseline", po::bool_switch(), "skip the TF-IDF SVM baseline (computed once per task, cached)")
                ("write-split", po::value<std::string>(),
                 "write the task's split to DIR/train.jsonl, val.jsonl, test.jsonl ({\"text\", \"label\"} lines)")
                ("json", po::bool_switch(), "machine-readable output");
          },
          run_data, /*positional=*/""};
}

}  // namespace qtnas::cli
