// Benchmark of search quality (no LibTorch): qtnas's own ask/tell searchers on the ZDT problems, and the one
// hypervolume scorer that every method's points go through, so that Optuna's points (bench/optuna_search.py)
// are scored by exactly the code that scores qtnas's. bench/search_quality.sh runs it all.
//   build/bench/bench_search_quality zdt --problem zdt1 --searcher nsga2 --seeds 10 --population 40
//       --generations 15 [--json]     (one command line)
//       per seed: the hypervolume of all evaluated points (reference 1.1, 11), then mean and sample std
//   build/bench/bench_search_quality zdt-eval --problem zdt3 < keys
//       one key of levels per line ("0,999,12,...") -> one line [f1, f2]: the C++ objectives, to cross-check
//   build/bench/bench_search_quality hv --ref 0,1,1 < points.json
//       a JSON list of objective vectors (all minimized) -> {"hypervolume": x, "points": n, "read": m}; points
//       that do not strictly dominate the reference are ignored (n counts the others)
#include <cmath>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "search/hypervolume.h"
#include "search/nsga2.h"
#include "search/random_search.h"
#include "search/zdt.h"
#include "space/error.h"

using namespace qtnas;

namespace {

// The ZDT decision space, the same for every searcher (bench/optuna_search.py reads it from `zdt --json`).
constexpr int kVariables = 30;
constexpr int kLevels = 1000;
constexpr double kDistributionIndex = 20;
// Every point of every ZDT problem strictly dominates it (f1 in [0, 1], f2 in [-1, 10]; see search/zdt.h), so a
// poor run still scores above 0 and no point is cut off; it is also the reference of tests/search_test.cpp.
const std::vector<double> kZdtReference = {1.1, 11.0};

// "--name value" pairs and "--flag" switches after the mode.
std::map<std::string, std::string> parse_options(int argc, char** argv) {
  std::map<std::string, std::string> options;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    QTNAS_CHECK(arg.rfind("--", 0) == 0, "unexpected argument '{}'", arg);
    const bool has_value = i + 1 < argc && std::string(argv[i + 1]).rfind("--", 0) != 0;
    options[arg.substr(2)] = has_value ? argv[++i] : "";
  }
  return options;
}

std::string option(const std::map<std::string, std::string>& options, const std::string& name,
                   const std::string& fallback) {
  const auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

int int_option(const std::map<std::string, std::string>& options, const std::string& name, int fallback) {
  const std::string text = option(options, name, std::to_string(fallback));
  try {
    return std::stoi(text);
  } catch (const std::exception&) {
    QTNAS_FAIL("--{} must be an integer, got '{}'", name, text);
  }
}

ZdtProblem parse_problem(const std::string& name) {
  for (ZdtProblem p : {ZdtProblem::ZDT1, ZdtProblem::ZDT2, ZdtProblem::ZDT3}) {
    if (name == to_string(p)) return p;
  }
  QTNAS_FAIL("--problem must be zdt1, zdt2 or zdt3, got '{}'", name);
}

Zdt make_zdt(const std::map<std::string, std::string>& options) {
  return Zdt(ZdtConfig{parse_problem(option(options, "problem", "zdt1")), kVariables, kLevels, kDistributionIndex});
}

// Runs one searcher for `generations` batches and returns every result it was told, in evaluation order.
std::vector<Evaluated> run_searcher(const Zdt& zdt, const std::string& searcher, int population, int generations,
                                    uint64_t seed) {
  const std::unique_ptr<Searcher> s = make_searcher(searcher_kind_from_string(searcher), zdt, population, seed);
  std::vector<Evaluated> all;
  for (int g = 0; g < generations; ++g) {
    std::vector<Evaluated> batch;
    for (const auto& key : s->propose()) batch.push_back({key, zdt.evaluate(key), 0, true, ""});
    s->observe(batch);
    all.insert(all.end(), batch.begin(), batch.end());
  }
  return all;
}

int run_zdt(const std::map<std::string, std::string>& options) {
  const Zdt zdt = make_zdt(options);
  const std::string searcher = option(options, "searcher", "nsga2");
  const int seeds = int_option(options, "seeds", 10);
  const int population = int_option(options, "population", 40);
  const int generations = int_option(options, "generations", 15);
  QTNAS_CHECK(seeds >= 1 && population >= 2 && generations >= 1,
              "need --seeds >= 1, --population >= 2 and --generations >= 1");
  nlohmann::json runs = nlohmann::json::array();
  std::vector<double> hvs;
  for (int seed = 1; seed <= seeds; ++seed) {
    const std::vector<Evaluated> all = run_searcher(zdt, searcher, population, generations, seed);
    hvs.push_back(hypervolume(all, kZdtReference));
    runs.push_back({{"seed", seed}, {"evaluations", all.size()}, {"hypervolume", hvs.back()}});
  }
  double mean = 0, square = 0;
  for (double h : hvs) mean += h / hvs.size();
  for (double h : hvs) square += (h - mean) * (h - mean);
  const double std = hvs.size() > 1 ? std::sqrt(square / (hvs.size() - 1)) : 0.0;
  const nlohmann::json out = {{"problem", to_string(zdt.config().problem)},
                              {"searcher", searcher},
                              {"variables", kVariables},
                              {"levels", kLevels},
                              {"population", population},
                              {"generations", generations},
                              {"reference", kZdtReference},
                              {"runs", runs},
                              {"mean", mean},
                              {"std", std}};
  if (options.count("json")) {
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (const auto& r : runs) {
    std::cout << fmt::format("seed {:>3}: hypervolume {:.6f} ({} evaluations)\n", r["seed"].get<int>(),
                             r["hypervolume"].get<double>(), r["evaluations"].get<size_t>());
  }
  std::cout << fmt::format("{} {} (population {} x {} generations, reference {}): {:.6f} +- {:.6f} over {} seeds\n",
                           to_string(zdt.config().problem), searcher, population, generations,
                           fmt::join(kZdtReference, ", "), mean, std, seeds);
  return 0;
}

int run_zdt_eval(const std::map<std::string, std::string>& options) {
  const Zdt zdt = make_zdt(options);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    const std::vector<double> f = zdt.evaluate(line);
    std::cout << fmt::format("[{:.17g}, {:.17g}]\n", f[0], f[1]);
  }
  return 0;
}

int run_hv(const std::map<std::string, std::string>& options) {
  std::vector<double> reference;
  const std::string ref = option(options, "ref", "");
  QTNAS_CHECK(!ref.empty(), "hv needs --ref r1,r2[,r3]");
  size_t start = 0;
  while (start <= ref.size()) {
    const size_t end = std::min(ref.find(',', start), ref.size());
    try {
      reference.push_back(std::stod(ref.substr(start, end - start)));
    } catch (const std::exception&) {
      QTNAS_FAIL("--ref '{}' is not a comma-separated list of numbers", ref);
    }
    start = end + 1;
  }
  const std::string text{std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>()};
  std::vector<std::vector<double>> points;
  try {
    points = nlohmann::json::parse(text).get<std::vector<std::vector<double>>>();
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("hv reads a JSON list of objective vectors on stdin: {}", e.what());
  }
  size_t inside = 0;
  for (const auto& p : points) {
    QTNAS_CHECK(p.size() == reference.size(), "a point has {} objectives, the reference {}", p.size(),
                reference.size());
    bool strictly = true;
    for (size_t m = 0; m < p.size(); ++m) strictly = strictly && p[m] < reference[m];
    inside += strictly;
  }
  const nlohmann::json out = {{"hypervolume", hypervolume(points, reference)}, {"points", inside},
                              {"read", points.size()}};
  std::cout << out.dump() << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const std::string mode = argc > 1 ? argv[1] : "";
    const auto options = parse_options(argc, argv);
    if (mode == "zdt") return run_zdt(options);
    if (mode == "zdt-eval") return run_zdt_eval(options);
    if (mode == "hv") return run_hv(options);
    QTNAS_FAIL("usage: bench_search_quality zdt|zdt-eval|hv [options] (see the top of bench/search_quality.cpp)");
  } catch (const qtnas::Error& e) {
    std::cerr << "bench_search_quality: error: " << e.what() << "\n";
    return 2;
  }
}
