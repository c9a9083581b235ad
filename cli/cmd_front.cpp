// `qtnas front` and `qtnas plot`: read a run database (never blocking its writer) and show the Pareto front.
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "runs/front_svg.h"
#include "runs/run_store.h"
#include "runs/search_run.h"
#include "space/error.h"

namespace qtnas::cli {
namespace {

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

int run_front(const po::variables_map& vm) {
  RunStore store(vm["db"].as<std::string>(), RunStore::Mode::Read);
  const double budget = vm["budget-ms"].as<double>();
  std::vector<CandidateRecord> front;
  for (auto& c : store.front()) {
    if (budget <= 0 || c.best_latency_ms() <= budget) front.push_back(std::move(c));
  }
  if (vm["json"].as<bool>()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : front) out.push_back(to_json(c));
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  std::cout << fmt::format("Pareto front of '{}' after generation {}{}: {} members\n", store.path(),
                           store.last_generation_number().value_or(-1),
                           budget > 0 ? fmt::format(", within {} ms", budget) : "", front.size());
  std::cout << fmt::format("{:>6} {:>9} {:>9} {:>11} {:>11} {:>9}  {}\n", "id", "acc.val", "acc.sub", "pred ms",
                           "measured", "MB", "arch");
  for (const auto& c : front) {
    std::cout << fmt::format("{:>6} {:>9} {:>8.2f}% {:>11.3f} {:>11} {:>9.2f}  {}\n", c.id,
                             c.accuracy_full ? fmt::format("{:.2f}%", 100 * *c.accuracy_full) : "-", 100 * c.accuracy,
                             c.latency_pred_ms,
                             c.latency_measured_ms ? fmt::format("{:.3f}", *c.latency_measured_ms) : "-",
                             double(c.size_bytes) / 1e6, c.arch);
  }
  return 0;
}

int run_plot(const po::variables_map& vm) {
  RunStore store(vm["db"].as<std::string>(), RunStore::Mode::Read);
  const RunInfo info = store.run_info();
  const SearchConfig config = search_config_from_json(info.config.at("search"));
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
  const std::string out = vm["out"].as<std::string>();
  std::ofstream file(out);
  file << front_svg(spec);
  QTNAS_CHECK(file.good(), "cannot write '{}'", out);
  std::cout << fmt::format("{} candidates, {} on the front: {}\n", spec.points.size(), front_ids.size(), out);
  return 0;
}

}  // namespace

Command front_command() {
  return {"front", "the Pareto front of a search run",
          [](po::options_description& desc) {
            desc.add_options()
                ("db", po::value<std::string>()->required(), "run database")
                ("budget-ms", po::value<double>()->default_value(0), "only members within this latency (0: all)")
                ("json", po::bool_switch(), "a JSON list of {id, arch, accuracy, latency_ms, size_bytes, ...}");
          },
          run_front, /*positional=*/""};
}

Command plot_command() {
  return {"plot", "an SVG picture of a search run: all candidates, the front and the budget",
          [](po::options_description& desc) {
            desc.add_options()
                ("db", po::value<std::string>()->required(), "run database")
                ("out", po::value<std::string>()->default_value("front.svg"), "SVG file to write");
          },
          run_plot, /*positional=*/""};
}

}  // namespace qtnas::cli
