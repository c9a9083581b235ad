#include "search/zdt.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <string_view>

#include "space/error.h"

namespace qtnas {
namespace {

constexpr double kPi = 3.14159265358979323846;

}  // namespace

const char* to_string(ZdtProblem problem) {
  switch (problem) {
    case ZdtProblem::ZDT1: return "zdt1";
    case ZdtProblem::ZDT2: return "zdt2";
    case ZdtProblem::ZDT3: return "zdt3";
  }
  return "?";
}

Zdt::Zdt(ZdtConfig config) : config_(config) {
  QTNAS_CHECK(config_.variables >= 2, "zdt: needs at least 2 variables, got {}", config_.variables);
  QTNAS_CHECK(config_.levels >= 2, "zdt: needs at least 2 levels per variable, got {}", config_.levels);
  QTNAS_CHECK(config_.distribution_index >= 0, "zdt: the distribution index must be >= 0, got {}",
              config_.distribution_index);
}

std::vector<int> Zdt::parse(const std::string& key) const {
  std::vector<int> levels;
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find(',', start);
    if (end == std::string::npos) end = key.size();
    const std::string_view item(key.data() + start, end - start);
    int level = -1;
    const auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), level);
    QTNAS_CHECK(ec == std::errc() && ptr == item.data() + item.size() && level >= 0 && level < config_.levels,
                "zdt key '{}': variable {} is '{}', not a level in 0..{}", key, levels.size(), item,
                config_.levels - 1);
    levels.push_back(level);
    start = end + 1;
  }
  QTNAS_CHECK(static_cast<int>(levels.size()) == config_.variables, "zdt key '{}' has {} variables; the problem has {}",
              key, levels.size(), config_.variables);
  return levels;
}

std::string Zdt::key(const std::vector<int>& levels) const {
  return fmt::format("{}", fmt::join(levels, ","));
}

std::string Zdt::sample(Rng& rng) const {
  std::vector<int> levels(config_.variables);
  for (int& level : levels) level = static_cast<int>(rng.uniform(config_.levels));
  return key(levels);
}

std::string Zdt::mutate(const std::string& parent, Rng& rng) const {
  std::vector<int> levels = parse(parent);
  const int top = config_.levels - 1;
  const double exponent = 1.0 / (config_.distribution_index + 1);
  const auto step = [&](int& level) {
    // Polynomial mutation on the unit interval; a step that rounds to nothing still moves one level.
    const double u = rng.uniform01();
    const double delta = u < 0.5 ? std::pow(2 * u, exponent) - 1 : 1 - std::pow(2 * (1 - u), exponent);
    int moved = std::clamp(static_cast<int>(std::lround(level + delta * top)), 0, top);
    if (moved == level) moved = level == 0 ? 1 : level == top ? top - 1 : level + (delta < 0 ? -1 : 1);
    level = moved;
  };
  bool changed = false;
  for (int& level : levels) {
    if (rng.bernoulli(1.0 / config_.variables)) {
      step(level);
      changed = true;
    }
  }
  if (!changed) step(levels[rng.uniform(levels.size())]);
  return key(levels);
}

std::string Zdt::crossover(const std::string& a, const std::string& b, Rng& rng) const {
  const std::vector<int> la = parse(a);
  const std::vector<int> lb = parse(b);
  std::vector<int> child(la.size());
  for (size_t i = 0; i < la.size(); ++i) {
    if (rng.bernoulli(0.5)) {
      child[i] = rng.bernoulli(0.5) ? la[i] : lb[i];
      continue;
    }
    const double lo = std::min(la[i], lb[i]);
    const double hi = std::max(la[i], lb[i]);
    const double spread = 0.5 * (hi - lo);
    const double value = lo - spread + rng.uniform01() * (hi - lo + 2 * spread);
    child[i] = std::clamp(static_cast<int>(std::lround(value)), 0, config_.levels - 1);
  }
  return key(child);
}

std::vector<double> Zdt::evaluate(const std::string& key) const {
  const std::vector<int> levels = parse(key);
  const double top = config_.levels - 1;
  const double f1 = levels[0] / top;
  double sum = 0;
  for (size_t i = 1; i < levels.size(); ++i) sum += levels[i] / top;
  const double g = 1 + 9 * sum / (levels.size() - 1);
  const double h = f1 / g;
  double f2 = 0;
  switch (config_.problem) {
    case ZdtProblem::ZDT1: f2 = g * (1 - std::sqrt(h)); break;
    case ZdtProblem::ZDT2: f2 = g * (1 - h * h); break;
    case ZdtProblem::ZDT3: f2 = g * (1 - std::sqrt(h) - h * std::sin(10 * kPi * f1)); break;
  }
  return {f1, f2};
}

}  // namespace qtnas
