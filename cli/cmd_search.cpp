// `qtnas search` and `qtnas resume`: the evolutionary search under a latency budget, written generation by
// generation to a run database, and continued from it after any interruption.
// `qtnas worker`: evaluates candidates for a `search --distributed` (rank 0) until its search ends; it loads the
// same supernet and task (checked by hash) and evaluates with rank 0's settings.
// `qtnas score`: arch strings read one per line on stdin, each scored as the search scores a candidate, one
// JSON line each on stdout (runs/score.h).
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
#include "space/progress.h"
#include "supernet/machine.h"

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
  set_measuring_threads(vm);
  r.config.threads = at::get_num_threads();
  r.task_options = task_options_json(vm);
  RunStore store(create_search_run(r), RunStore::Mode::Write);
  return search_and_report(store, job, vm);
}

int run_resume(const std::string& db, const SearchJob& job, const po::variables_map& vm) {
  set_measuring_threads(vm);
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

// Evaluates candidates for rank 0 until its search ends (or this worker is lost).
int serve_rank0(const std::string& supernet, const WorkerOptions& options, const po::variables_map& vm) {
  set_openblas_single_threaded();
  const DistributedOptions dist = distributed_options_from(vm);
  auto note = [&](const std::string& line) { std::cerr << fmt::format("worker (rank {}): {}\n", dist.rank, line); };
  const WorkerSummary s = run_worker(dist, proxy_evaluation_maker(supernet, note), options, note);
  if (vm["json"].as<bool>()) {
    std::cout << nlohmann::json{{"rank", dist.rank}, {"jobs", s.jobs}, {"stopped_by_rank0", s.stopped_by_rank0},
                                {"reason", s.reason}}.dump() << "\n";
  }
  note(s.stopped_by_rank0 ? fmt::format("the search ended; {} candidates evaluated", s.jobs)
                          : fmt::format("stopping after {} candidates: {}", s.jobs, s.reason));
  return s.stopped_by_rank0 ? 0 : 1;
}

int run_score(ScoreJob job, const po::variables_map& vm) {
  set_measuring_threads(vm);
  job.task_options = task_options_json(vm);
  score_lines(job, std::cin, std::cout);
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
                ("latency-budget-ms", optional(&r->budget_ms), "hard latency budget")
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
            auto supernet = std::make_shared<std::string>();  // '': rank 0's path
            auto options = std::make_shared<WorkerOptions>();
            desc.add_options()
                ("supernet", po::value(supernet.get()), "this host's copy of the supernet (default: rank 0's path)")
                ("crash-after-jobs", bound(&options->crash_after_jobs),
                 "for failure tests: kill this worker (SIGKILL) when its next job after N arrives")
                ("json", po::bool_switch(), "machine-readable summary");
            add_distributed_options(desc);
            return [supernet, options](const po::variables_map& vm) { return serve_rank0(*supernet, *options, vm); };
          }};
}

Command score_command() {
  return {"score", "score arch strings read from stdin as the search does (JSON lines)",
          [](po::options_description& desc) -> Run {
            auto job = std::make_shared<ScoreJob>();
            desc.add_options()
                ("supernet", required(&job->supernet_path), "supernet checkpoint")
                ("latency-model", required(&job->latency_model), "latency model (JSON from qtnas profile)")
                ("val-subset", bound(&job->val_subset), "validation examples of the proxy")
                ("skip-accuracy-over-ms", bound(&job->skip_accuracy_over_ms),
                 "leave the accuracy of archs predicted slower than this null (0: evaluate every arch)")
                ("allow-other-environment", po::bool_switch(&job->allow_other_environment),
                 "use a latency model profiled under another setup")
                ("threads", po::value<int>()->default_value(0), "LibTorch threads (0: all cores)");
            add_task_options(desc);
            return [job](const po::variables_map& vm) { return run_score(*job, vm); };
          }};
}

}  // namespace qtnas::cli
