// `qtnas search` and `qtnas resume`: the evolutionary search under a latency budget, written generation by
// generation to a run database, and continued from it after any interruption.
#include <torch/torch.h>

#include <iostream>
#include <optional>

#include "cli/command.h"
#include "cli/common_options.h"
#include "runs/new_run.h"
#include "runs/run_report.h"
#include "runs/search_job.h"
#include "space/error.h"
#include "space/progress.h"
#include "supernet/machine.h"
#include "supernet/task.h"

namespace qtnas::cli {
namespace {

// Runs (or continues) the search of the run in `store` and prints its progress and summary.
int search_and_report(RunStore& store, const po::variables_map& vm) {
  SearchJob job;
  if (vm.count("generations") && !vm["generations"].defaulted()) job.generations = vm["generations"].as<int>();
  if (vm["distributed"].as<bool>()) job.dist = distributed_options_from(vm);
  job.worker_timeout_s = vm["worker-timeout"].as<double>();
  std::optional<Progress> progress;
  SearchJobCallbacks callbacks;
  callbacks.on_start = [&](int64_t total, int64_t done) { progress.emplace("search (generations)", total, done); };
  callbacks.on_generation = [&](const GenerationReport& r) {
    const auto& best = r.best_feasible_accuracy;
    progress->update(r.generation + 1,
                     fmt::format("evals {}{} best feasible acc {} HV {:.4f}", r.evaluations,
                                 r.failed ? fmt::format(" ({} failed)", r.failed) : "",
                                 best ? fmt::format("{:.2f}%", 100 * *best) : "none", r.hypervolume));
  };
  callbacks.on_note = [](const std::string& note) { std::cerr << "search: " << note << "\n"; };
  const nlohmann::json summary = run_search_job(store, job, callbacks);
  progress->finish();
  std::cout << (vm["json"].as<bool>() ? summary.dump(2) + "\n" : describe_search_summary(summary, store.path()));
  return 0;
}

int run_search(const po::variables_map& vm) {
  set_threads(vm);
  set_openblas_single_threaded();  // evaluation and measuring run on LibTorch's threads only
  NewRun r;
  r.db = vm["db"].as<std::string>();
  r.supernet = vm["supernet"].as<std::string>();
  r.latency_model = vm["latency-model"].as<std::string>();
  QTNAS_CHECK(vm.count("latency-budget-ms") != vm.count("latency-budget-fraction"),
              "give exactly one of --latency-budget-ms X and --latency-budget-fraction F");
  if (vm.count("latency-budget-ms")) r.config.latency_budget_ms = vm["latency-budget-ms"].as<double>();
  if (vm.count("latency-budget-fraction")) r.budget_fraction = vm["latency-budget-fraction"].as<double>();
  r.config.size_budget_mb = vm["size-budget-mb"].as<double>();
  r.config.searcher = searcher_kind_from_string(vm["searcher"].as<std::string>());
  r.config.population = vm["population"].as<int>();
  r.config.generations = vm["generations"].as<int>();
  r.config.seed = vm["seed"].as<uint64_t>();
  r.config.val_subset = vm["val-subset"].as<size_t>();
  r.config.closed_loop = !vm["no-closed-loop"].as<bool>();
  r.config.full_fidelity = !vm["no-full-fidelity"].as<bool>();
  r.config.threads = at::get_num_threads();
  r.task_options = task_options_json(vm);
  if (vm.count("latency-db")) r.latency_db = vm["latency-db"].as<std::string>();
  r.allow_other_environment = vm["allow-other-environment"].as<bool>();
  RunStore store(create_search_run(r), RunStore::Mode::Write);
  return search_and_report(store, vm);
}

int run_resume(const po::variables_map& vm) {
  set_threads(vm);
  set_openblas_single_threaded();
  RunStore store(vm["db"].as<std::string>(), RunStore::Mode::Write);
  return search_and_report(store, vm);
}

// --distributed and its process group: search and resume alike.
void add_remote_options(po::options_description& desc) {
  desc.add_options()
      ("distributed", po::bool_switch(), "evaluate candidates on `qtnas worker` processes (this is rank 0)")
      ("worker-timeout", defaulted(SearchJob{}.worker_timeout_s),
       "seconds of heartbeat silence after which a worker is lost and its candidate reassigned");
  add_distributed_options(desc);
}

}  // namespace

Command search_command() {
  return {"search", "evolutionary search under a latency budget, recorded in a run database",
          [](po::options_description& desc) {
            const SearchConfig d;
            desc.add_options()
                ("supernet", po::value<std::string>()->required(), "supernet checkpoint")
                ("latency-model", po::value<std::string>()->required(), "latency model (JSON from qtnas profile)")
                ("latency-budget-ms", po::value<double>(), "hard latency budget")
                ("latency-budget-fraction", po::value<double>(),
                 "the budget as a fraction of the largest FP32 subnet's predicted latency (instead of -ms)")
                ("size-budget-mb", defaulted(d.size_budget_mb), "optional size budget (0: none)")
                ("population", defaulted(d.population), "population (and children per generation)")
                ("generations", defaulted(d.generations), "generations, counting the initial one")
                ("seed", defaulted(d.seed), "seed of the searcher")
                ("searcher", defaulted(std::string(to_string(d.searcher))), "nsga2 or random")
                ("val-subset", defaulted(d.val_subset), "validation examples of the proxy")
                ("no-closed-loop", po::bool_switch(),
                 "measure nothing during the search (deterministic: resume gives the uninterrupted front)")
                ("no-full-fidelity", po::bool_switch(), "skip the whole-validation evaluation of the final front")
                ("latency-db", po::value<std::string>(), "latency measurements to refit with (default: the model's)")
                ("allow-other-environment", po::bool_switch(), "use a latency model profiled under another setup")
                ("db", po::value<std::string>()->required(), "run database to create")
                ("threads", po::value<int>()->default_value(0), "cores to use (0: all)")
                ("json", po::bool_switch(), "machine-readable summary");
            add_task_options(desc);
            add_remote_options(desc);
          },
          run_search, /*positional=*/""};
}

Command resume_command() {
  return {"resume", "continue a search run from its database (after a crash, or for more generations)",
          [](po::options_description& desc) {
            desc.add_options()
                ("db", po::value<std::string>()->required(), "run database")
                ("generations", po::value<int>()->default_value(0), "new total of generations (default: as before)")
                ("threads", po::value<int>()->default_value(0), "cores to use (0: all)")
                ("json", po::bool_switch(), "machine-readable summary");
            add_remote_options(desc);
          },
          run_resume, /*positional=*/""};
}

}  // namespace qtnas::cli
