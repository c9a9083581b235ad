// `qtnas search` and `qtnas resume`: the evolutionary search under a latency budget, written generation by
// generation to a run database, and continued from it after any interruption.
#include <torch/torch.h>

#include <filesystem>
#include <iostream>
#include <optional>

#include "cli/command.h"
#include "cli/common_options.h"
#include "evaluators/proxy_evaluator.h"
#include "latency_models/measurement_store.h"
#include "runs/new_run.h"
#include "runs/remote_search.h"
#include "runs/run_inputs.h"
#include "runs/run_report.h"
#include "runs/search_run.h"
#include "space/error.h"
#include "space/progress.h"
#include "supernet/machine.h"
#include "supernet/task.h"

namespace qtnas::cli {
namespace {

// Runs (or continues) the search of the run in `store` and prints its progress and front.
int search_and_report(RunStore& store, const po::variables_map& vm) {
  const RunInfo info = store.run_info();
  SearchConfig config = search_config_from_json(info.config.at("search"));
  if (vm.count("generations") && !vm["generations"].defaulted()) config.generations = vm["generations"].as<int>();
  RunInputs inputs = reload_run_inputs(store.path(), info, /*same_model=*/true);
  std::optional<MeasurementStore> latency_db;
  const std::string latency_db_path = info.config.value("latency_db", std::string());
  if (!latency_db_path.empty() && std::filesystem::exists(latency_db_path)) latency_db.emplace(latency_db_path);

  const Supernet& net = inputs.task.checkpoint.net;
  ProxyFidelities local(net, inputs.task.val, config.val_subset, search_parallelism(config));
  std::unique_ptr<RemoteEvaluation> remote;  // --distributed: `qtnas worker` processes evaluate, rank 0 writes
  if (vm["distributed"].as<bool>()) {
    remote = remote_search_evaluation(distributed_options_from(vm), vm["worker-timeout"].as<double>(), info, config,
                                      local,
                                      [](const std::string& note) { std::cerr << "\nsearch: " << note << "\n"; });
  }
  CandidateEvaluation& evaluation = remote ? static_cast<CandidateEvaluation&>(*remote) : local;
  // The model is refitted as the run measures (closed loop).
  SearchRun run(store, config, net, evaluation, inputs.model, latency_db ? &*latency_db : nullptr);
  Progress progress("search (generations)", config.generations, store.last_generation_number().value_or(-1) + 1);
  run.run([&](const GenerationReport& r) {
    progress.update(r.generation + 1,
                    fmt::format("evals {}{} best feasible acc {} HV {:.4f}", r.evaluations,
                                r.failed ? fmt::format(" ({} failed)", r.failed) : "",
                                r.best_feasible_accuracy ? fmt::format("{:.2f}%", 100 * *r.best_feasible_accuracy)
                                                         : "none",
                                r.hypervolume));
  }, [&](const std::string& note) { std::cerr << "search: " << note << "\n"; });
  progress.finish();

  nlohmann::json out = search_summary(store, config.latency_budget_ms, run.fidelity_tau());
  if (remote) out["distributed"] = remote->stats().to_json();
  std::cout << (vm["json"].as<bool>() ? out.dump(2) + "\n" : describe_search_summary(out, store.path()));
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
  QTNAS_CHECK(store.has_run(), "'{}' holds no run to resume; start one with qtnas search", store.path());
  return search_and_report(store, vm);
}

// --distributed and its process group: search and resume alike.
void add_remote_options(po::options_description& desc) {
  desc.add_options()
      ("distributed", po::bool_switch(), "evaluate candidates on `qtnas worker` processes (this is rank 0)")
      ("worker-timeout", po::value<double>()->default_value(30),
       "seconds of heartbeat silence after which a worker is lost and its candidate reassigned");
  add_distributed_options(desc);
}

}  // namespace

Command search_command() {
  return {"search", "evolutionary search under a latency budget, recorded in a run database",
          [](po::options_description& desc) {
            desc.add_options()
                ("supernet", po::value<std::string>()->required(), "supernet checkpoint")
                ("latency-model", po::value<std::string>()->required(), "latency model (JSON from qtnas profile)")
                ("latency-budget-ms", po::value<double>(), "hard latency budget")
                ("latency-budget-fraction", po::value<double>(),
                 "the budget as a fraction of the largest FP32 subnet's predicted latency (instead of -ms)")
                ("size-budget-mb", po::value<double>()->default_value(0), "optional size budget (0: none)")
                ("population", po::value<int>()->default_value(20), "population (and children per generation)")
                ("generations", po::value<int>()->default_value(10), "generations, counting the initial one")
                ("seed", po::value<uint64_t>()->default_value(0), "seed of the searcher")
                ("searcher", po::value<std::string>()->default_value("nsga2"), "nsga2 or random")
                ("val-subset", po::value<size_t>()->default_value(1000), "validation examples of the proxy")
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
