// `qtnas score`: arch strings read one per line on stdin, each scored as `qtnas search` scores a candidate
// (runs/score.h), one JSON line each, so that another program (bench/optuna_search.py) can drive the real
// problem through a pipe:
//   printf 'h4-f1024-s0-fp32,skip,skip,skip,skip,skip\n' | qtnas score --supernet qtnas_work/supernet.pt
//       --latency-model qtnas_work/latency.sqlite.b1.s64.t2.json --val-subset 200     (one command line)
//   -> {"arch": ..., "accuracy": ..., "latency_ms": ..., "size_bytes": ..., "ok": true, "error": ""}
#include <torch/torch.h>

#include <iostream>

#include "cli/command.h"
#include "cli/common_options.h"
#include "runs/score.h"
#include "runs/search_run.h"
#include "supernet/machine.h"
#include "supernet/task.h"

namespace qtnas::cli {
namespace {

int run_score(const po::variables_map& vm) {
  set_threads(vm);
  set_openblas_single_threaded();
  const std::string supernet = vm["supernet"].as<std::string>();
  const std::string model_path = vm["latency-model"].as<std::string>();
  SupernetTask task = load_supernet_task(supernet, task_options_json(vm));
  const SearchSpace& space = task.checkpoint.net->space();
  const AdditiveLatencyModel model =
      load_latency_model(model_path, space, supernet, vm["allow-other-environment"].as<bool>());
  const ProxyEvaluator evaluator(task.checkpoint.net, task.val, vm["val-subset"].as<size_t>());
  const double skip_accuracy_over_ms = vm["skip-accuracy-over-ms"].as<double>();

  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    // std::endl flushes: the program at the other end of the pipe waits for this line.
    std::cout << score_arch_line(line, space, evaluator, model, skip_accuracy_over_ms).dump() << std::endl;
  }
  return 0;
}

}  // namespace

Command score_command() {
  return {"score", "score arch strings read from stdin as the search does (JSON lines)",
          [](po::options_description& desc) {
            desc.add_options()
                ("supernet", po::value<std::string>()->required(), "supernet checkpoint")
                ("latency-model", po::value<std::string>()->required(), "latency model (JSON from qtnas profile)")
                ("val-subset", defaulted(SearchConfig{}.val_subset), "validation examples of the proxy")
                ("skip-accuracy-over-ms", po::value<double>()->default_value(0),
                 "leave the accuracy of archs predicted slower than this null (0: evaluate every arch)")
                ("allow-other-environment", po::bool_switch(), "use a latency model profiled under another setup")
                ("threads", po::value<int>()->default_value(0), "LibTorch threads (0: all cores)");
            add_task_options(desc);
          },
          run_score, /*positional=*/""};
}

}  // namespace qtnas::cli
