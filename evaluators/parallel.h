// Evaluating many candidates at once: `inter` candidates in parallel on a oneTBB arena, each forward with
// `intra` LibTorch threads, so that inter x intra stays within the cores (never nest OpenMP under
// oversubscribed TBB workers).
#pragma once

#include <vector>

#include "evaluators/evaluator.h"

namespace qtnas {

struct Parallelism {
  int inter = 1;  // candidates at a time
  int intra = 1;  // LibTorch threads per candidate
};

// inter x intra <= cores, as many candidates at a time as possible. Throws qtnas::Error if cores < 1.
Parallelism split_cores(int cores, int candidates);

// Results in the order of `archs`.
std::vector<Evaluation> evaluate_all(const Evaluator& evaluator, const std::vector<Arch>& archs, Parallelism p);

// Which evaluation a search asks for: the proxy on the validation subset, or the whole validation split (the
// final front's second, full-fidelity evaluation).
enum class Fidelity { Subset, Full };
const char* to_string(Fidelity f);
Fidelity fidelity_from_string(const std::string& text);  // throws qtnas::Error on anything else

// Where a search's candidates are evaluated, a batch at a time: on this process's cores (LocalEvaluation) or on
// worker processes (distributed/remote_evaluation.h). Either way the results come back in the order of `archs`
// and must not depend on where they were computed.
class CandidateEvaluation {
 public:
  virtual ~CandidateEvaluation() = default;
  virtual std::vector<Evaluation> evaluate(const std::vector<Arch>& archs, Fidelity fidelity) = 0;
  virtual bool has_full() const = 0;  // whether Fidelity::Full can be asked for
};

class LocalEvaluation : public CandidateEvaluation {
 public:
  // Subset evaluations always run with `subset_parallelism` (fixed threads per candidate keep the numerics
  // identical from one batch to the next); full ones spread over the same cores. `full` may be null.
  LocalEvaluation(const Evaluator& subset, const Evaluator* full, Parallelism subset_parallelism)
      : subset_(subset), full_(full), parallelism_(subset_parallelism) {}
  std::vector<Evaluation> evaluate(const std::vector<Arch>& archs, Fidelity fidelity) override;
  bool has_full() const override { return full_ != nullptr; }

 private:
  const Evaluator& subset_;
  const Evaluator* full_;
  Parallelism parallelism_;
};

}  // namespace qtnas
