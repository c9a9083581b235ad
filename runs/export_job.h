// Exporting one subnet, the whole job but the choice of what and the printing: where the subnet comes from (a
// run's candidate, or any arch of a supernet), an optional fine-tune, the deployable file written with its
// provenance, and that file checked as a user will run it: re-evaluated on validation and test, and re-measured
// in the source's latency environment. The report puts the run's figures beside the file's, so that a
// difference between what the search believed and what was shipped shows.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "export/finetune.h"
#include "latency_models/environment.h"
#include "latency_models/latency_model.h"
#include "latency_models/measure.h"
#include "runs/run_store.h"
#include "supernet/task.h"

namespace qtnas {

// What is exported.
struct ExportSource {
  SupernetTask task;
  std::string supernet_path;
  Arch arch;
  Environment env;                            // of the latency re-measurement
  std::vector<SubnetMeasurement> references;  // its speed references (from the run's latency model), if any
  nlohmann::json provenance;                  // stored in the model's metadata
  std::optional<CandidateRecord> chosen;      // the run's candidate, when from a run
};

// Candidate `chosen` of the run in `store`, measured again in the run's latency environment. Throws
// qtnas::Error as reload_run_inputs does.
ExportSource export_source_from_run(RunStore& store, const CandidateRecord& chosen);

// Arch `arch_name` (an arch string, "largest" or "smallest") of the supernet at `supernet_path` on the task of
// `task_options`, measured at `batch` examples of `seq` tokens (default: the supernet's length) with no speed
// references. Throws qtnas::Error on a bad arch, or a length outside the supernet's.
ExportSource export_source_from_supernet(const std::string& supernet_path, const nlohmann::json& task_options,
                                         const std::string& arch_name, int batch, std::optional<int> seq);

// What a user asks to export (`qtnas export`'s options): a run's candidate, or an arch of a supernet.
struct ExportRequest {
  // A run's candidate: the run, and exactly one of a candidate id, the final choice within a latency, and the
  // final choice within the run's own budget.
  std::optional<std::string> db;
  std::optional<int64_t> id;
  std::optional<double> best_under_ms;
  bool best = false;
  // Or an arch string ("largest", "smallest" too) of a supernet, on a task, measured at batch x seq (default
  // seq: the supernet's length).
  std::optional<std::string> supernet;
  std::optional<std::string> arch;
  nlohmann::json task_options;
  int batch = MeasureConfig{}.batch;
  std::optional<int> seq;
};

// The source `request` names: export_source_from_run of export_choice (runs/final_choice.h), or
// export_source_from_supernet. Throws qtnas::Error, naming the options, unless it names exactly one source, and
// a run's with exactly one of id, best_under_ms and best.
ExportSource export_source(const ExportRequest& request);

struct ExportOptions {
  std::string out;             // the model file written
  int rounds = MeasureConfig{}.rounds;  // timed forwards of the re-measurement, at most
  bool evaluate = true;        // the saved file's accuracy on validation and test
  int64_t finetune_steps = 0;  // > 0: export/finetune.h first, with the inherited weights' accuracy reported
  double finetune_lr = 3e-4;
};

// The saved file run as a user will run it.
struct SavedModelCheck {
  bool evaluated = false;
  double accuracy_val = 0, accuracy_test = 0;
  LatencyStats latency;
  bool speed_corrected = false;  // measured against speed references
};

struct ExportResult {
  SavedModelCheck check;
  std::optional<FinetuneReport> finetuned;
  // {"out", "id", "arch", "accuracy_db", "accuracy_export_val", "accuracy_export", "latency_pred_ms",
  //  "latency_measured_ms", "latency_median_ms", "latency_mad_ms", "latency_speed_factor",
  //  "latency_db_measured_ms", "environment", "size_bytes", "file_bytes"}, "finetune" and
  //  "accuracy_db_fidelity" when they apply; null where there is no run candidate or no evaluation.
  nlohmann::json report;
};

// Fine-tunes when asked (its resume checkpoint is removed once the model is written), writes options.out and
// checks it. Throws qtnas::Error on a negative number of fine-tune steps or a file that cannot be written.
ExportResult export_subnet(ExportSource& source, const ExportOptions& options,
                           const FinetuneCallbacks& callbacks = {});

// The text form of an export's report: the file, the arch, the accuracies (beside the database's), the fine-tune
// and the re-measured latency (beside the predicted and the run's measured one).
std::string describe(const ExportSource& source, const ExportResult& result);

}  // namespace qtnas
