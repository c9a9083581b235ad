// Exact hypervolume of a set of points (all objectives minimized) with respect to a fixed reference point:
// the measure of the region dominated by the points and bounded by the reference. Used to compare searchers.
#pragma once

#include <vector>

#include "search/evaluated.h"

namespace qtnas {

// 1, 2 or 3 objectives; more throws qtnas::Error (as does a point whose size differs from `reference`).
// Points that do not strictly dominate the reference (some coordinate >= the reference's) add nothing and are
// ignored, as are dominated and duplicate points. 2-D: sort and sweep, O(n log n). 3-D: slices along the third
// objective with a 2-D sweep each, O(n^2 log n): fine for a few hundred points.
double hypervolume(const std::vector<std::vector<double>>& points, const std::vector<double>& reference);

// The hypervolume of the feasible, ok candidates' objectives.
double hypervolume(const std::vector<Evaluated>& candidates, const std::vector<double>& reference);

}  // namespace qtnas
