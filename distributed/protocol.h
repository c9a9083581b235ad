// The protocol of distributed evaluation (described in distributed/remote_evaluation.h), in one place for both
// sides: the TCPStore keys, the store's byte values as text, and evaluations as JSON.
#pragma once

#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "evaluators/evaluator.h"

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
