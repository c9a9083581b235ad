#include "runs/eval_job.h"

#include <filesystem>

#include <fmt/format.h>

#include "data/task.h"
#include "export/subnet_module.h"
#include "space/error.h"
#include "space/hash.h"
#include "supernet/checkpoint.h"
#include "supernet/task.h"

namespace qtnas {

EvalReport run_eval_job(const EvalJob& job) {
  LoadedCheckpoint ckpt = load_checkpoint(job.supernet_path);
  const SearchSpace& space = ckpt.net->space();
  EvalReport r;
  r.split = job.split;
  r.arch = space.arch_named(job.arch);
  const Tokenizer tokenizer = load_training_tokenizer(job.supernet_path, ckpt.meta);
  const Dataset data = load_task(job.task_options);
  check_task_labels(data, ckpt.meta, job.supernet_path);
  QTNAS_CHECK(job.split == "val" || job.split == "test", "--split must be val or test, got '{}'", job.split);
  const EncodedSplit split =
      encode_split(job.split == "val" ? data.val : data.test, tokenizer, space.config().max_seq_len);

  r.result = evaluate(ckpt.net, split, r.arch, job.batch_size, job.limit);
  r.size = space.size(r.arch);
  if (job.compare_deployed) {
    torch::jit::Module module = build_subnet_module(ckpt.net, r.arch);
    r.deployed = compare_with_supernet(module, ckpt.net, r.arch, split, job.batch_size, job.limit);
  }
  // A baseline beside an accuracy on part of a split would compare unlike things.
  r.with_baseline = job.limit == 0 && job.baseline;
  const std::string cache_dir = std::filesystem::path(job.supernet_path).parent_path().string();
  r.baseline = baseline_if_wanted(r.with_baseline, data, cache_dir, &r.baseline_why);
  return r;
}

nlohmann::json to_json(const EvalReport& r) {
  nlohmann::json out = {{"arch", to_string(r.arch)},       {"id", hash_hex(arch_id(r.arch))}, {"split", r.split},
                        {"examples", r.result.examples},    {"accuracy", r.result.accuracy},    {"loss", r.result.loss},
                        {"params", r.size.params},          {"size_bytes", r.size.size_bytes}};
  if (r.deployed) {
    out["deployed"] = {{"accuracy", r.deployed->accuracy}, {"max_logit_diff", r.deployed->max_logit_diff}};
  }
  if (r.with_baseline) out["baseline"] = to_json(r.baseline, r.baseline_why);
  return out;
}

std::string describe(const EvalReport& r) {
  std::string out = fmt::format("{} accuracy {:.2f}% loss {:.4f} on {} examples; params {} size_bytes {}\n  {}\n",
                                r.split, 100 * r.result.accuracy, r.result.loss, r.result.examples, r.size.params,
                                r.size.size_bytes, to_string(r.arch));
  if (r.with_baseline) out += describe(r.baseline, r.baseline_why) + "\n";
  if (r.deployed) {
    out += fmt::format("deployed module: accuracy {:.2f}%, largest logit difference {:.2e}\n",
                       100 * r.deployed->accuracy, r.deployed->max_logit_diff);
  }
  return out;
}

}  // namespace qtnas
