// One arch string scored as a search scores its candidates: the proxy accuracy on the search's validation
// subset, the latency model's prediction and the size, as the JSON line of `qtnas score`.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "evaluators/proxy_evaluator.h"
#include "latency_models/latency_model.h"
#include "space/search_space.h"

namespace qtnas {

// {"arch" (canonical when it parsed), "accuracy", "latency_ms", "size_bytes", "ok", "error"}. A line that is not
// a valid arch of `space`, or whose evaluation failed, gives ok = false, the reason in "error" and nulls; it
// never throws for bad input. With skip_accuracy_over_ms > 0, an arch predicted slower than that keeps a null
// accuracy and is not evaluated: under such a budget it is infeasible, and constrained domination ranks
// infeasible candidates by their violation alone.
nlohmann::json score_arch_line(const std::string& line, const SearchSpace& space, const ProxyEvaluator& evaluator,
                               const LatencyModel& model, double skip_accuracy_over_ms);

}  // namespace qtnas
