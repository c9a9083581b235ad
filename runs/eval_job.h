// `qtnas eval`'s job: one subnet of a trained supernet on a whole split of its task (or its first examples),
// with the export's numerics; optionally its deployable module on the very same batches, and the TF-IDF SVM
// baseline beside the accuracy.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "data/baseline.h"
#include "export/module_accuracy.h"
#include "space/search_space.h"
#include "supernet/evaluate.h"

namespace qtnas {

struct EvalJob {
  std::string supernet_path;
  nlohmann::json task_options;   // data/task.h; the task's labels must be the supernet's
  std::string arch;              // an arch string, "largest" or "smallest"
  std::string split = "val";     // val or test
  int batch_size = 64;
  size_t limit = 0;              // the split's first examples (0: all)
  bool compare_deployed = false; // also the deployable module on the same batches
  bool baseline = true;          // the baseline, computed (or read from its cache beside the supernet) when limit == 0
};

struct EvalReport {
  std::string split;
  Arch arch;
  EvalResult result;
  ArchSize size;
  std::optional<ModuleAgreement> deployed;
  bool with_baseline = false;  // the baseline was asked for and applies: `baseline`, or `baseline_why` it is not
  std::optional<BaselineResult> baseline;
  std::string baseline_why;
};

// Throws qtnas::Error on a bad split name, an arch outside the supernet's space, or another task's labels.
EvalReport run_eval_job(const EvalJob& job);

// {"arch", "id", "split", "examples", "accuracy", "loss", "params", "size_bytes"}, "deployed" {"accuracy",
// "max_logit_diff"} when compared, "baseline" when with_baseline.
nlohmann::json to_json(const EvalReport& r);
std::string describe(const EvalReport& r);

}  // namespace qtnas
