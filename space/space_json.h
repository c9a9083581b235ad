// SpaceConfig <-> JSON, for checkpoints, run databases and exported models.
#pragma once

#include <nlohmann/json.hpp>

#include "space/search_space.h"

namespace qtnas {

nlohmann::json to_json(const SpaceConfig& config);
// Throws qtnas::Error naming the missing or mistyped field.
SpaceConfig space_config_from_json(const nlohmann::json& j);

}  // namespace qtnas
