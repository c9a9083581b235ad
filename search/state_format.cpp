#include "search/state_format.h"

#include "space/error.h"

namespace qtnas {

void check_state_envelope(const nlohmann::json& state, const std::string& name, const nlohmann::json& config) {
  QTNAS_CHECK(state.is_object(), "searcher state is not a JSON object");
  const auto searcher = state.value("searcher", nlohmann::json());
  QTNAS_CHECK(searcher.is_string() && searcher.get<std::string>() == name,
              "searcher state was written by '{}'; this searcher is '{}'", searcher.dump(), name);
  const auto format = state.value("format", nlohmann::json());
  QTNAS_CHECK(format.is_number_integer(), "searcher state has no integer 'format'");
  QTNAS_CHECK(format.get<int>() <= kSearcherStateFormat,
              "searcher state has format {}; this build reads format {} and older", format.get<int>(),
              kSearcherStateFormat);
  nlohmann::json stored = state.value("config", nlohmann::json());
  QTNAS_CHECK(stored.is_object(), "searcher state has no 'config' object");
  nlohmann::json mine = config;
  stored.erase("seed");
  mine.erase("seed");
  QTNAS_CHECK(stored == mine, "searcher state has config {}; this searcher has {}", stored.dump(), mine.dump());
}

}  // namespace qtnas
