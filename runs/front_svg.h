// A picture of a search as a standalone SVG document: every candidate by latency and accuracy, the Pareto
// front as a step line, and the latency budget. Pure C++ (no LibTorch, no database): callers fill a PlotSpec.
#pragma once

#include <string>
#include <vector>

namespace qtnas {

struct PlotPoint {
  double latency_ms = 0;  // finite and > 0
  double accuracy = 0;    // fraction in [0, 1]; drawn as percent
  bool feasible = true;   // false: drawn hollow (e.g. over the budget or failed a constraint)
  bool on_front = false;  // member of the Pareto front: drawn in colour and joined by the step line
  std::string label;      // shown as the point's tooltip, e.g. the arch string; any text (escaped)
};

struct PlotSpec {
  std::vector<PlotPoint> points;
  double latency_budget_ms = 0;  // 0 = none; otherwise a dashed vertical line with a label
  std::string title;             // any text (escaped)
};

// The whole document, from "<svg" to "</svg>\n". Latency is on x, on a log scale when the largest value
// (budget included) is more than 10x the smallest, else linear; accuracy in percent on y. Each point is
// exactly one <circle> inside <g class="points">, carrying a <title> tooltip with its label; the budget line
// is the <line class="budget">. Throws qtnas::Error on an empty point list, a non-finite or non-positive
// latency, a non-finite accuracy, or a budget that is negative or not finite.
std::string front_svg(const PlotSpec& spec);

}  // namespace qtnas
