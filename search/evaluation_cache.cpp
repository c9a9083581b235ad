#include "search/evaluation_cache.h"

#include <cmath>

#include "space/error.h"

namespace qtnas {

const Evaluated* EvaluationCache::find(const std::string& key) const {
  const auto it = index_.find(key);
  return it == index_.end() ? nullptr : &results_[it->second];
}

bool EvaluationCache::seen(const std::string& key) const { return index_.count(key) > 0 || in_batch_.count(key) > 0; }

std::vector<std::string> EvaluationCache::unobserved() const {
  std::vector<std::string> keys;
  for (const auto& key : batch_) {
    if (!index_.count(key)) keys.push_back(key);
  }
  return keys;
}

std::vector<std::string> EvaluationCache::open_batch(int count, int max_attempts,
                                                     const std::function<std::string()>& make) {
  QTNAS_CHECK(!batch_open(), "a batch of {} keys is still open: observe its results first", batch_.size());
  for (int slot = 0; slot < count; ++slot) {
    for (int attempt = 0; attempt < max_attempts; ++attempt) {
      std::string key = make();
      if (seen(key)) continue;
      in_batch_.insert(key);
      batch_.push_back(std::move(key));
      break;
    }
  }
  return batch_;
}

void EvaluationCache::insert(Evaluated e) {
  index_.emplace(e.key, results_.size());
  results_.push_back(std::move(e));
}

std::optional<std::vector<Evaluated>> EvaluationCache::record(const std::vector<Evaluated>& results) {
  if (results.empty()) return std::nullopt;
  // Check everything first, so that a bad call changes nothing.
  std::unordered_set<std::string> keys;
  size_t objectives = objective_count_;
  std::vector<Evaluated> cleaned;
  for (Evaluated e : results) {
    QTNAS_CHECK(in_batch_.count(e.key), "observed key '{}' was not proposed in the open batch", e.key);
    QTNAS_CHECK(!index_.count(e.key) && keys.insert(e.key).second, "key '{}' was observed twice", e.key);
    bool has_nan = std::isnan(e.violation);
    for (double v : e.objectives) has_nan = has_nan || std::isnan(v);
    if (e.ok && has_nan) {
      e.ok = false;
      e.error = "an objective or the violation is NaN";
    }
    if (e.ok) {
      if (objectives == 0) objectives = e.objectives.size();
      QTNAS_CHECK(!e.objectives.empty() && e.objectives.size() == objectives,
                  "key '{}' has {} objectives; the search has {}", e.key, e.objectives.size(), objectives);
    }
    cleaned.push_back(std::move(e));
  }
  objective_count_ = objectives;
  for (auto& e : cleaned) insert(std::move(e));
  if (!unobserved().empty()) return std::nullopt;
  std::vector<Evaluated> batch;
  for (const auto& key : batch_) batch.push_back(*find(key));
  batch_.clear();
  in_batch_.clear();
  return batch;
}

nlohmann::json EvaluationCache::to_json() const {
  nlohmann::json results = nlohmann::json::array();
  for (const auto& e : results_) results.push_back(qtnas::to_json(e));
  return {{"results", results}, {"batch", batch_}};
}

EvaluationCache EvaluationCache::from_json(const nlohmann::json& j) {
  EvaluationCache cache;
  std::vector<std::string> batch;
  try {
    for (const auto& r : j.at("results")) {
      Evaluated e = evaluated_from_json(r);
      QTNAS_CHECK(!cache.index_.count(e.key), "searcher state: key '{}' is evaluated twice", e.key);
      if (e.ok && cache.objective_count_ == 0) cache.objective_count_ = e.objectives.size();
      cache.insert(std::move(e));
    }
    batch = j.at("batch").get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& ex) {
    QTNAS_FAIL("bad searcher state: {}", ex.what());
  }
  for (auto& key : batch) {
    QTNAS_CHECK(cache.in_batch_.insert(key).second, "searcher state: key '{}' is twice in the open batch", key);
    cache.batch_.push_back(std::move(key));
  }
  QTNAS_CHECK(!cache.batch_open() || !cache.unobserved().empty(),
              "searcher state: every key of the open batch is already observed");
  return cache;
}

}  // namespace qtnas
