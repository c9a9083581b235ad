#include "evaluators/parallel.h"

#include <ATen/Parallel.h>
#include <tbb/parallel_for.h>
#include <tbb/task_arena.h>

#include <algorithm>

#include "space/error.h"

namespace qtnas {

Parallelism split_cores(int cores, int candidates) {
  QTNAS_CHECK(cores >= 1, "need at least one core, got {}", cores);
  const int inter = std::max(1, std::min(cores, candidates));
  return {inter, std::max(1, cores / inter)};
}

std::vector<Evaluation> evaluate_all(const Evaluator& evaluator, const std::vector<Arch>& archs, Parallelism p) {
  std::vector<Evaluation> results(archs.size());
  if (p.inter <= 1) {
    for (size_t i = 0; i < archs.size(); ++i) results[i] = evaluator.evaluate(archs[i]);
    return results;
  }
  const int caller_threads = at::get_num_threads();
  tbb::task_arena arena(p.inter);
  arena.execute([&] {
    tbb::parallel_for(size_t{0}, archs.size(), [&](size_t i) {
      // OpenMP's thread count is per calling thread: a TBB worker would otherwise use every core.
      at::set_num_threads(p.intra);
      results[i] = evaluator.evaluate(archs[i]);
    });
  });
  at::set_num_threads(caller_threads);  // the calling thread may have run tasks too
  return results;
}

}  // namespace qtnas

namespace qtnas {

const char* to_string(Fidelity f) { return f == Fidelity::Full ? "full" : "subset"; }

Fidelity fidelity_from_string(const std::string& text) {
  if (text == "subset") return Fidelity::Subset;
  if (text == "full") return Fidelity::Full;
  QTNAS_FAIL("unknown fidelity '{}': subset or full", text);
}

std::vector<Evaluation> LocalEvaluation::evaluate(const std::vector<Arch>& archs, Fidelity fidelity) {
  if (fidelity == Fidelity::Subset) return evaluate_all(subset_, archs, parallelism_);
  QTNAS_ASSERT(full_, "no full-validation evaluator was given");
  return evaluate_all(*full_, archs, split_cores(parallelism_.inter * parallelism_.intra, int(archs.size())));
}

}  // namespace qtnas
