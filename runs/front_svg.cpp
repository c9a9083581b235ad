#include "runs/front_svg.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <limits>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "space/error.h"

namespace qtnas {
namespace {

constexpr double kWidth = 720;
constexpr double kHeight = 480;
constexpr double kLeft = 72;  // room for the y tick labels and the axis title
constexpr double kRight = 24;
constexpr double kTop = 56;  // the title, then the budget label just above the plot area
constexpr double kBottom = 56;
constexpr const char* kFrontColour = "#1f77b4";
constexpr const char* kCandidateColour = "#8c8c8c";
constexpr const char* kBudgetColour = "#d62728";
constexpr double kCharWidth = 6.6;  // rough width of a 12 px sans-serif character, to size the legend box

std::string escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&apos;"; break;
      default:
        // XML 1.0 allows no other control characters, not even as character references.
        const bool allowed = static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n' || c == '\r';
        out += allowed ? c : '?';
    }
  }
  return out;
}

// Maps data values to pixels. A log axis keeps its domain in log10 units.
struct Axis {
  bool log = false;
  double lo = 0;
  double hi = 1;
  double px_lo = 0;  // pixel of lo (for y, the bottom of the plot)
  double px_hi = 1;
  std::vector<double> ticks;  // data values
  int decimals = 0;           // of linear tick labels

  double to_px(double value) const {
    const double t = log ? std::log10(value) : value;
    return px_lo + (t - lo) / (hi - lo) * (px_hi - px_lo);
  }
  std::string tick_label(double value) const {
    return log ? fmt::format("{:g}", value) : fmt::format("{:.{}f}", value, decimals);
  }
};

// The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `raw`.
double nice_step(double raw) {
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0}) {
    if (m * magnitude >= raw * (1 - 1e-9)) return m * magnitude;
  }
  return 10 * magnitude;
}

int decimals_of(double step) {
  for (int d = 0; d < 9; ++d) {
    const double scaled = step * std::pow(10.0, d);
    if (std::abs(scaled - std::round(scaled)) < 1e-6 * scaled) return d;
  }
  return 9;
}

// A linear axis over [min, max] plus a margin; it stays within [0, ceiling] when the data does.
Axis linear_axis(double min, double max, double ceiling) {
  Axis axis;
  double lo = min;
  double hi = max;
  if (hi - lo <= 1e-12 * std::max(1.0, std::abs(hi))) {
    const double pad = min != 0 ? std::abs(min) * 0.1 : 1.0;
    lo -= pad;
    hi += pad;
  } else {
    // A margin so that no point sits on the frame.
    const double pad = 0.04 * (hi - lo);
    lo -= pad;
    hi += pad;
  }
  if (min >= 0) lo = std::max(lo, 0.0);
  if (max <= ceiling) hi = std::min(hi, ceiling);
  // Ticks inside the domain rather than a domain stretched to the next ticks, which can waste a whole step.
  const double step = nice_step((hi - lo) / 9);
  axis.lo = lo;
  axis.hi = hi;
  for (double k = std::ceil(lo / step - 1e-9); k * step <= hi + 1e-9 * step; ++k) {
    axis.ticks.push_back(k * step + 0.0);  // + 0.0 turns -0 into 0, which would print as "-0"
  }
  axis.decimals = decimals_of(step);
  return axis;
}

// A log axis over [min, max] (both > 0) with ticks at 1, 2, 3, 5 times powers of ten, fewer when it spans more.
Axis log_axis(double min, double max) {
  Axis axis;
  axis.log = true;
  const double a = std::log10(min);
  const double b = std::log10(max);
  const double pad = 0.04 * (b - a);
  axis.lo = a - pad;
  axis.hi = b + pad;
  const double decades = axis.hi - axis.lo;
  std::vector<double> mantissas = {1};
  if (decades <= 1.5) {
    mantissas = {1, 2, 3, 5};
  } else if (decades <= 3) {
    mantissas = {1, 2, 5};
  }
  for (int e = static_cast<int>(std::floor(axis.lo)); e <= static_cast<int>(std::ceil(axis.hi)); ++e) {
    for (double m : mantissas) {
      const double value = m * std::pow(10.0, e);
      const double t = std::log10(value);
      if (t >= axis.lo - 1e-9 && t <= axis.hi + 1e-9) axis.ticks.push_back(value);
    }
  }
  while (axis.ticks.size() > 10) {  // very wide ranges: every other power of ten
    std::vector<double> kept;
    for (size_t i = 0; i < axis.ticks.size(); i += 2) kept.push_back(axis.ticks[i]);
    axis.ticks = std::move(kept);
  }
  return axis;
}

void check_input(const PlotSpec& spec) {
  QTNAS_CHECK(!spec.points.empty(), "front_svg: no points to plot");
  for (size_t i = 0; i < spec.points.size(); ++i) {
    const PlotPoint& p = spec.points[i];
    QTNAS_CHECK(std::isfinite(p.latency_ms) && p.latency_ms > 0,
                "front_svg: point {} ('{}') has latency {} ms; expected a finite number above 0", i, p.label,
                p.latency_ms);
    QTNAS_CHECK(std::isfinite(p.accuracy), "front_svg: point {} ('{}') has accuracy {}; expected a finite number",
                i, p.label, p.accuracy);
  }
  QTNAS_CHECK(std::isfinite(spec.latency_budget_ms) && spec.latency_budget_ms >= 0,
              "front_svg: latency budget {} ms; expected a finite number, or 0 for none", spec.latency_budget_ms);
}

enum class LegendEntry { Front, Feasible, Infeasible, Budget };

struct Legend {
  std::vector<LegendEntry> entries;  // only the kinds the picture shows, top to bottom
  double width = 0;
  double height = 0;
};

std::string legend_text(LegendEntry entry) {
  switch (entry) {
    case LegendEntry::Front: return "Pareto front";
    case LegendEntry::Feasible: return "other candidates";
    case LegendEntry::Infeasible: return "infeasible";
    case LegendEntry::Budget: return "latency budget";
  }
  return "";
}

// The first corner of the plot (top left, bottom right, top right, bottom left) where the legend box covers
// the fewest points.
std::pair<double, double> legend_origin(const Legend& legend, const std::vector<std::pair<double, double>>& px) {
  const double inset = 10;
  const double left = kLeft + inset;
  const double right = kWidth - kRight - inset - legend.width;
  const double top = kTop + inset;
  const double bottom = kHeight - kBottom - inset - legend.height;
  const std::pair<double, double> corners[] = {{left, top}, {right, bottom}, {right, top}, {left, bottom}};
  std::pair<double, double> best = corners[0];
  size_t best_covered = std::numeric_limits<size_t>::max();
  for (const auto& [x, y] : corners) {
    size_t covered = 0;
    for (const auto& [cx, cy] : px) {
      covered += cx >= x - 5 && cx <= x + legend.width + 5 && cy >= y - 5 && cy <= y + legend.height + 5;
    }
    if (covered < best_covered) {
      best = {x, y};
      best_covered = covered;
    }
  }
  return best;
}

constexpr double kPlotLeft = kLeft;
constexpr double kPlotRight = kWidth - kRight;
constexpr double kPlotTop = kTop;
constexpr double kPlotBottom = kHeight - kBottom;

// The document as it is written, element by element.
struct SvgText {
  std::string text;
  template <typename... Args>
  void put(const Args&... args) {
    fmt::format_to(std::back_inserter(text), args...);
  }
};

struct PlotAxes {
  Axis x, y;
};

// Latency (budget included) on x, log when it spans more than a decade; accuracy in percent on y.
PlotAxes plot_axes(const PlotSpec& spec) {
  const auto& points = spec.points;
  double lat_min = points[0].latency_ms;
  double lat_max = lat_min;
  double acc_min = points[0].accuracy * 100;
  double acc_max = acc_min;
  for (const auto& p : points) {
    lat_min = std::min(lat_min, p.latency_ms);
    lat_max = std::max(lat_max, p.latency_ms);
    acc_min = std::min(acc_min, p.accuracy * 100);
    acc_max = std::max(acc_max, p.accuracy * 100);
  }
  if (spec.latency_budget_ms > 0) {
    lat_min = std::min(lat_min, spec.latency_budget_ms);
    lat_max = std::max(lat_max, spec.latency_budget_ms);
  }
  Axis x = lat_max > 10 * lat_min ? log_axis(lat_min, lat_max)
                                  : linear_axis(lat_min, lat_max, std::numeric_limits<double>::infinity());
  x.px_lo = kPlotLeft;
  x.px_hi = kPlotRight;
  Axis y = linear_axis(acc_min, acc_max, 100);
  y.px_lo = kPlotBottom;
  y.px_hi = kPlotTop;
  return {x, y};
}

// The opening tag, the tooltip title, the background and the visible title.
void put_header(SvgText& svg, const std::string& title) {
  svg.put("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{0}\" height=\"{1}\" viewBox=\"0 0 {0} {1}\" "
          "font-family=\"DejaVu Sans, Helvetica, Arial, sans-serif\" font-size=\"12\">\n",
          kWidth, kHeight);
  if (!title.empty()) svg.put("<title>{}</title>\n", escape(title));
  svg.put("<rect width=\"{}\" height=\"{}\" fill=\"#ffffff\"/>\n", kWidth, kHeight);
  if (!title.empty()) {
    svg.put("<text x=\"{:.1f}\" y=\"24\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">{}</text>\n",
            (kPlotLeft + kPlotRight) / 2, escape(title));
  }
}

void put_grid_and_frame(SvgText& svg, const PlotAxes& axes) {
  svg.put("<g class=\"grid\" stroke=\"#e8e8e8\" stroke-width=\"1\">\n");
  for (double t : axes.x.ticks) {
    svg.put("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\"/>\n", axes.x.to_px(t), kPlotTop,
            kPlotBottom);
  }
  for (double t : axes.y.ticks) {
    svg.put("<line x1=\"{1:.1f}\" y1=\"{0:.1f}\" x2=\"{2:.1f}\" y2=\"{0:.1f}\"/>\n", axes.y.to_px(t), kPlotLeft,
            kPlotRight);
  }
  svg.put("</g>\n");
  svg.put("<rect class=\"frame\" x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"none\" "
          "stroke=\"#555555\"/>\n",
          kPlotLeft, kPlotTop, kPlotRight - kPlotLeft, kPlotBottom - kPlotTop);
}

// Ticks, tick labels and titles of both axes.
void put_axes(SvgText& svg, const PlotAxes& axes) {
  const Axis& x = axes.x;
  svg.put("<g class=\"x-axis\" data-scale=\"{}\" text-anchor=\"middle\" fill=\"#333333\">\n", x.log ? "log" : "linear");
  for (double t : x.ticks) {
    const double px = x.to_px(t);
    svg.put("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"#555555\"/>\n", px,
            kPlotBottom, kPlotBottom + 5);
    svg.put("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", px, kPlotBottom + 19, x.tick_label(t));
  }
  svg.put("<text x=\"{:.1f}\" y=\"{:.1f}\" font-size=\"13\">{}</text>\n", (kPlotLeft + kPlotRight) / 2,
          kHeight - 14, x.log ? "latency (ms, log scale)" : "latency (ms)");
  svg.put("</g>\n");

  const Axis& y = axes.y;
  svg.put("<g class=\"y-axis\" text-anchor=\"end\" fill=\"#333333\">\n");
  for (double t : y.ticks) {
    const double py = y.to_px(t);
    svg.put("<line x1=\"{1:.1f}\" y1=\"{0:.1f}\" x2=\"{2:.1f}\" y2=\"{0:.1f}\" stroke=\"#555555\"/>\n", py,
            kPlotLeft - 5, kPlotLeft);
    svg.put("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", kPlotLeft - 8, py + 4, y.tick_label(t));
  }
  svg.put("<text transform=\"translate(18 {:.1f}) rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">"
          "accuracy (%)</text>\n",
          (kPlotTop + kPlotBottom) / 2);
  svg.put("</g>\n");
}

void put_budget(SvgText& svg, const Axis& x, double budget_ms) {
  const double bx = x.to_px(budget_ms);
  svg.put("<g class=\"budget-marker\">\n");
  svg.put("<line class=\"budget\" x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" "
          "stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>\n",
          bx, kPlotTop, kPlotBottom, kBudgetColour);
  // Above the plot area, so that it never covers points or the legend; kept inside the picture near its edges.
  const std::string label = fmt::format("budget {:g} ms", budget_ms);
  const double half_width = kCharWidth * static_cast<double>(label.size()) / 2;
  const char* anchor = bx + half_width > kWidth - 4 ? "end" : bx - half_width < 4 ? "start" : "middle";
  svg.put("<text x=\"{:.1f}\" y=\"{:.1f}\" text-anchor=\"{}\" fill=\"{}\">{}</text>\n", bx, kPlotTop - 6, anchor,
          kBudgetColour, label);
  svg.put("</g>\n");
}

// The front's members by latency (then accuracy): the order of the step line.
std::vector<const PlotPoint*> front_members(const std::vector<PlotPoint>& points) {
  std::vector<const PlotPoint*> front;
  for (const auto& p : points) {
    if (p.on_front) front.push_back(&p);
  }
  std::sort(front.begin(), front.end(), [](const PlotPoint* a, const PlotPoint* b) {
    return a->latency_ms != b->latency_ms ? a->latency_ms < b->latency_ms : a->accuracy < b->accuracy;
  });
  return front;
}

void put_front_line(SvgText& svg, const PlotAxes& axes, const std::vector<const PlotPoint*>& front) {
  if (front.size() < 2) return;
  // A step: the accuracy reachable within a latency holds until the next front member's latency.
  svg.put("<path class=\"front-line\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.5\" d=\"M{:.1f},{:.1f}",
          kFrontColour, axes.x.to_px(front[0]->latency_ms), axes.y.to_px(front[0]->accuracy * 100));
  for (size_t i = 1; i < front.size(); ++i) {
    svg.put(" H{:.1f} V{:.1f}", axes.x.to_px(front[i]->latency_ms), axes.y.to_px(front[i]->accuracy * 100));
  }
  svg.put("\"/>\n");
}

// What the legend needs to know of the drawn points.
struct DrawnPoints {
  std::vector<std::pair<double, double>> px;  // centres, in drawing order
  bool any_feasible = false;                   // off the front
  bool any_infeasible = false;                 // off the front
};

void put_point(SvgText& svg, const PlotAxes& axes, const PlotPoint& p, DrawnPoints& drawn) {
  const double cx = axes.x.to_px(p.latency_ms);
  const double cy = axes.y.to_px(p.accuracy * 100);
  drawn.px.emplace_back(cx, cy);
  const char* colour = p.on_front ? kFrontColour : kCandidateColour;
  const double r = p.on_front ? 4.5 : 3.5;
  // A zero-opacity fill still takes the mouse, so hollow points show their tooltip too.
  const std::string paint =
      p.feasible ? fmt::format("fill=\"{}\" fill-opacity=\"{}\" stroke=\"{}\" stroke-width=\"{}\"", colour,
                               p.on_front ? 1.0 : 0.6, p.on_front ? "#ffffff" : "none", p.on_front ? 0.8 : 0)
                 : fmt::format("fill=\"#ffffff\" fill-opacity=\"0\" stroke=\"{}\" stroke-width=\"1.2\"", colour);
  svg.put("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"{}\" {}><title>{}\n{:.4g} ms, {:.2f}% accuracy{}{}</title>"
          "</circle>\n",
          cx, cy, r, paint, escape(p.label), p.latency_ms, p.accuracy * 100, p.feasible ? "" : ", infeasible",
          p.on_front ? ", on the front" : "");
}

DrawnPoints put_points(SvgText& svg, const PlotAxes& axes, const std::vector<PlotPoint>& points,
                       const std::vector<const PlotPoint*>& front) {
  DrawnPoints drawn;
  svg.put("<g class=\"points\">\n");
  for (const auto& p : points) {
    if (p.on_front) continue;
    (p.feasible ? drawn.any_feasible : drawn.any_infeasible) = true;
    put_point(svg, axes, p, drawn);
  }
  for (const PlotPoint* p : front) put_point(svg, axes, *p, drawn);  // on top of the others
  svg.put("</g>\n");
  return drawn;
}

constexpr double kLegendRow = 18;

Legend make_legend(bool any_front, const DrawnPoints& drawn, bool any_budget) {
  Legend legend;
  if (any_front) legend.entries.push_back(LegendEntry::Front);
  if (drawn.any_feasible) legend.entries.push_back(LegendEntry::Feasible);
  if (drawn.any_infeasible) legend.entries.push_back(LegendEntry::Infeasible);
  if (any_budget) legend.entries.push_back(LegendEntry::Budget);
  size_t longest = 0;
  for (LegendEntry e : legend.entries) longest = std::max(longest, legend_text(e).size());
  legend.width = 42 + kCharWidth * static_cast<double>(longest);
  legend.height = 8 + kLegendRow * static_cast<double>(legend.entries.size());
  return legend;
}

// An entry's symbol centred at (cx, cy).
void put_legend_symbol(SvgText& svg, LegendEntry e, double cx, double cy) {
  if (e == LegendEntry::Front) {
    svg.put("<line x1=\"{:.1f}\" y1=\"{:.1f}\" x2=\"{:.1f}\" y2=\"{:.1f}\" stroke=\"{}\" stroke-width=\"1.5\"/>\n",
            cx - 11, cy, cx + 11, cy, kFrontColour);
    svg.put("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"4.5\" fill=\"{}\" stroke=\"#ffffff\" stroke-width=\"0.8\"/>\n",
            cx, cy, kFrontColour);
  } else if (e == LegendEntry::Feasible) {
    svg.put("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"{}\" fill-opacity=\"0.6\"/>\n", cx, cy,
            kCandidateColour);
  } else if (e == LegendEntry::Infeasible) {
    svg.put("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3.5\" fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\"/>\n",
            cx, cy, kCandidateColour);
  } else {
    svg.put("<line x1=\"{0:.1f}\" y1=\"{1:.1f}\" x2=\"{0:.1f}\" y2=\"{2:.1f}\" stroke=\"{3}\" stroke-width=\"1.5\" "
            "stroke-dasharray=\"4 3\"/>\n",
            cx, cy - 7, cy + 7, kBudgetColour);
  }
}

void put_legend(SvgText& svg, const Legend& legend, const std::vector<std::pair<double, double>>& px) {
  if (legend.entries.empty()) return;
  const auto [lx, ly] = legend_origin(legend, px);
  svg.put("<g class=\"legend\">\n");
  svg.put("<rect x=\"{:.1f}\" y=\"{:.1f}\" width=\"{:.1f}\" height=\"{:.1f}\" fill=\"#ffffff\" "
          "fill-opacity=\"0.9\" stroke=\"#cccccc\"/>\n",
          lx, ly, legend.width, legend.height);
  for (size_t i = 0; i < legend.entries.size(); ++i) {
    const LegendEntry e = legend.entries[i];
    const double cy = ly + 4 + kLegendRow * (static_cast<double>(i) + 0.5);
    put_legend_symbol(svg, e, lx + 18, cy);
    svg.put("<text x=\"{:.1f}\" y=\"{:.1f}\">{}</text>\n", lx + 36, cy + 4, legend_text(e));
  }
  svg.put("</g>\n");
}

}  // namespace

std::string front_svg(const PlotSpec& spec) {
  check_input(spec);
  const PlotAxes axes = plot_axes(spec);
  const bool any_budget = spec.latency_budget_ms > 0;
  SvgText svg;
  put_header(svg, spec.title);
  put_grid_and_frame(svg, axes);
  put_axes(svg, axes);
  if (any_budget) put_budget(svg, axes.x, spec.latency_budget_ms);
  const std::vector<const PlotPoint*> front = front_members(spec.points);
  put_front_line(svg, axes, front);
  const DrawnPoints drawn = put_points(svg, axes, spec.points, front);
  put_legend(svg, make_legend(!front.empty(), drawn, any_budget), drawn.px);
  svg.put("</svg>\n");
  return std::move(svg.text);
}

}  // namespace qtnas
