#include "search/hypervolume.h"

#include <algorithm>
#include <utility>

#include "space/error.h"

namespace qtnas {
namespace {

using Point2 = std::pair<double, double>;

// Area dominated by 2-D points that all strictly dominate (rx, ry).
double area_2d(std::vector<Point2> points, double rx, double ry) {
  std::sort(points.begin(), points.end());
  double area = 0;
  double lowest_y = ry;  // the lowest y of the points swept so far
  for (const auto& [x, y] : points) {
    if (y >= lowest_y) continue;  // dominated by an earlier point
    area += (rx - x) * (lowest_y - y);
    lowest_y = y;
  }
  return area;
}

}  // namespace

double hypervolume(const std::vector<std::vector<double>>& points, const std::vector<double>& reference) {
  const size_t d = reference.size();
  QTNAS_CHECK(d >= 1 && d <= 3, "hypervolume: {} objectives; only 1, 2 or 3 are supported", d);
  std::vector<std::vector<double>> inside;
  for (const auto& p : points) {
    QTNAS_CHECK(p.size() == d, "hypervolume: a point has {} objectives, the reference {}", p.size(), d);
    bool strictly = true;
    for (size_t m = 0; m < d; ++m) strictly = strictly && p[m] < reference[m];
    if (strictly) inside.push_back(p);
  }
  if (inside.empty()) return 0;
  if (d == 1) {
    double best = reference[0];
    for (const auto& p : inside) best = std::min(best, p[0]);
    return reference[0] - best;
  }
  if (d == 2) {
    std::vector<Point2> xy;
    for (const auto& p : inside) xy.emplace_back(p[0], p[1]);
    return area_2d(std::move(xy), reference[0], reference[1]);
  }
  // 3-D: between consecutive distinct third coordinates z_k < z_{k+1}, the cross-section is the 2-D region
  // dominated by the points with z <= z_k.
  std::sort(inside.begin(), inside.end(), [](const auto& a, const auto& b) { return a[2] < b[2]; });
  double volume = 0;
  std::vector<Point2> below;
  for (size_t k = 0; k < inside.size(); ++k) {
    below.emplace_back(inside[k][0], inside[k][1]);
    const double next_z = k + 1 < inside.size() ? inside[k + 1][2] : reference[2];
    if (next_z > inside[k][2]) volume += area_2d(below, reference[0], reference[1]) * (next_z - inside[k][2]);
  }
  return volume;
}

double hypervolume(const std::vector<Evaluated>& candidates, const std::vector<double>& reference) {
  std::vector<std::vector<double>> points;
  for (const auto& c : candidates) {
    if (c.feasible()) points.push_back(c.objectives);
  }
  return hypervolume(points, reference);
}

}  // namespace qtnas
