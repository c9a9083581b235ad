// The envelope shared by searcher states: which searcher wrote it and the format version, checked on restore.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace qtnas {

// The current version of every searcher's state() layout; restore() refuses newer ones.
inline constexpr int kSearcherStateFormat = 1;

// Throws qtnas::Error unless `state` is an object written by searcher `name` in a format this build reads, and
// its config equals `config` (every field but "seed", which only seeds the Rng before a restore replaces it).
void check_state_envelope(const nlohmann::json& state, const std::string& name, const nlohmann::json& config);

}  // namespace qtnas
