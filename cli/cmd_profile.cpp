// `qtnas profile`: measure deployable subnets of a trained supernet on this machine, store the measurements,
// fit the latency model and report it on held-out subnets.
#include <torch/torch.h>

#include <iostream>
#include <memory>
#include <optional>

#include "cli/command.h"
#include "cli/common_options.h"
#include "latency_models/profiler.h"
#include "space/progress.h"
#include "supernet/checkpoint.h"
#include "supernet/machine.h"

namespace qtnas::cli {
namespace {

// Measures with a progress bar, or (--refit) fits from what the database holds for this environment.
ProfileResult measure_or_refit(const po::variables_map& vm, Supernet& net, const ProfileConfig& config,
                               MeasurementStore& store) {
  if (vm["refit"].as<bool>()) {
    return fit_from_store(net->space(), current_environment(config.measure.batch, config.measure.seq), store);
  }
  std::optional<Progress> progress;  // the number of groups is known at the first report
  ProfileResult measured = profile(net, config, store, [&](int done, int total) {
    if (!progress) progress.emplace("profile (module groups)", total);
    progress->update(done);
  });
  if (progress) progress->finish();
  return measured;
}

int run_profile(ProfileConfig config, const po::variables_map& vm) {
  set_threads(vm);
  // Measured modules run with LibTorch's OpenMP threads only (supernet/machine.h says why). Training keeps
  // OpenBLAS's own threads: its speed was measured that way.
  set_openblas_single_threaded();
  LoadedCheckpoint ckpt = load_checkpoint(vm["supernet"].as<std::string>());
  // Latency is measured at the length the supernet was trained for, unless asked otherwise.
  config.measure.seq = optional_value<int>(vm, "seq").value_or(ckpt.net->space().config().max_seq_len);
  check_profile_config(config, ckpt.net->space().config());
  const std::string db_path = vm["db"].as<std::string>();
  MeasurementStore store(db_path);
  const std::string out = vm.count("out") ? vm["out"].as<std::string>()
                                          : default_latency_model_path(db_path, config.measure, at::get_num_threads());
  ProfileResult r = measure_or_refit(vm, ckpt.net, config, store);
  FitRecord record = r.model.fit_record();
  record.measured->seconds = r.seconds;  // this run's measuring time, 0 for --refit
  r.model.set_fit_record(std::move(record));
  save_latency_model(out, r.model);

  nlohmann::json report = {{"model", out}, {"db", db_path}};
  report.update(profile_report(r));
  std::cout << (vm["json"].as<bool>() ? report.dump(2) + "\n" : describe_profile_report(report));
  return 0;
}

}  // namespace

Command profile_command() {
  return {"profile", "measure deployable subnets on this machine and fit the latency model",
          [](po::options_description& desc) -> Run {
            auto config = std::make_shared<ProfileConfig>();
            MeasureConfig& m = config->measure;
            desc.add_options()
                ("supernet", po::value<std::string>()->required(), "supernet checkpoint")
                ("db", po::value<std::string>()->required(), "SQLite file the measurements are added to")
                ("batch", bound(&m.batch), "examples per forward")
                ("seq", po::value<int>(), "tokens per example (default: the supernet's sequence length)")
                ("samples", bound(&config->subnets), "subnets measured (a quarter held out)")
                ("rounds", bound(&m.rounds), "timed repetitions per module (at most; fewer for slow modules)")
                ("min-rounds", bound(&m.min_rounds),
                 "timed repetitions per module at least (a module slower than 1.5 s / rounds gets fewer than --rounds)")
                ("seed", bound(&config->seed), "which subnets are sampled")
                ("refit", po::bool_switch(), "measure nothing: refit the model from the database's measurements")
                ("out", po::value<std::string>(), "latency model file (default: next to the database)");
            add_output_options(desc);
            return [config](const po::variables_map& vm) { return run_profile(*config, vm); };
          }};
}

}  // namespace qtnas::cli
