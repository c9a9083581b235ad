// The baseline a user would pick instead of a transformer: a TF-IDF word 1-2-gram linear SVM (scikit-learn,
// Debian's python3-sklearn), trained on exactly the task's training split with C chosen on its validation split.
// Its accuracy stands beside every accuracy qtnas reports for a task. It runs data/tfidf_svm.py once per task
// and keeps the result in the work directory, keyed by a hash of the splits.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "data/dataset.h"

namespace qtnas {

struct BaselineResult {
  std::string method;  // "TF-IDF word 1-2-gram linear SVM"
  double val_accuracy = 0, test_accuracy = 0;
  double c = 0;        // the SVM's C, chosen on validation
  double seconds = 0;  // to compute it (0 when read back from the work directory)
  bool cached = false;
};

// The baseline of `data`, computed (tens of seconds for WordNet) or read back from `workdir`. Returns nullopt
// and sets `*why` when it cannot be computed here (no python3 or no scikit-learn): reports then say so instead
// of a number. Throws qtnas::Error when the script fails otherwise.
std::optional<BaselineResult> tfidf_svm_baseline(const Dataset& data, const std::string& workdir, std::string* why);
// tfidf_svm_baseline when `wanted`; else none, and `*why` says it was skipped (--no-baseline).
std::optional<BaselineResult> baseline_if_wanted(bool wanted, const Dataset& data, const std::string& workdir,
                                                 std::string* why);

// "TF-IDF linear SVM baseline: val 76.1%, test 76.5% (C=0.3)", or "... unavailable: <why>".
std::string describe(const std::optional<BaselineResult>& baseline, const std::string& why);
nlohmann::json to_json(const std::optional<BaselineResult>& baseline, const std::string& why);

}  // namespace qtnas
