// The SQLite store of one search run (schema: runs/schema.sql): the run's identity and configuration, every
// candidate, and per generation the population, the Pareto front, the hypervolume and the searcher's state.
// One process writes a run (a second writer is refused: an advisory lock on "<db>-writer.lock" that the kernel
// drops when the writer dies, even by kill -9); readers are never blocked (WAL). Every failure throws
// qtnas::Error naming the file; a refused file is left untouched.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latency_models/sqlite.h"
#include "space/search_space.h"

namespace qtnas {

struct RunInfo {
  nlohmann::json config = nlohmann::json::object();  // the search configuration, as given
  uint64_t seed = 0;
  SpaceConfig space;
  std::string space_hash;
  std::string supernet_path, supernet_hash;
  std::string predictor_path, predictor_hash;
};

struct CandidateRecord {
  int64_t id = 0;  // assigned by the store
  std::string arch;
  std::string fidelity = "subset";  // or "full"
  int generation = 0;
  bool ok = true;
  std::string error;
  double accuracy = 0;
  double latency_pred_ms = 0;
  int64_t size_bytes = 0;
  bool feasible = false;
  double eval_seconds = 0;
  int64_t examples = 0;
  std::optional<double> latency_measured_ms;  // if the run measured its deployable module
  std::optional<double> accuracy_full;        // the 'full' fidelity accuracy, when evaluated (subset rows only)

  // What the run knows best: the full-validation accuracy when evaluated, else the subset's; the measured
  // latency when the run measured it, else the predicted one.
  double best_accuracy() const { return accuracy_full.value_or(accuracy); }
  double best_latency_ms() const { return latency_measured_ms.value_or(latency_pred_ms); }
};

struct GenerationRecord {
  int generation = 0;
  int evaluations = 0;
  double hypervolume = 0;
  std::optional<double> best_feasible_accuracy;
  double seconds = 0;
  nlohmann::json searcher_state;
};

struct MeasurementRecord {
  std::string arch;
  double latency_ms = 0, mad_ms = 0;  // latency_ms: the statistic `environment` names (measure.h)
  int samples = 0;
  int generation = 0;
  nlohmann::json environment;
};

class RunStore {
 public:
  enum class Mode { Read, Write };
  // Read: the file must exist and be a run database of this or an older schema. Write: creates the file if
  // missing and takes the writer lock.
  RunStore(const std::string& path, Mode mode);
  ~RunStore();
  RunStore(const RunStore&) = delete;
  RunStore& operator=(const RunStore&) = delete;

  const std::string& path() const { return path_; }
  bool has_run();
  void create_run(const RunInfo& info);  // throws if the file already holds a run
  RunInfo run_info();                    // throws if it holds none

  // Everything one generation produced, in one transaction: its new candidates, then the generation's row,
  // population and front (given as arch strings of subset candidates, stored before or now).
  void commit_generation(const GenerationRecord& generation, const std::vector<CandidateRecord>& new_candidates,
                         const std::vector<std::string>& population, const std::vector<std::string>& front);
  std::optional<GenerationRecord> last_generation();
  std::optional<int> last_generation_number();  // the same generation, without reading its searcher state
  std::vector<GenerationRecord> generations();  // without searcher states (empty JSON), in order

  // Full-fidelity evaluations of front members, in one transaction; an arch evaluated before is skipped.
  void add_full_evaluations(const std::vector<CandidateRecord>& records);
  void add_measurement(const MeasurementRecord& m);  // committed at once
  std::optional<MeasurementRecord> measurement(const std::string& arch);

  // Subset candidates (with their full accuracy and measured latency when known), ordered by id.
  std::vector<CandidateRecord> candidates();
  // The front of a generation (-1: the last), ordered by predicted latency.
  std::vector<CandidateRecord> front(int generation = -1);
  std::optional<CandidateRecord> candidate(int64_t id);

 private:
  std::vector<CandidateRecord> query_candidates(const std::string& where, int64_t parameter);

  std::string path_;
  int lock_fd_ = -1;
  std::optional<Database> db_;
};

}  // namespace qtnas
