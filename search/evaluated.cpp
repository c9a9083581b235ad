#include "search/evaluated.h"

#include <cmath>
#include <limits>

#include "space/error.h"

namespace qtnas {
namespace {

nlohmann::json number_to_json(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return v;
}

double number_from_json(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  const std::string text = j.get<std::string>();
  if (text == "inf") return std::numeric_limits<double>::infinity();
  if (text == "-inf") return -std::numeric_limits<double>::infinity();
  if (text == "nan") return std::numeric_limits<double>::quiet_NaN();
  QTNAS_FAIL("'{}' is not a number (numbers are JSON numbers or one of \"inf\", \"-inf\", \"nan\")", text);
}

}  // namespace

nlohmann::json to_json(const Evaluated& e) {
  nlohmann::json objectives = nlohmann::json::array();
  for (double v : e.objectives) objectives.push_back(number_to_json(v));
  return {{"key", e.key},
          {"objectives", objectives},
          {"violation", number_to_json(e.violation)},
          {"ok", e.ok},
          {"error", e.error}};
}

Evaluated evaluated_from_json(const nlohmann::json& j) {
  Evaluated e;
  try {
    e.key = j.at("key").get<std::string>();
    for (const auto& v : j.at("objectives")) e.objectives.push_back(number_from_json(v));
    e.violation = number_from_json(j.at("violation"));
    e.ok = j.at("ok").get<bool>();
    e.error = j.at("error").get<std::string>();
  } catch (const nlohmann::json::exception& ex) {
    QTNAS_FAIL("bad evaluated candidate {}: {}", j.dump(), ex.what());
  }
  return e;
}

}  // namespace qtnas
