// `qtnas profile`: measure deployable subnets of a trained supernet on this machine, store the measurements,
// fit the latency model and report it on held-out subnets (runs/profile_job.h).
#include <iostream>
#include <memory>
#include <optional>

#include "cli/command.h"
#include "cli/common_options.h"
#include "runs/profile_job.h"
#include "space/progress.h"

namespace qtnas::cli {
namespace {

int run_profile(const ProfileJob& job, const po::variables_map& vm) {
  set_measuring_threads(vm);
  std::optional<Progress> progress;  // the number of groups is known at the first report
  const nlohmann::json report = run_profile_job(job, [&](int done, int total) {
    if (!progress) progress.emplace("profile (module groups)", total);
    progress->update(done);
  });
  if (progress) progress->finish();
  std::cout << (vm["json"].as<bool>() ? report.dump(2) + "\n" : describe_profile_report(report));
  return 0;
}

}  // namespace

Command profile_command() {
  return {"profile", "measure deployable subnets on this machine and fit the latency model",
          [](po::options_description& desc) -> Run {
            auto job = std::make_shared<ProfileJob>();
            MeasureConfig& m = job->config.measure;
            desc.add_options()
                ("supernet", required(&job->supernet_path), "supernet checkpoint")
                ("db", required(&job->db), "SQLite file the measurements are added to")
                ("batch", bound(&m.batch), "examples per forward")
                ("seq", optional(&job->seq), "tokens per example (default: the supernet's sequence length)")
                ("samples", bound(&job->config.subnets), "subnets measured (a quarter held out)")
                ("subnet-repeats", bound(&job->config.subnet_repeats),
                 "times each subnet is measured, each in another group; the fit keeps their median under round-ref, "
                 "their lowest under the 10th-percentile statistics")
                ("rounds", bound(&m.rounds), "timed repetitions per module (at most; fewer for slow modules)")
                ("min-rounds", bound(&m.min_rounds),
                 "timed repetitions per module at least (a module slower than 1.5 s / rounds gets fewer than --rounds)")
                ("seed", bound(&job->config.seed), "which subnets are sampled")
                ("refit", po::bool_switch(&job->refit),
                 "measure nothing: refit the model from the database's measurements")
                ("out", optional(&job->out), "latency model file (default: next to the database)");
            add_output_options(desc);
            return [job](const po::variables_map& vm) { return run_profile(*job, vm); };
          }};
}

}  // namespace qtnas::cli
