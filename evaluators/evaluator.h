// What an accuracy evaluator gives the search for one arch. A failure is a result (ok = false, reason kept),
// never an exception out of evaluate(): one broken candidate must not end a search.
#pragma once

#include <string>

#include "space/arch.h"

namespace qtnas {

struct Evaluation {
  bool ok = true;
  std::string error;      // why it failed (empty when ok)
  double accuracy = 0;    // fraction in [0, 1]
  int64_t examples = 0;   // examples it was measured on
  double seconds = 0;     // wall time of the evaluation
};

class Evaluator {
 public:
  virtual ~Evaluator() = default;
  // Safe to call from several threads at once.
  virtual Evaluation evaluate(const Arch& arch) const = 0;
};

}  // namespace qtnas
