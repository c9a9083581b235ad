// `qtnas search` and `qtnas resume`: the evolutionary search under a latency budget, written generation by
// generation to a run database, and continued from it after any interruption.
// `qtnas worker`: evaluates candidates for a `search --distributed` (rank 0) until its search ends; it loads the
// same supernet and task (checked by hash) and evaluates with rank 0's settings.
// `qtnas score`: arch strings read one per line on stdin, each scored as the search scores a candidate
// (runs/score.h), one JSON line each, so that another program (bench/optuna_search.py) can drive the real
// problem through a pipe:
//   printf 'h4-f1024-s0-fp32,skip,skip,skip,skip,skip\n' | qtnas score --supernet qtnas_work/supernet.pt
//       --latency-model qtnas_work/latency.sqlite.b1.s64.t2.json --val-subset 200     (one command line)
//   -> {"arch": ..., "accuracy": ..., "latency_ms": ..., "size_bytes": ..., "ok": true, "error": ""}
#include <torch/torch.h>

#include <iostream>
#include <memory>
#include <optional>

#include "cli/command.h"
#include "cli/common_options.h"
#include "distributed/worker.h"
#include "runs/new_run.h"
#include "runs/run_report.h"
#include "runs/score.h"
#include "runs/search_job.h"
#include "runs/search_run.h"
#include "space/error.h"
#include "space/progress.h"
#include "supernet/machine.h"
#include "supernet/task.h"

namespace qtnas::cli {
namespace {

// Runs (or continues) the search of the run in `store` and prints its progress and summary.
int search_and_report(RunStore& store, SearchJob job, const po::variables_map& vm) {
  if (vm["distributed"].as<bool>()) job.dist = distributed_options_from(vm);
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

int run_search(NewRun r, const SearchJob& job, const po::variables_map& vm) {
  set_threads(vm);
  set_openblas_single_threaded();  // evaluation and measuring run on LibTorch's threads only
  QTNAS_CHECK(vm.count("latency-budget-ms") != vm.count("latency-budget-fraction"),
              "give exactly one of --latency-budget-ms X and --latency-budget-fraction F");
  r.config.threads = at::get_num_threads();
  r.task_options = task_options_json(vm);
  RunStore store(create_search_run(r), RunStore::Mode::Write);
  return search_and_report(store, job, vm);
}

int run_resume(const std::string& db, const SearchJob& job, const po::variables_map& vm) {
  set_threads(vm);
  set_openblas_single_threaded();
  RunStore store(db, RunStore::Mode::Write);
  return search_and_report(store, job, vm);
}

// --distributed and its process group, and the output options: search and resume alike.
void add_job_options(po::options_description& desc, SearchJob* job) {
  desc.add_options()
      ("distributed", po::bool_switch(), "evaluate candidates on `qtnas worker` processes (this is rank 0)")
      ("worker-timeout", bound(&job->worker_timeout_s),
       "seconds of heartbeat silence after which a worker is lost and its candidate reassigned");
  add_distributed_options(desc);
  add_output_options(desc);
}

int run_worker_command(const po::variables_map& vm) {
  set_openblas_single_threaded();
  const DistributedOptions dist = distributed_options_from(vm);
  const bool json = vm["json"].as<bool>();
  auto note = [&](const std::string& line) { std::cerr << fmt::format("worker (rank {}): {}\n", dist.rank, line); };
  const MakeEvaluation make =
      proxy_evaluation_maker(optional_value<std::string>(vm, "supernet").value_or(""), note);
  WorkerOptions options;
  options.crash_after_jobs = vm["crash-after-jobs"].as<int>();
  const WorkerSummary s = run_worker(dist, make, options, note);
  if (json) {
    std::cout << nlohmann::json{{"rank", dist.rank}, {"jobs", s.jobs}, {"stopped_by_rank0", s.stopped_by_rank0},
                                {"reason", s.reason}}.dump() << "\n";
  }
  note(s.stopped_by_rank0 ? fmt::format("the search ended; {} candidates evaluated", s.jobs)
                          : fmt::format("stopping after {} candidates: {}", s.jobs, s.reason));
  return s.stopped_by_rank0 ? 0 : 1;
}

int run_score(const po::variables_map& vm) {
  set_threads(vm);
  set_openblas_single_threaded();
  const std::string supernet = vm["supernet"].as<std::string>();
  const std::string model_path = vm["latency-model"].as<std::string>();
  SupernetTask task = load_supernet_task(supernet, task_options_json(vm));
  const SearchSpace& space = task.checkpoint.net->space();
  const AdditiveLatencyModel model =
      load_latency_model(model_path, space, supernet, vm["allow-other-environment"].as<bool>());
  const ProxyEvaluator evaluator(task.checkpoint.net, task.val, vm["val-subset"].as<size_t>());
  const double skip_accuracy_over_ms = vm["skip-accuracy-over-ms"].as<double>();

  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    // std::endl flushes: the program at the other end of the pipe waits for this line.
    std::cout << score_arch_line(line, space, evaluator, model, skip_accuracy_over_ms).dump() << std::endl;
  }
  return 0;
}

}  // namespace

Command search_command() {
  return {"search", "evolutionary search under a latency budget, recorded in a run database",
          [](po::options_description& desc) -> Run {
            auto r = std::make_shared<NewRun>();
            auto job = std::make_shared<SearchJob>();
            SearchConfig& c = r->config;
            desc.add_options()
                ("supernet", required(&r->supernet), "supernet checkpoint")
                ("latency-model", required(&r->latency_model), "latency model (JSON from qtnas profile)")
                ("latency-budget-ms", po::value(&c.latency_budget_ms), "hard latency budget")
                ("latency-budget-fraction", optional(&r->budget_fraction),
                 "the budget as a fraction of the largest FP32 subnet's predicted latency (instead of -ms)")
                ("size-budget-mb", bound(&c.size_budget_mb), "optional size budget (0: none)")
                ("population", bound(&c.population), "population (and children per generation)")
                ("generations", bound(&c.generations), "generations, counting the initial one")
                ("seed", bound(&c.seed), "seed of the searcher")
                ("searcher", parsed(&c.searcher, searcher_kind_from_string, to_string(c.searcher)), "nsga2 or random")
                ("val-subset", bound(&c.val_subset), "validation examples of the proxy")
                ("no-closed-loop", negated(&c.closed_loop),
                 "measure nothing during the search (deterministic: resume gives the uninterrupted front)")
                ("no-full-fidelity", negated(&c.full_fidelity),
                 "skip the whole-validation evaluation of the final front")
                ("latency-db", po::value(&r->latency_db), "latency measurements to refit with (default: the model's)")
                ("allow-other-environment", po::bool_switch(&r->allow_other_environment),
                 "use a latency model profiled under another setup")
                ("db", required(&r->db), "run database to create");
            add_task_options(desc);
            add_job_options(desc, job.get());
            return [r, job](const po::variables_map& vm) { return run_search(*r, *job, vm); };
          }};
}

Command resume_command() {
  return {"resume", "continue a search run from its database (after a crash, or for more generations)",
          [](po::options_description& desc) -> Run {
            auto db = std::make_shared<std::string>();
            auto job = std::make_shared<SearchJob>();
            desc.add_options()
                ("db", required(db.get()), "run database")
                ("generations", optional(&job->generations), "new total of generations (default: as before)");
            add_job_options(desc, job.get());
            return [db, job](const po::variables_map& vm) { return run_resume(*db, *job, vm); };
          }};
}

Command worker_command() {
  return {"worker", "evaluate candidates for a qtnas search --distributed running elsewhere (rank 0)",
          [](po::options_description& desc) -> Run {
            desc.add_options()
                ("supernet", po::value<std::string>(), "this host's copy of the supernet (default: rank 0's path)")
                ("crash-after-jobs", po::value<int>()->default_value(WorkerOptions{}.crash_after_jobs),
                 "for failure tests: kill this worker (SIGKILL) when its next job after N arrives")
                ("json", po::bool_switch(), "machine-readable summary");
            add_distributed_options(desc);
            return run_worker_command;
          }};
}

Command score_command() {
  return {"score", "score arch strings read from stdin as the search does (JSON lines)",
          [](po::options_description& desc) -> Run {
            desc.add_options()
                ("supernet", po::value<std::string>()->required(), "supernet checkpoint")
                ("latency-model", po::value<std::string>()->required(), "latency model (JSON from qtnas profile)")
                ("val-subset", po::value<size_t>()->default_value(SearchConfig{}.val_subset),
                 "validation examples of the proxy")
                ("skip-accuracy-over-ms", po::value<double>()->default_value(0),
                 "leave the accuracy of archs predicted slower than this null (0: evaluate every arch)")
                ("allow-other-environment", po::bool_switch(), "use a latency model profiled under another setup")
                ("threads", po::value<int>()->default_value(0), "LibTorch threads (0: all cores)");
            add_task_options(desc);
            return run_score;
          }};
}

}  // namespace qtnas::cli
