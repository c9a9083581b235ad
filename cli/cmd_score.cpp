// `qtnas score`: scores arch strings read one per line on stdin exactly as `qtnas search` scores candidates (the
// proxy accuracy on the same validation subset, the latency model's prediction, the size), one JSON line each,
// so that another program (bench/optuna_search.py) can drive the real problem through a pipe:
//   printf 'h4-f1024-s0-fp32,skip,skip,skip,skip,skip\n' | qtnas score --supernet qtnas_work/supernet.pt
//       --latency-model qtnas_work/latency.sqlite.b1.s64.t2.json --val-subset 200     (one command line)
//   -> {"arch": ..., "accuracy": ..., "latency_ms": ..., "size_bytes": ..., "ok": true, "error": ""}
// A line that is not a valid arch of the supernet's space prints ok = false with the reason, and scoring goes on.
// --skip-accuracy-over-ms X leaves the accuracy of archs predicted slower than X ms unevaluated (null): under a
// budget of X they are infeasible, and constrained domination ranks infeasible candidates by their violation.
#include <torch/torch.h>

#include <iostream>

#include "cli/command.h"
#include "cli/common_options.h"
#include "supernet/task.h"
#include "evaluators/proxy_evaluator.h"
#include "latency_models/latency_model.h"
#include "space/error.h"
#include "supernet/machine.h"

namespace qtnas::cli {
namespace {

nlohmann::json score_line(const std::string& line, const SearchSpace& space, const ProxyEvaluator& evaluator,
                          const LatencyModel& model, double skip_accuracy_over_ms) {
  nlohmann::json out = {{"arch", line},         {"accuracy", nullptr}, {"latency_ms", nullptr},
                        {"size_bytes", nullptr}, {"ok", false},         {"error", ""}};
  Arch arch;
  try {
    arch = normalized(parse_arch(line));
    space.validate(arch);
  } catch (const Error& e) {
    out["error"] = e.what();
    return out;
  }
  out["arch"] = to_string(arch);
  const double latency_ms = model.predict_ms(arch);
  if (skip_accuracy_over_ms <= 0 || latency_ms <= skip_accuracy_over_ms) {
    const Evaluation e = evaluator.evaluate(arch);
    if (!e.ok) {
      out["error"] = e.error;
      return out;
    }
    out["accuracy"] = e.accuracy;
  }
  out["latency_ms"] = latency_ms;
  out["size_bytes"] = space.size(arch).size_bytes;
  out["ok"] = true;
  return out;
}

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
    std::cout << score_line(line, space, evaluator, model, skip_accuracy_over_ms).dump() << std::endl;
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
                ("val-subset", po::value<size_t>()->default_value(1000), "validation examples of the proxy")
                ("skip-accuracy-over-ms", po::value<double>()->default_value(0),
                 "leave the accuracy of archs predicted slower than this null (0: evaluate every arch)")
                ("allow-other-environment", po::bool_switch(), "use a latency model profiled under another setup")
                ("threads", po::value<int>()->default_value(0), "LibTorch threads (0: all cores)");
            add_task_options(desc);
          },
          run_score, /*positional=*/""};
}

}  // namespace qtnas::cli
