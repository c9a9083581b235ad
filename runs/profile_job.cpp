#include "runs/profile_job.h"

#include <torch/torch.h>

#include "supernet/checkpoint.h"

namespace qtnas {

nlohmann::json run_profile_job(ProfileJob job, const std::function<void(int, int)>& progress) {
  LoadedCheckpoint ckpt = load_checkpoint(job.supernet_path);
  const SpaceConfig& space = ckpt.net->space().config();
  job.config.measure.seq = job.seq.value_or(space.max_seq_len);
  check_profile_config(job.config, space);
  MeasurementStore store(job.db);
  const std::string out =
      job.out.value_or(default_latency_model_path(job.db, job.config.measure, at::get_num_threads()));
  const MeasureConfig& m = job.config.measure;
  ProfileResult r = job.refit ? fit_from_store(ckpt.net->space(), current_environment(m.batch, m.seq), store)
                              : profile(ckpt.net, job.config, store, progress);
  FitRecord record = r.model.fit_record();
  record.measured->seconds = r.seconds;  // this run's measuring time, 0 for a refit
  r.model.set_fit_record(std::move(record));
  save_latency_model(out, r.model);

  nlohmann::json report = {{"model", out}, {"db", job.db}};
  report.update(profile_report(r));
  return report;
}

}  // namespace qtnas
