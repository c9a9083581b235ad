// `qtnas eval`: accuracy, loss, params and size of one subnet of a trained supernet, with the export's numerics.
#include <torch/torch.h>

#include <iostream>

#include "cli/command.h"
#include "cli/common_options.h"
#include "runs/eval_job.h"

namespace qtnas::cli {
namespace {

int run_eval(const po::variables_map& vm) {
  set_threads(vm);
  EvalJob job;
  job.supernet_path = vm["supernet"].as<std::string>();
  job.task_options = task_options_json(vm);
  job.arch = vm["arch"].as<std::string>();
  job.split = vm["split"].as<std::string>();
  job.batch_size = vm["batch-size"].as<int>();
  job.limit = vm["limit"].as<size_t>();
  job.compare_deployed = vm["compare-deployed"].as<bool>();
  job.baseline = !vm["no-baseline"].as<bool>();
  const EvalReport r = run_eval_job(job);
  std::cout << (vm["json"].as<bool>() ? to_json(r).dump(2) + "\n" : describe(r));
  return 0;
}

}  // namespace

Command eval_command() {
  return {"eval", "evaluate one subnet of a trained supernet (accuracy, loss, params, size)",
          [](po::options_description& desc) {
            const EvalJob d;
            desc.add_options()
                ("supernet", po::value<std::string>()->required(), "supernet checkpoint")
                ("arch", po::value<std::string>()->required(), "arch string, or 'largest' / 'smallest'")
                ("split", defaulted(d.split), "val or test")
                ("limit", defaulted(d.limit), "first N examples of the split (0: all)")
                ("batch-size", defaulted(d.batch_size), "examples per batch")
                ("compare-deployed", po::bool_switch(),
                 "also run the deployable module on the same batches and compare")
                ("threads", po::value<int>()->default_value(0), "LibTorch threads (0: all cores)")
                ("no-baseline", po::bool_switch(), "skip the TF-IDF SVM baseline beside the accuracy")
                ("json", po::bool_switch(), "machine-readable output");
            add_task_options(desc);
          },
          run_eval, /*positional=*/""};
}

}  // namespace qtnas::cli
