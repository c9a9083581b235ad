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

class MeasurementStore {
 public:
  // Throws qtnas::Error for a file that is not a qtnas latency database or is of a newer schema.
  explicit MeasurementStore(const std::string& path);

  // kind: "subnet", "attention", "ffn" or "empty".
  void add(const Environment& env, const std::string& space_hash, const std::string& kind, const Arch& arch,
           const LatencyStats& stats);
  std::vector<SubnetMeasurement> subnets(const Environment& env, const std::string& space_hash);

  struct Row {
    std::string kind;
    Arch arch;  // empty for kind "empty"
    double latency_ms = 0;  // the environment's latency statistic
  };
  // Every measurement of one environment and space, in the order they were taken.
  std::vector<Row> rows(const Environment& env, const std::string& space_hash);
  int64_t count();

 private:
  Database db_;
};

}  // namespace qtnas
