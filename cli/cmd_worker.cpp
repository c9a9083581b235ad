// `qtnas worker`: evaluates candidates for a `qtnas search --distributed` (rank 0) until its search ends. It
// loads the same supernet and task as rank 0 (checked by hash) and evaluates with rank 0's settings.
#include <torch/torch.h>

#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/common_options.h"
#include "supernet/task.h"
#include "distributed/worker.h"
#include "evaluators/proxy_evaluator.h"
#include "space/error.h"
#include "space/hash.h"
#include "supernet/machine.h"

namespace qtnas::cli {
namespace {

int run_worker_command(const po::variables_map& vm) {
  set_openblas_single_threaded();
  const DistributedOptions dist = distributed_options_from(vm);
  QTNAS_CHECK(dist.rank != 0, "rank 0 runs qtnas search --distributed; a worker's rank is 1 or more");
  const bool json = vm["json"].as<bool>();
  auto note = [&](const std::string& line) { std::cerr << fmt::format("worker (rank {}): {}\n", dist.rank, line); };
  const MakeEvaluation make = [&](const WorkerConfig& c) -> std::unique_ptr<CandidateEvaluation> {
    const std::string supernet = vm.count("supernet") ? vm["supernet"].as<std::string>() : c.supernet_path;
    QTNAS_CHECK(file_hash(supernet) == c.supernet_hash,
                "supernet '{}' is not the one rank 0 searches with (its hash differs)", supernet);
    const int threads = c.threads_per_candidate;
    at::set_num_threads(threads);  // as on rank 0: the same numerics, whoever evaluates
    note(fmt::format("loading {} ({} validation examples per candidate, {} thread{})", supernet, c.val_subset,
                     threads, threads > 1 ? "s" : ""));
    const SupernetTask task = load_supernet_task(supernet, c.task);
    return std::make_unique<ProxyFidelities>(task.checkpoint.net, task.val, c.val_subset, Parallelism{1, threads});
  };
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

}  // namespace

Command worker_command() {
  return {"worker", "evaluate candidates for a qtnas search --distributed running elsewhere (rank 0)",
          [](po::options_description& desc) {
            desc.add_options()
                ("supernet", po::value<std::string>(), "this host's copy of the supernet (default: rank 0's path)")
                ("crash-after-jobs", po::value<int>()->default_value(-1),
                 "for failure tests: kill this worker (SIGKILL) when its next job after N arrives")
                ("json", po::bool_switch(), "machine-readable summary");
            add_distributed_options(desc);
          },
          run_worker_command, /*positional=*/""};
}

}  // namespace qtnas::cli
