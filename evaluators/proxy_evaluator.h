// The proxy accuracy evaluator: a candidate's accuracy with the weights it inherits from the supernet, on a
// fixed subset of the validation split (the same examples for every candidate, batched once), computed with the
// exact INT8/BF16/sparsity numerics of the exported module (supernet/numerics.h).
#pragma once

#include <vector>

#include "evaluators/evaluator.h"
#include "evaluators/parallel.h"
#include "supernet/batches.h"
#include "supernet/supernet.h"

namespace qtnas {

class ProxyEvaluator : public Evaluator {
 public:
  // limit = 0: the whole split. Puts `net` in eval() mode for good: the evaluator owns its mode from now on,
  // and it must not be trained while evaluated. Throws qtnas::Error on an empty split.
  ProxyEvaluator(Supernet net, const EncodedSplit& split, size_t limit, int batch_size = 64);

  // Thread-safe: the forward pass reads the shared weights only. Invalid archs and runtime failures come back
  // as ok = false.
  Evaluation evaluate(const Arch& arch) const override;

  int64_t examples() const { return examples_; }

 private:
  mutable Supernet net_;  // forward() is not const in LibTorch, though it only reads the weights
  std::vector<Batch> batches_;
  int64_t examples_ = 0;
};

// The proxy at a search's two fidelities on one validation split (a ProxyEvaluator on a fixed subset of `subset`
// examples, one on the whole split), evaluated on this process's cores: the CandidateEvaluation that `qtnas
// search` and `qtnas worker` use. (ProxyEvaluator scores one arch; ProxyFidelities serves batches of candidates
// at either fidelity.)
class ProxyFidelities : public CandidateEvaluation {
 public:
  ProxyFidelities(Supernet net, const EncodedSplit& split, size_t subset, Parallelism subset_parallelism)
      : subset_(net, split, subset), full_(net, split, 0), local_(subset_, &full_, subset_parallelism) {}
  ProxyFidelities(const ProxyFidelities&) = delete;  // local_ refers to the members
  ProxyFidelities& operator=(const ProxyFidelities&) = delete;

  std::vector<Evaluation> evaluate(const std::vector<Arch>& archs, Fidelity f) override {
    return local_.evaluate(archs, f);
  }
  bool has_full() const override { return true; }

 private:
  ProxyEvaluator subset_, full_;
  LocalEvaluation local_;
};

}  // namespace qtnas
