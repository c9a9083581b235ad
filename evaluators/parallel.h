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

}  // namespace qtnas
