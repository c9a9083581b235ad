#include "runs/score.h"

#include "space/error.h"

namespace qtnas {

nlohmann::json score_arch_line(const std::string& line, const SearchSpace& space, const ProxyEvaluator& evaluator,
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

}  // namespace qtnas
