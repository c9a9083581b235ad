// Tests of search/pareto.h, search/hypervolume.h and search/evaluated.h: domination, non-dominated sorting
// against brute force, crowding and hypervolume by hand and by Monte Carlo, the JSON form of a result.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "search/evaluated.h"
#include "search/hypervolume.h"
#include "search/pareto.h"
#include "space/error.h"
#include "space/rng.h"
#include "tests/expect_error.h"

using namespace qtnas;

namespace {

const double kInf = std::numeric_limits<double>::infinity();

Evaluated point(std::vector<double> objectives, double violation = 0) {
  static int counter = 0;
  return Evaluated{"p" + std::to_string(counter++), std::move(objectives), violation, true, ""};
}

using qtnas::testing::expect_error;
using qtnas::testing::expect_internal_error;

// The fronts by definition: repeatedly peel off the items no remaining item constrained-dominates.
std::vector<std::vector<int>> brute_force_fronts(const std::vector<Evaluated>& items) {
  std::vector<int> left(items.size());
  for (size_t i = 0; i < items.size(); ++i) left[i] = static_cast<int>(i);
  std::vector<std::vector<int>> fronts;
  while (!left.empty()) {
    std::vector<int> front, rest;
    for (int i : left) {
      bool dominated = false;
      for (int j : left) dominated = dominated || constrained_dominates(items[j], items[i]);
      (dominated ? rest : front).push_back(i);
    }
    fronts.push_back(front);
    left = rest;
  }
  return fronts;
}

}  // namespace

TEST(Pareto, DominanceAndConstrainedDomination) {
  EXPECT_TRUE(dominates({1, 2}, {1, 3}));
  EXPECT_FALSE(dominates({1, 2}, {1, 2})) << "equal points do not dominate each other";
  EXPECT_FALSE(dominates({1, 3}, {2, 2}));
  EXPECT_FALSE(dominates({2, 2}, {1, 3}));
  EXPECT_TRUE(dominates({0, 0, 0}, {0, 0, 1}));
  expect_internal_error([] { dominates({1, 2}, {1, 2, 3}); }, {"2 objectives", "3"});

  const Evaluated good = point({5, 5});
  const Evaluated better = point({4, 5});
  const Evaluated slightly_bad = point({0, 0}, 0.5);
  const Evaluated bad = point({0, 0}, 2.0);
  const Evaluated also_bad = point({9, 9}, 2.0);
  EXPECT_TRUE(constrained_dominates(good, slightly_bad)) << "feasible beats infeasible, whatever the objectives";
  EXPECT_FALSE(constrained_dominates(slightly_bad, good));
  EXPECT_TRUE(constrained_dominates(slightly_bad, bad)) << "less violation wins";
  EXPECT_FALSE(constrained_dominates(bad, slightly_bad));
  EXPECT_FALSE(constrained_dominates(bad, also_bad)) << "equal violation: neither, objectives ignored";
  EXPECT_FALSE(constrained_dominates(also_bad, bad));
  EXPECT_TRUE(constrained_dominates(better, good)) << "two feasible: Pareto dominance";
  EXPECT_FALSE(constrained_dominates(good, better));
  Evaluated failed = point({0, 0});
  failed.ok = false;
  expect_internal_error([&] { constrained_dominates(failed, good); }, {"failed candidate", failed.key.c_str()});
}

TEST(Pareto, NonDominatedSortMatchesBruteForce) {
  Rng rng(11);
  for (int trial = 0; trial < 40; ++trial) {
    const int objectives = 2 + trial % 2;
    const int n = 1 + static_cast<int>(rng.uniform(80));
    std::vector<Evaluated> items;
    for (int i = 0; i < n; ++i) {
      std::vector<double> f;
      // A coarse grid makes ties and duplicates common; a quarter of the points are infeasible.
      for (int m = 0; m < objectives; ++m) f.push_back(static_cast<double>(rng.uniform(6)));
      const double violation = rng.bernoulli(0.25) ? 0.5 * (1 + rng.uniform(3)) : 0.0;
      items.push_back(point(f, violation));
    }
    const auto fronts = non_dominated_sort(items);
    ASSERT_EQ(fronts, brute_force_fronts(items)) << "trial " << trial;
    // Inside a front nothing dominates anything; each member of front k+1 is dominated by one of front k.
    for (size_t f = 0; f < fronts.size(); ++f) {
      for (int i : fronts[f]) {
        for (int j : fronts[f]) ASSERT_FALSE(constrained_dominates(items[i], items[j]));
        if (f == 0) continue;
        bool dominated = false;
        for (int j : fronts[f - 1]) dominated = dominated || constrained_dominates(items[j], items[i]);
        ASSERT_TRUE(dominated);
      }
    }
  }
  EXPECT_TRUE(non_dominated_sort({}).empty());
}

TEST(Pareto, CrowdingDistanceByHand) {
  // Front (0,5) (1,3) (3,1) (4,0): ranges 4 and 5. (1,3): 3/4 + 4/5 = 1.55; (3,1): 3/4 + 3/5 = 1.35.
  const std::vector<Evaluated> items = {point({3, 1}), point({0, 5}), point({9, 9}), point({4, 0}), point({1, 3})};
  const auto distance = crowding_distance(items, {0, 1, 3, 4});
  ASSERT_EQ(distance.size(), 4u);
  EXPECT_NEAR(distance[0], 1.35, 1e-12);
  EXPECT_EQ(distance[1], kInf);
  EXPECT_EQ(distance[2], kInf);
  EXPECT_NEAR(distance[3], 1.55, 1e-12);

  // An objective with no spread adds nothing: only the second one counts.
  const std::vector<Evaluated> flat = {point({2, 0}), point({2, 1}), point({2, 3}), point({2, 4})};
  const auto flat_distance = crowding_distance(flat, {0, 1, 2, 3});
  EXPECT_EQ(flat_distance[0], kInf);
  EXPECT_NEAR(flat_distance[1], 3.0 / 4, 1e-12);
  EXPECT_NEAR(flat_distance[2], 3.0 / 4, 1e-12);
  EXPECT_EQ(flat_distance[3], kInf);
  EXPECT_EQ(crowding_distance(flat, {2}), std::vector<double>{kInf});

  // select_best keeps whole fronts, then the least crowded of the front that does not fit: here the first
  // front is items 0, 1, 3, 4 and item 2 is alone in the second.
  EXPECT_EQ(select_best(items, 3), (std::vector<int>{1, 3, 4}));
  EXPECT_EQ(select_best(items, 5), (std::vector<int>{0, 1, 3, 4, 2}));
  EXPECT_EQ(select_best(items, 9).size(), 5u);
  const Ranking r = rank_and_crowding(items);
  EXPECT_EQ(r.rank, (std::vector<int>{0, 0, 1, 0, 0}));
  EXPECT_TRUE(crowded_better(r, 4, 0));
  EXPECT_TRUE(crowded_better(r, 0, 2));
}

TEST(Hypervolume, TwoDimensionsByHand) {
  // Boxes from (1,3), (2,2), (3,1) to (4,4): 3 + 2 + 1.
  EXPECT_DOUBLE_EQ(hypervolume({{1, 3}, {2, 2}, {3, 1}}, {4, 4}), 6);
  // Dominated and duplicate points add nothing; points that do not strictly dominate the reference are ignored.
  EXPECT_DOUBLE_EQ(hypervolume({{3, 3}, {1, 3}, {2, 2}, {2, 2}, {3, 1}, {0, 4}, {5, 0}, {4, 0}}, {4, 4}), 6);
  EXPECT_EQ(hypervolume(std::vector<std::vector<double>>{}, {1, 1}), 0);
  EXPECT_DOUBLE_EQ(hypervolume({{0.25}, {0.5}}, {1}), 0.75);
  // Infeasible and failed candidates do not count.
  Evaluated failed = point({0, 0});
  failed.ok = false;
  EXPECT_DOUBLE_EQ(hypervolume({point({1, 3}), point({0, 0}, 1.0), failed}, {4, 4}), 3);
  expect_error([] { hypervolume({{1, 2, 3, 4}}, {5, 5, 5, 5}); }, {"4 objectives", "1, 2 or 3"});
  expect_error([] { hypervolume({{1, 2, 3}}, {5, 5}); }, {"3 objectives", "reference 2"});
}

TEST(Hypervolume, ThreeDimensionsByHand) {
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 0}}, {1, 2, 3}), 6);
  // Boxes of (0,0,1) and (1,1,0) up to (2,2,2): 4 + 2 - their overlap [1,2]^3 of 1. (1,0,1) is dominated.
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 1}, {1, 1, 0}, {1, 0, 1}}, {2, 2, 2}), 5);
  // The boxes of (0,1,1), (1,0,1) and (1,1,0) up to (2,2,2) are 2 each; every pair, and all three, overlap in
  // the cube [1,2]^3 only. Inclusion-exclusion: 3 * 2 - 3 * 1 + 1 = 4.
  EXPECT_DOUBLE_EQ(hypervolume({{0, 1, 1}, {1, 0, 1}, {1, 1, 0}}, {2, 2, 2}), 4);
  // A point on the reference plane is ignored.
  EXPECT_DOUBLE_EQ(hypervolume({{0, 0, 0}, {0, 0, 3}}, {1, 2, 3}), 6);
}

TEST(Hypervolume, AgreesWithMonteCarlo) {
  Rng rng(5);
  for (int d = 2; d <= 3; ++d) {
    // Points near the unit sphere are mostly mutually non-dominated, which exercises the sweeps.
    std::vector<std::vector<double>> points;
    for (int i = 0; i < 40; ++i) {
      std::vector<double> p(d);
      double norm = 0;
      for (double& v : p) {
        v = 0.05 + rng.uniform01();
        norm += v * v;
      }
      const double radius = 0.8 + 0.4 * rng.uniform01();
      for (double& v : p) v = v / std::sqrt(norm) * radius;
      points.push_back(p);
    }
    const std::vector<double> reference(d, 1.2);
    const int samples = 200000;
    int hits = 0;
    for (int s = 0; s < samples; ++s) {
      std::vector<double> x(d);
      for (double& v : x) v = 1.2 * rng.uniform01();
      bool covered = false;
      for (const auto& p : points) {
        bool below = true;
        for (int m = 0; m < d; ++m) below = below && p[m] <= x[m];
        if ((covered = below)) break;
      }
      hits += covered;
    }
    const double box = std::pow(1.2, d);
    const double fraction = double(hits) / samples;
    const double estimate = box * fraction;
    const double sigma = box * std::sqrt(fraction * (1 - fraction) / samples);
    const double exact = hypervolume(points, reference);
    EXPECT_NEAR(exact, estimate, 5 * sigma) << d << "-D";
    EXPECT_GT(exact, 0.1);
  }
}

TEST(Evaluated, JsonRoundTripKeepsNonFiniteValues) {
  const Evaluated e{"k", {1.0 / 3, kInf, -kInf, 1e-300}, 0.1, false, "out of memory"};
  const Evaluated back = evaluated_from_json(nlohmann::json::parse(to_json(e).dump()));
  EXPECT_EQ(back, e);
  const Evaluated nan{"n", {std::nan("")}, 0, true, ""};
  EXPECT_TRUE(std::isnan(evaluated_from_json(to_json(nan)).objectives[0]));
  expect_error([] { evaluated_from_json(nlohmann::json{{"key", "k"}}); }, {"bad evaluated candidate"});
}
