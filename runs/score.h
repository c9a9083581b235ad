// Arch strings scored as a search scores its candidates: the proxy accuracy on the search's validation subset,
// the latency model's prediction and the size, as the JSON lines of `qtnas score`. Through a pipe, another
// program (bench/optuna_search.py) drives the real problem:
//   printf 'h4-f1024-s0-fp32,skip,skip,skip,skip,skip\n' | qtnas score --supernet qtnas_work/supernet.pt
//       --latency-model qtnas_work/latency.sqlite.b1.s64.t2.json --val-subset 200     (one command line)
//   -> {"arch": ..., "accuracy": ..., "latency_ms": ..., "size_bytes": ..., "ok": true, "error": ""}
#pragma once

#include <iosfwd>
#include <string>

#include <nlohmann/json.hpp>

#include "evaluators/proxy_evaluator.h"
#include "latency_models/latency_model.h"
#include "runs/search_run.h"
#include "space/search_space.h"

namespace qtnas {

// {"arch" (canonical when it parsed), "accuracy", "latency_ms", "size_bytes", "ok", "error"}. A line that is not
// a valid arch of `space`, or whose evaluation failed, gives ok = false, the reason in "error" and nulls; it
// never throws for bad input. With skip_accuracy_over_ms > 0, an arch predicted slower than that keeps a null
// accuracy and is not evaluated: under such a budget it is infeasible, and constrained domination ranks
// infeasible candidates by their violation alone.
nlohmann::json score_arch_line(const std::string& line, const SearchSpace& space, const ProxyEvaluator& evaluator,
                               const LatencyModel& model, double skip_accuracy_over_ms);

struct ScoreJob {
  std::string supernet_path;
  nlohmann::json task_options;  // data/task.h; the task's labels must be the supernet's
  std::string latency_model;    // its file (from qtnas profile)
  bool allow_other_environment = false;  // a model profiled under another setup (load_latency_model)
  size_t val_subset = SearchConfig{}.val_subset;
  double skip_accuracy_over_ms = 0;
};

// Scores each non-blank line of `in` with score_arch_line and writes its JSON to `out`, a line each, flushed:
// the program at the other end of a pipe waits for it. Throws qtnas::Error when the supernet, its task or the
// latency model cannot be loaded, before reading any line.
void score_lines(const ScoreJob& job, std::istream& in, std::ostream& out);

}  // namespace qtnas
