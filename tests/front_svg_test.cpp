#include "runs/front_svg.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "space/error.h"
#include "tests/expect_error.h"

namespace qtnas {
namespace {

using testing::expect_error;

size_t count(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

// The text between `open` and the next `close` after it; fails the test when absent.
std::string section(const std::string& svg, const std::string& open, const std::string& close) {
  const size_t begin = svg.find(open);
  EXPECT_NE(begin, std::string::npos) << "no " << open;
  if (begin == std::string::npos) return "";
  const size_t end = svg.find(close, begin);
  EXPECT_NE(end, std::string::npos) << "no " << close << " after " << open;
  return end == std::string::npos ? "" : svg.substr(begin, end - begin);
}

// The numeric attribute `name` of the first element starting at `element`.
double attribute(const std::string& element, const std::string& name) {
  const std::string key = " " + name + "=\"";
  const size_t at = element.find(key);
  EXPECT_NE(at, std::string::npos) << "no " << name << " in " << element.substr(0, 200);
  return at == std::string::npos ? std::nan("") : std::stod(element.substr(at + key.size()));
}

// The <circle ...>...</circle> element whose tooltip starts with `label`.
std::string circle_of(const std::string& svg, const std::string& label) {
  const size_t title = svg.find("<title>" + label + "\n");
  EXPECT_NE(title, std::string::npos) << "no point labelled " << label;
  if (title == std::string::npos) return "";
  const size_t begin = svg.rfind("<circle", title);
  const size_t end = svg.find("</circle>", title);
  return svg.substr(begin, end - begin);
}

double cx_of(const std::string& svg, const std::string& label) { return attribute(circle_of(svg, label), "cx"); }
double cy_of(const std::string& svg, const std::string& label) { return attribute(circle_of(svg, label), "cy"); }

PlotPoint point(double latency_ms, double accuracy, const std::string& label, bool on_front = false,
                bool feasible = true) {
  PlotPoint p;
  p.latency_ms = latency_ms;
  p.accuracy = accuracy;
  p.feasible = feasible;
  p.on_front = on_front;
  p.label = label;
  return p;
}

PlotSpec small_search() {
  PlotSpec spec;
  spec.title = "test search";
  spec.latency_budget_ms = 4;
  spec.points = {point(1.5, 0.60, "a", true), point(2.0, 0.55, "b"),      point(3.0, 0.70, "c", true),
                 point(3.5, 0.62, "d"),       point(5.0, 0.75, "e", true, false), point(6.0, 0.50, "f", false, false)};
  return spec;
}

TEST(FrontSvg, IsAWellFormedDocument) {
  const std::string svg = front_svg(small_search());
  EXPECT_EQ(svg.rfind("<svg ", 0), 0u);
  EXPECT_NE(svg.find("xmlns=\"http://www.w3.org/2000/svg\""), std::string::npos);
  ASSERT_GE(svg.size(), 7u);
  EXPECT_EQ(svg.substr(svg.size() - 7), "</svg>\n");
  EXPECT_EQ(count(svg, "<svg"), 1u);
  EXPECT_EQ(count(svg, "<g>") + count(svg, "<g "), count(svg, "</g>"));
  EXPECT_EQ(count(svg, "<text"), count(svg, "</text>"));
  EXPECT_EQ(count(svg, "<title>"), count(svg, "</title>"));
  EXPECT_NE(svg.find(">test search</text>"), std::string::npos);
}

TEST(FrontSvg, DrawsOneCirclePerPoint) {
  for (size_t n : {1u, 6u, 200u}) {
    PlotSpec spec;
    for (size_t i = 0; i < n; ++i) {
      spec.points.push_back(point(1 + 0.37 * i, 0.3 + 0.002 * i, "p" + std::to_string(i), i % 7 == 0, i % 3 != 0));
    }
    const std::string svg = front_svg(spec);
    EXPECT_EQ(count(section(svg, "<g class=\"points\">", "</g>"), "<circle"), n) << n << " points";
    for (size_t i = 0; i < n; ++i) ASSERT_FALSE(circle_of(svg, "p" + std::to_string(i)).empty());
  }
}

TEST(FrontSvg, BudgetLineIsPresentOnlyWithABudget) {
  PlotSpec spec = small_search();
  spec.latency_budget_ms = 0;
  const std::string none = front_svg(spec);
  EXPECT_EQ(none.find("class=\"budget\""), std::string::npos);
  EXPECT_EQ(none.find("budget "), std::string::npos);  // no label
  EXPECT_EQ(none.find("latency budget"), std::string::npos);  // no legend entry

  spec.latency_budget_ms = 4;
  const std::string with = front_svg(spec);
  EXPECT_EQ(count(with, "class=\"budget\""), 1u);
  EXPECT_NE(with.find(">budget 4 ms</text>"), std::string::npos);
  const std::string line = section(with, "<line class=\"budget\"", "/>");
  const double x = attribute(line, "x1");
  EXPECT_DOUBLE_EQ(x, attribute(line, "x2"));
  EXPECT_LT(cx_of(with, "d"), x);  // 3.5 ms
  EXPECT_GT(cx_of(with, "e"), x);  // 5 ms
}

TEST(FrontSvg, BudgetLineSitsBetweenFasterAndSlowerPointsOnALogScale) {
  PlotSpec spec;
  spec.latency_budget_ms = 30;
  spec.points = {point(0.5, 0.5, "fast"), point(25, 0.6, "just under"), point(40, 0.7, "just over"),
                 point(900, 0.8, "slow")};
  const std::string svg = front_svg(spec);
  ASSERT_NE(svg.find("data-scale=\"log\""), std::string::npos);
  const double x = attribute(section(svg, "<line class=\"budget\"", "/>"), "x1");
  EXPECT_LT(cx_of(svg, "fast"), cx_of(svg, "just under"));
  EXPECT_LT(cx_of(svg, "just under"), x);
  EXPECT_GT(cx_of(svg, "just over"), x);
  EXPECT_LT(cx_of(svg, "just over"), cx_of(svg, "slow"));
}

TEST(FrontSvg, UsesALogScaleWhenLatenciesSpanMoreThanTenfold) {
  PlotSpec spec;
  spec.points = {point(1, 0.5, "1ms"), point(10, 0.6, "10ms"), point(100, 0.7, "100ms")};
  const std::string svg = front_svg(spec);
  EXPECT_NE(svg.find("data-scale=\"log\""), std::string::npos);
  EXPECT_NE(svg.find("log scale"), std::string::npos);
  // Equal ratios, equal distances.
  EXPECT_NEAR(cx_of(svg, "10ms") - cx_of(svg, "1ms"), cx_of(svg, "100ms") - cx_of(svg, "10ms"), 0.15);
}

TEST(FrontSvg, UsesALinearScaleUpToTenfold) {
  PlotSpec spec;
  spec.points = {point(1, 0.5, "1ms"), point(5, 0.6, "5ms"), point(10, 0.7, "10ms")};
  const std::string svg = front_svg(spec);
  EXPECT_NE(svg.find("data-scale=\"linear\""), std::string::npos);
  EXPECT_EQ(svg.find("log scale"), std::string::npos);
  // Equal differences, equal distances: 4 ms then 5 ms.
  const double first = cx_of(svg, "5ms") - cx_of(svg, "1ms");
  const double second = cx_of(svg, "10ms") - cx_of(svg, "5ms");
  EXPECT_NEAR(first / second, 4.0 / 5.0, 0.01);
}

TEST(FrontSvg, TheBudgetCountsTowardsTheLatencyRange) {
  PlotSpec spec;
  spec.points = {point(2, 0.5, "a"), point(5, 0.6, "b")};
  spec.latency_budget_ms = 50;
  EXPECT_NE(front_svg(spec).find("data-scale=\"log\""), std::string::npos);
  spec.latency_budget_ms = 10;
  EXPECT_NE(front_svg(spec).find("data-scale=\"linear\""), std::string::npos);
}

TEST(FrontSvg, DrawsAccuracyAsPercentUpwards) {
  PlotSpec spec;
  spec.points = {point(1, 0.25, "low"), point(2, 0.85, "high")};
  const std::string svg = front_svg(spec);
  EXPECT_LT(cy_of(svg, "high"), cy_of(svg, "low"));  // SVG y grows downwards
  EXPECT_NE(svg.find("85.00% accuracy"), std::string::npos);
  EXPECT_NE(svg.find("accuracy (%)"), std::string::npos);
  const std::string axis = section(svg, "<g class=\"y-axis\"", "</g>");
  EXPECT_NE(axis.find(">80</text>"), std::string::npos) << axis;
}

TEST(FrontSvg, JoinsTheFrontByAStepLineInLatencyOrder) {
  PlotSpec spec;
  spec.points = {point(3, 0.7, "slow", true), point(2, 0.5, "other"), point(1, 0.6, "fast", true),
                 point(2.5, 0.65, "middle", true)};
  const std::string svg = front_svg(spec);
  const std::string path = section(svg, "<path class=\"front-line\"", "/>");
  const std::string d = path.substr(path.find(" d=\"M") + 5);
  const double x0 = std::stod(d);
  EXPECT_NEAR(x0, cx_of(svg, "fast"), 0.051);
  EXPECT_EQ(count(d, "H"), 2u);
  EXPECT_EQ(count(d, "V"), 2u);
  const double h1 = std::stod(d.substr(d.find('H') + 1));
  const double h2 = std::stod(d.substr(d.rfind('H') + 1));
  EXPECT_NEAR(h1, cx_of(svg, "middle"), 0.051);
  EXPECT_NEAR(h2, cx_of(svg, "slow"), 0.051);
  const double v_last = std::stod(d.substr(d.rfind('V') + 1));
  EXPECT_NEAR(v_last, cy_of(svg, "slow"), 0.051);

  spec.points = {point(1, 0.6, "alone", true), point(2, 0.5, "other")};
  EXPECT_EQ(front_svg(spec).find("front-line"), std::string::npos);
}

TEST(FrontSvg, DrawsInfeasiblePointsHollowAndTheFrontInColour) {
  const std::string svg = front_svg(small_search());
  EXPECT_NE(circle_of(svg, "f").find("fill-opacity=\"0\""), std::string::npos);
  EXPECT_EQ(circle_of(svg, "b").find("fill-opacity=\"0\""), std::string::npos);
  EXPECT_EQ(circle_of(svg, "b").find("#1f77b4"), std::string::npos);
  EXPECT_NE(circle_of(svg, "a").find("#1f77b4"), std::string::npos);
  EXPECT_NE(circle_of(svg, "f").find(", infeasible"), std::string::npos);
  const std::string legend = section(svg, "<g class=\"legend\">", "</g>");
  for (const char* entry : {"Pareto front", "other candidates", "infeasible", "latency budget"}) {
    EXPECT_NE(legend.find(entry), std::string::npos) << entry;
  }
}

TEST(FrontSvg, EscapesXmlSpecialCharacters) {
  PlotSpec spec;
  spec.title = "runs <1> & \"2\"";
  spec.points = {point(1, 0.5, "h4<f>&s'0\""), point(2, 0.6, "ctl\x01")};
  const std::string svg = front_svg(spec);
  EXPECT_NE(svg.find("<title>h4&lt;f&gt;&amp;s&apos;0&quot;\n"), std::string::npos);
  EXPECT_NE(svg.find(">runs &lt;1&gt; &amp; &quot;2&quot;</text>"), std::string::npos);
  EXPECT_EQ(svg.find("h4<f>"), std::string::npos);
  EXPECT_EQ(svg.find("<1>"), std::string::npos);
  EXPECT_EQ(svg.find('\x01'), std::string::npos);
  // Every '&' starts an entity.
  for (size_t at = svg.find('&'); at != std::string::npos; at = svg.find('&', at + 1)) {
    const std::string rest = svg.substr(at, 6);
    EXPECT_TRUE(rest.rfind("&amp;", 0) == 0 || rest.rfind("&lt;", 0) == 0 || rest.rfind("&gt;", 0) == 0 ||
                rest.rfind("&quot;", 0) == 0 || rest.rfind("&apos;", 0) == 0)
        << rest;
  }
}

TEST(FrontSvg, HandlesASinglePointAndEqualValues) {
  PlotSpec spec;
  spec.points = {point(7, 0.9, "only", true)};
  const std::string one = front_svg(spec);
  const double cx = cx_of(one, "only");
  const double cy = cy_of(one, "only");
  EXPECT_TRUE(std::isfinite(cx) && std::isfinite(cy));
  EXPECT_GT(cx, 72);  // inside the plot area, not on its frame
  EXPECT_LT(cx, 696);
  for (const char* bad : {"=\"nan", "=\"-nan", "=\"inf", "=\"-inf"}) EXPECT_EQ(one.find(bad), std::string::npos) << bad;

  spec.points.push_back(point(7, 0.9, "twin"));
  EXPECT_DOUBLE_EQ(cx_of(front_svg(spec), "twin"), cx);
}

TEST(FrontSvg, RejectsBadInput) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  expect_error([] { front_svg(PlotSpec{}); }, {"no points"});

  PlotSpec spec = small_search();
  spec.points[2].latency_ms = nan;
  expect_error([&] { front_svg(spec); }, {"point 2 ('c') has latency nan"});
  spec.points[2].latency_ms = inf;
  expect_error([&] { front_svg(spec); }, {"latency inf"});
  spec.points[2].latency_ms = 0;
  expect_error([&] { front_svg(spec); }, {"latency 0"});
  spec.points[2].latency_ms = -1;
  expect_error([&] { front_svg(spec); }, {"latency -1"});

  spec = small_search();
  spec.points[1].accuracy = -inf;
  expect_error([&] { front_svg(spec); }, {"point 1 ('b') has accuracy -inf"});
  spec.points[1].accuracy = nan;
  expect_error([&] { front_svg(spec); }, {"accuracy nan"});

  spec = small_search();
  spec.latency_budget_ms = nan;
  expect_error([&] { front_svg(spec); }, {"latency budget nan"});
  spec.latency_budget_ms = -2;
  expect_error([&] { front_svg(spec); }, {"latency budget -2"});
}

}  // namespace
}  // namespace qtnas
