#include "runs/score.h"

#include <iostream>

#include "space/error.h"
#include "supernet/task.h"

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

void score_lines(const ScoreJob& job, std::istream& in, std::ostream& out) {
  SupernetTask task = load_supernet_task(job.supernet_path, job.task_options);
  const SearchSpace& space = task.checkpoint.net->space();
  const AdditiveLatencyModel model =
      load_latency_model(job.latency_model, space, job.supernet_path, job.allow_other_environment);
  const ProxyEvaluator evaluator(task.checkpoint.net, task.val, job.val_subset);
  std::string line;
  while (std::getline(in, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    out << score_arch_line(line, space, evaluator, model, job.skip_accuracy_over_ms).dump() << std::endl;
  }
}

}  // namespace qtnas
