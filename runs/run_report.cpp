#include "runs/run_report.h"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "runs/search_run.h"
#include "space/error.h"

namespace qtnas {

nlohmann::json to_json(const CandidateRecord& c) {
  nlohmann::json j = {{"id", c.id},
                      {"arch", c.arch},
                      {"accuracy", c.best_accuracy()},
                      {"accuracy_subset", c.accuracy},
                      {"latency_ms", c.best_latency_ms()},
                      {"latency_pred_ms", c.latency_pred_ms},
                      {"size_bytes", c.size_bytes},
                      {"generation", c.generation}};
  j["accuracy_full"] = c.accuracy_full ? nlohmann::json(*c.accuracy_full) : nlohmann::json();
  j["latency_measured_ms"] = c.latency_measured_ms ? nlohmann::json(*c.latency_measured_ms) : nlohmann::json();
  return j;
}

std::vector<CandidateRecord> front_within(RunStore& store, double budget_ms) {
  std::vector<CandidateRecord> front;
  for (auto& c : store.front()) {
    if (budget_ms <= 0 || c.best_latency_ms() <= budget_ms) front.push_back(std::move(c));
  }
  return front;
}

std::string front_table(RunStore& store, const std::vector<CandidateRecord>& front, double budget_ms) {
  std::string out = fmt::format("Pareto front of '{}' after generation {}{}: {} members\n", store.path(),
                                store.last_generation_number().value_or(-1),
                                budget_ms > 0 ? fmt::format(", within {} ms", budget_ms) : "", front.size());
  out += fmt::format("{:>6} {:>9} {:>9} {:>11} {:>11} {:>9}  {}\n", "id", "acc.val", "acc.sub", "pred ms", "measured",
                     "MB", "arch");
  for (const auto& c : front) {
    out += fmt::format("{:>6} {:>9} {:>8.2f}% {:>11.3f} {:>11} {:>9.2f}  {}\n", c.id,
                       c.accuracy_full ? fmt::format("{:.2f}%", 100 * *c.accuracy_full) : "-", 100 * c.accuracy,
                       c.latency_pred_ms, c.latency_measured_ms ? fmt::format("{:.3f}", *c.latency_measured_ms) : "-",
                       double(c.size_bytes) / 1e6, c.arch);
  }
  return out;
}

PlotSpec plot_spec(RunStore& store) {
  const SearchConfig config = search_config_from_json(store.run_info().config.at("search"));
  std::set<int64_t> front_ids;
  for (const auto& c : store.front()) front_ids.insert(c.id);
  PlotSpec spec;
  spec.latency_budget_ms = config.latency_budget_ms;
  spec.title = fmt::format("qtnas search {} ({} generations)", store.path(), store.generations().size());
  for (const auto& c : store.candidates()) {
    if (!c.ok) continue;
    spec.points.push_back({c.latency_pred_ms, c.accuracy, c.feasible, front_ids.count(c.id) > 0,
                           fmt::format("#{} {}", c.id, c.arch)});
  }
  QTNAS_CHECK(!spec.points.empty(), "run '{}' has no evaluated candidates to plot yet", store.path());
  return spec;
}

nlohmann::json search_summary(RunStore& store, double latency_budget_ms, double fidelity_tau) {
  const std::optional<GenerationRecord> last = store.last_generation();  // its feasible front's hypervolume
  return {{"db", store.path()},
          {"latency_budget_ms", latency_budget_ms},
          {"hypervolume", last ? nlohmann::json(last->hypervolume) : nlohmann::json()},
          {"best_feasible_accuracy",
           last && last->best_feasible_accuracy ? nlohmann::json(*last->best_feasible_accuracy) : nlohmann::json()},
          {"generations", store.generations().size()},
          {"candidates", store.candidates().size()},
          {"front_size", store.front().size()},
          {"subset_vs_full_kendall_tau", std::isnan(fidelity_tau) ? nlohmann::json() : nlohmann::json(fidelity_tau)}};
}

std::string describe_search_summary(const nlohmann::json& s, const std::string& db_path) {
  const nlohmann::json& tau = s["subset_vs_full_kendall_tau"];
  std::string out = fmt::format(
      "{} generations, {} candidates; front of {} (subset vs full accuracy: Kendall tau {})\n",
      s["generations"].get<size_t>(), s["candidates"].get<size_t>(), s["front_size"].get<size_t>(),
      tau.is_null() ? std::string("n/a") : fmt::format("{:.3f}", tau.get<double>()));
  if (s.contains("distributed")) {
    const nlohmann::json& d = s["distributed"];
    out += fmt::format("distributed: {} jobs answered by {} workers ({} lost, {} jobs reassigned, {} evaluated "
                       "on rank 0); overhead {:.1f} ms per job\n",
                       d["jobs"].get<int64_t>(), d["workers_joined"].get<int64_t>(), d["workers_lost"].get<int64_t>(),
                       d["reassigned"].get<int64_t>(), d["local"].get<int64_t>(),
                       d["overhead_ms_per_job"].get<double>());
  }
  return out + "see it with: qtnas front --db " + db_path + "\n";
}

}  // namespace qtnas
