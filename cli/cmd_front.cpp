// `qtnas front` and `qtnas plot`: read a run database (never blocking its writer) and show the Pareto front.
#include <algorithm>
#include <fstream>
#include <iostream>

#include "cli/command.h"
#include "runs/run_report.h"
#include "space/error.h"

namespace qtnas::cli {
namespace {

int run_front(const po::variables_map& vm) {
  RunStore store(vm["db"].as<std::string>(), RunStore::Mode::Read);
  const double budget = vm["budget-ms"].as<double>();
  const std::vector<CandidateRecord> front = front_within(store, budget);
  if (vm["json"].as<bool>()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : front) out.push_back(to_json(c));
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << front_table(store, front, budget);
  }
  return 0;
}

int run_plot(const po::variables_map& vm) {
  RunStore store(vm["db"].as<std::string>(), RunStore::Mode::Read);
  const PlotSpec spec = plot_spec(store);
  const std::string out = vm["out"].as<std::string>();
  std::ofstream file(out);
  file << front_svg(spec);
  QTNAS_CHECK(file.good(), "cannot write '{}'", out);
  const auto on_front =
      std::count_if(spec.points.begin(), spec.points.end(), [](const PlotPoint& p) { return p.on_front; });
  std::cout << fmt::format("{} candidates, {} on the front: {}\n", spec.points.size(), on_front, out);
  return 0;
}

}  // namespace

Command front_command() {
  return {"front", "the Pareto front of a search run",
          [](po::options_description& desc) -> Run {
            desc.add_options()
                ("db", po::value<std::string>()->required(), "run database")
                ("budget-ms", po::value<double>()->default_value(0), "only members within this latency (0: all)")
                ("json", po::bool_switch(), "a JSON list of {id, arch, accuracy, latency_ms, size_bytes, ...}");
            return run_front;
          }};
}

Command plot_command() {
  return {"plot", "an SVG picture of a search run: all candidates, the front and the budget",
          [](po::options_description& desc) -> Run {
            desc.add_options()
                ("db", po::value<std::string>()->required(), "run database")
                ("out", po::value<std::string>()->default_value("front.svg"), "SVG file to write");
            return run_plot;
          }};
}

}  // namespace qtnas::cli
