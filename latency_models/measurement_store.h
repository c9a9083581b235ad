// The SQLite file of latency measurements (schema: latency_models/schema.sql). Each measurement is committed
// as it is taken, with its environment, so profiling can be interrupted without losing what was measured.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "latency_models/environment.h"
#include "latency_models/latency_model.h"
#include "latency_models/measure.h"
#include "latency_models/sqlite.h"

namespace qtnas {

// What a row of `measurements` measured: its group's base model ("empty": the model with every layer skipped,
// stored without layers, or, for blocks measured on fewer tokens, the one layer that drops them: profiler.h),
// one attention or FFN block over that base, or a whole subnet. Stored as its to_string text (schema.sql's CHECK
// lists them).
enum class MeasurementKind { Empty, Attention, Ffn, Subnet };
std::string to_string(MeasurementKind kind);  // "empty", "attention", "ffn", "subnet"
// Throws qtnas::Error naming the known kinds.
MeasurementKind measurement_kind_from_string(const std::string& text);

class MeasurementStore {
 public:
  // Throws qtnas::Error for a file that is not a qtnas latency database or is of a newer schema.
  explicit MeasurementStore(const std::string& path);

  // A fresh group id: the modules measured interleaved together (with the speed references) share one.
  int64_t new_group();
  // group 0: none.
  void add(const Environment& env, const std::string& space_hash, MeasurementKind kind, const Arch& arch,
           const LatencyStats& stats, int64_t group = 0);
  // A speed reference module's latency in a group (see profiler.h).
  void add_reference(const Environment& env, const std::string& space_hash, int64_t group, const Arch& arch,
                     double latency_ms);
  std::vector<SubnetMeasurement> subnets(const Environment& env, const std::string& space_hash);

  struct Row {
    MeasurementKind kind = MeasurementKind::Subnet;
    Arch arch;  // no layers for the empty model
    double latency_ms = 0;  // the environment's latency statistic, before the group's speed correction
    int64_t group = 0;      // 0: measured before groups were recorded
  };
  struct Reference {
    int64_t group = 0;
    Arch arch;
    double latency_ms = 0;
  };
  // Every measurement of one environment and space, in the order they were taken.
  std::vector<Row> rows(const Environment& env, const std::string& space_hash);
  // Every speed reference measurement of one environment and space.
  std::vector<Reference> references(const Environment& env, const std::string& space_hash);
  int64_t count();
  const std::string& path() const { return db_.path(); }  // as given to the constructor

 private:
  Database db_;
};

}  // namespace qtnas
