// What a searcher has asked and learned: every evaluated key with its result, in evaluation order, and the
// batch proposed but not yet fully observed. It is how searchers never propose a key twice; part of their state.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "search/evaluated.h"

namespace qtnas {

class EvaluationCache {
 public:
  // The result for `key`, or nullptr if it was not evaluated. The pointer is valid until the next change.
  const Evaluated* find(const std::string& key) const;
  // Every result, in the order observed.
  const std::vector<Evaluated>& results() const { return results_; }
  // Evaluated, or proposed in the open batch.
  bool seen(const std::string& key) const;

  bool batch_open() const { return !batch_.empty(); }
  // The open batch's keys not observed yet, in proposal order (empty when no batch is open).
  std::vector<std::string> unobserved() const;

  // Opens a batch of up to `count` keys never seen before: for each slot, calls `make` at most `max_attempts`
  // times and keeps the first unseen key; a slot whose draws all repeat stays empty, so the batch may be
  // smaller, or empty when the space looks exhausted. Returns the batch. Throws qtnas::Error if a batch is open.
  std::vector<std::string> open_batch(int count, int max_attempts, const std::function<std::string()>& make);

  // Records results of the open batch, each for a key of the batch not observed yet; otherwise throws
  // qtnas::Error and records nothing. An ok result whose objectives or violation are NaN is recorded as failed.
  // Every ok result must have as many objectives as the first one. When this completes the batch, closes it
  // and returns all its results in proposal order; otherwise returns nothing.
  std::optional<std::vector<Evaluated>> record(const std::vector<Evaluated>& results);

  // {"results": [...], "batch": [keys]}; from_json throws qtnas::Error on a malformed or inconsistent value.
  nlohmann::json to_json() const;
  static EvaluationCache from_json(const nlohmann::json& j);

 private:
  void insert(Evaluated e);

  std::vector<Evaluated> results_;
  std::unordered_map<std::string, size_t> index_;  // key -> position in results_
  std::vector<std::string> batch_;                 // the open batch, in proposal order
  std::unordered_set<std::string> in_batch_;
  size_t objective_count_ = 0;                     // of ok results; 0 until the first one
};

}  // namespace qtnas
