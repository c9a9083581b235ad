// The protocol of distributed evaluation (described in distributed/remote_evaluation.h), in one place for both
// sides: the TCPStore keys, the store's byte values as text, and every message as JSON, each message a struct with
// its to_json and from_json here. Rank 0 writes WorkerConfig (config) and EvaluationJob (job/<slot>/<n>) and
// reads WorkerReady (ready/<slot>) and Evaluation (result/<slot>/<n>); a worker does the reverse.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "evaluators/evaluator.h"
#include "evaluators/parallel.h"
#include "space/arch.h"

namespace qtnas {

// Rank 0's evaluation settings, published once under `config`: which supernet (its path on rank 0 and the hash of
// its bytes, which a worker's copy must match), the space it searches (its hash), the task options
// (cli/common_options.h), the validation examples per candidate, and the LibTorch threads each candidate is
// evaluated with (so that every process computes the same numbers).
//   {"supernet_path": "...", "supernet_hash": "...", "space_hash": "...", "task": {...}, "val_subset": 1000,
//    "threads_per_candidate": 1}
struct WorkerConfig {
  std::string supernet_path;
  std::string supernet_hash;
  std::string space_hash;
  nlohmann::json task = nlohmann::json::object();
  size_t val_subset = 0;
  int threads_per_candidate = 1;
};
nlohmann::json to_json(const WorkerConfig& c);
// Throws qtnas::Error ("rank 0's evaluation settings are malformed: ...") on a missing or mistyped field.
WorkerConfig worker_config_from_json(const nlohmann::json& j);

// One candidate for one worker: {"fidelity": "subset" or "full", "arch": "<arch string>"}.
struct EvaluationJob {
  Fidelity fidelity = Fidelity::Subset;
  Arch arch;
};
nlohmann::json to_json(const EvaluationJob& job);
// Throws qtnas::Error on a malformed job (a bad arch or fidelity with their parsers' messages).
EvaluationJob evaluation_job_from_json(const nlohmann::json& j);

// A worker's self-description, once it can evaluate: {"rank": 1, "host": "...", "pid": 123}. Only for notes.
struct WorkerReady {
  int rank = -1;
  std::string host = "?";
  int pid = -1;
};
nlohmann::json to_json(const WorkerReady& r);
// Missing fields keep their defaults; throws qtnas::Error if `j` is not an object.
WorkerReady worker_ready_from_json(const nlohmann::json& j);

}  // namespace qtnas

namespace qtnas::eval_keys {

inline std::string config() { return "qtnas/eval/config"; }
inline std::string workers() { return "qtnas/eval/workers"; }
inline std::string stop() { return "qtnas/eval/stop"; }
inline std::string left() { return "qtnas/eval/left"; }  // counter: workers that saw stop and are leaving
inline std::string ready(int slot) { return fmt::format("qtnas/eval/ready/{}", slot); }
inline std::string alive(int slot) { return fmt::format("qtnas/eval/alive/{}", slot); }
inline std::string retired(int slot) { return fmt::format("qtnas/eval/retired/{}", slot); }
inline std::string job(int slot, int64_t n) { return fmt::format("qtnas/eval/job/{}/{}", slot, n); }
inline std::string result(int slot, int64_t n) { return fmt::format("qtnas/eval/result/{}/{}", slot, n); }

inline std::vector<uint8_t> bytes(const std::string& s) { return {s.begin(), s.end()}; }
inline std::string text(const std::vector<uint8_t>& b) { return {b.begin(), b.end()}; }

inline nlohmann::json to_json(const Evaluation& e) {
  return {{"ok", e.ok}, {"error", e.error}, {"accuracy", e.accuracy}, {"examples", e.examples}, {"seconds", e.seconds}};
}
// Throws nlohmann::json::exception on a malformed message.
inline Evaluation evaluation_from_json(const nlohmann::json& j) {
  Evaluation e;
  e.ok = j.at("ok").get<bool>();
  e.error = j.at("error").get<std::string>();
  e.accuracy = j.at("accuracy").get<double>();  // a double's JSON text reads back to the same double
  e.examples = j.at("examples").get<int64_t>();
  e.seconds = j.at("seconds").get<double>();
  return e;
}

}  // namespace qtnas::eval_keys
