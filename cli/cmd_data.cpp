// `qtnas data`: load a task, train (or reuse) its tokenizer, and print the splits, class counts and token
// lengths.
#include <iostream>

#include "cli/command.h"
#include "cli/common_options.h"

namespace qtnas::cli {
namespace {

int run_data(const po::variables_map& vm) {
  const TaskContext task = prepare_task(vm);
  const int seq_len = seq_len_from(vm, &task);
  if (vm.count("write-split")) {
    const std::string dir = vm["write-split"].as<std::string>();
    write_split_jsonl(task.data, dir);
    std::cerr << fmt::format("split written to {}/{{train,val,test}}.jsonl\n", dir);
  }
  const DatasetStats stats = compute_stats(task.data, task.tokenizer, seq_len);
  std::optional<BaselineResult> baseline;
  std::string why = "not computed (--no-baseline)";
  if (!vm["no-baseline"].as<bool>()) baseline = tfidf_svm_baseline(task.data, workdir(vm), &why);
  std::cout << (vm["json"].as<bool>() ? task_summary(task, stats, baseline, why).dump(2) + "\n"
                                      : describe_task_summary(task, stats, baseline, why));
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
