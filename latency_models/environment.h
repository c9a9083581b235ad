// The conditions a latency was measured under. A latency model fitted under one environment refuses to
// predict for another (threads, batch, sequence length, CPU, LibTorch version or latency statistic), unless
// asked to.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace qtnas {

struct Environment {
  std::string cpu;            // model name
  std::string isa;            // the matmul-relevant ISA extensions present, e.g. "avx2 fma" or "avx512 vnni amx"
  std::string torch_version;  // e.g. "1.13.1"
  int threads = 1;
  int batch = 1;
  int seq = 64;
  // Which statistic of the timed forwards a latency is (measure.h): "round-ref", the median of the forwards each
  // divided by its round's speed factor, then by the pass's factor (what profiles measure); "p10-ref", the 10th
  // percentile divided by the pass's factor alone (profiles before "round-ref"; still measured for their models);
  // "p10", the 10th percentile alone (a measurement with no latency model to take references from); "median", in
  // files that lack the field.
  std::string statistic = kLatencyStatistic;

  static constexpr const char* kRoundReferenced = "round-ref";
  static constexpr const char* kLatencyStatistic = kRoundReferenced;  // what profiles measure

  bool operator==(const Environment& o) const {
    return cpu == o.cpu && isa == o.isa && torch_version == o.torch_version && threads == o.threads &&
           batch == o.batch && seq == o.seq && statistic == o.statistic;
  }
  bool operator!=(const Environment& o) const { return !(*this == o); }
};

// This machine and process, for the given workload. Threads are LibTorch's current intra-op threads.
Environment current_environment(int batch, int seq);

// Whether this build measures `statistic` (measure_in_environment): "round-ref", "p10-ref" or "p10". A latency
// model fitted under one of them can still be measured against, so it is checked against this machine under its
// own statistic.
bool measurable_statistic(const std::string& statistic);

// "threads 2 vs 4; batch 1 vs 32" etc.: what differs, for error messages. Empty if equal.
std::string differences(const Environment& fitted, const Environment& asked);

nlohmann::json to_json(const Environment& env);
Environment environment_from_json(const nlohmann::json& j);  // throws qtnas::Error on a missing field

}  // namespace qtnas
