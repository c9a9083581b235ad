// `qtnas worker`: evaluates candidates for a `qtnas search --distributed` (rank 0) until its search ends. It
// loads the same supernet and task as rank 0 (checked by hash) and evaluates with rank 0's settings.
#include <torch/torch.h>

#include <iostream>
#include <memory>

#include "cli/command.h"
#include "cli/common_options.h"
#include "distributed/worker.h"
#include "supernet/machine.h"

namespace qtnas::cli {
namespace {

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

}  // namespace

Command worker_command() {
  return {"worker", "evaluate candidates for a qtnas search --distributed running elsewhere (rank 0)",
          [](po::options_description& desc) {
            desc.add_options()
                ("supernet", po::value<std::string>(), "this host's copy of the supernet (default: rank 0's path)")
                ("crash-after-jobs", defaulted(WorkerOptions{}.crash_after_jobs),
                 "for failure tests: kill this worker (SIGKILL) when its next job after N arrives")
                ("json", po::bool_switch(), "machine-readable summary");
            add_distributed_options(desc);
          },
          run_worker_command, /*positional=*/""};
}

}  // namespace qtnas::cli
