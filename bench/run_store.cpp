// Benchmark: candidates persisted per second by the run store (one transaction per generation, as a search
// commits them), on a fresh database in the temporary directory.
//   build/bench/bench_run_store [--generations 50] [--population 50]
#include <chrono>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "runs/run_store.h"

using namespace qtnas;

int main(int argc, char** argv) {
  int generations = 50, population = 50;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--generations")) generations = std::atoi(argv[i + 1]);
    if (!std::strcmp(argv[i], "--population")) population = std::atoi(argv[i + 1]);
  }
  const SearchSpace space{SpaceConfig{}};
  const auto path = std::filesystem::temp_directory_path() / "qtnas_bench_run_store.sqlite";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  RunStore store(path.string(), RunStore::Mode::Write);
  RunInfo info;
  info.space = space.config();
  info.space_hash = space.hash_hex();
  store.create_run(info);
  Rng rng(1);
  int64_t persisted = 0;
  std::set<std::string> seen;
  nlohmann::json state = {{"padding", std::string(20000, 'x')}};  // a searcher state of realistic size
  const auto start = std::chrono::steady_clock::now();
  for (int g = 0; g < generations; ++g) {
    std::vector<CandidateRecord> records;
    std::vector<std::string> population_archs;
    while (int(records.size()) < population) {
      CandidateRecord c;
      c.arch = to_string(space.sample(rng));
      if (!seen.insert(c.arch).second) continue;  // the store keeps one row per arch, as a search does
      c.generation = g;
      c.accuracy = rng.uniform01();
      c.latency_pred_ms = 10 * rng.uniform01();
      c.size_bytes = space.size(parse_arch(c.arch)).size_bytes;
      c.feasible = true;
      population_archs.push_back(c.arch);
      records.push_back(std::move(c));
    }
    store.commit_generation({g, population, 0.5, 0.5, 1.0, state}, records, population_archs,
                            {population_archs.begin(), population_archs.begin() + 5});
    persisted += population;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const nlohmann::json out = {{"candidates", persisted},
                              {"generations", generations},
                              {"seconds", seconds},
                              {"candidates_per_second", persisted / seconds}};
  std::cout << out.dump() << "\n";
  return 0;
}
