// SpaceConfig <-> JSON, for checkpoints, run databases and exported models; an arch of a space as `qtnas arch`
// shows it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "space/search_space.h"

namespace qtnas {

nlohmann::json to_json(const SpaceConfig& config);
// Throws qtnas::Error naming the missing or mistyped field.
SpaceConfig space_config_from_json(const nlohmann::json& j);

// {"id" (hex), "arch", "active_layers", "params", "nonzeros", "size_bytes"}: an arch with its id and sizes in
// `space`; and a table of such rows, a heading and one line each.
nlohmann::json arch_row(const SearchSpace& space, const Arch& arch);
std::string arch_table(const std::vector<nlohmann::json>& rows);

// What `qtnas arch` shows: exactly one of `random` archs sampled with `seed`, the arch string `check` validated
// against the space, and the largest or smallest arch at `precision`.
struct ArchQuery {
  std::optional<int> random;
  uint64_t seed = 0;
  std::optional<std::string> check;
  bool largest = false;
  bool smallest = false;
  Precision precision = Precision::FP32;
};
// Their rows. Throws qtnas::Error unless the query asks exactly one thing, random >= 1 and `check` is a valid
// arch of `space`.
std::vector<nlohmann::json> arch_rows(const SearchSpace& space, const ArchQuery& query);

}  // namespace qtnas
