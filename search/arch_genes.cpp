#include "search/arch_genes.h"

#include <algorithm>
#include <utility>

#include "space/error.h"

namespace qtnas {
namespace {

Arch parse_in(const SearchSpace& space, const std::string& key) {
  Arch arch = parse_arch(key);
  space.validate(arch);
  return arch;
}

}  // namespace

ArchGeneOps::ArchGeneOps(SearchSpace space, ArchGeneOptions options)
    : space_(std::move(space)), options_(std::move(options)) {
  const double p = options_.gene_probability;
  QTNAS_CHECK(p >= 0 && p <= 1, "arch genes: gene probability must be in [0, 1] (0 = 1/genes), got {}", p);
  gene_probability_ = p > 0 ? p : 1.0 / (5.0 * space_.config().layers);
  QTNAS_CHECK(options_.max_repair_steps >= 0, "arch genes: max repair steps must be >= 0, got {}",
              options_.max_repair_steps);
  QTNAS_CHECK(options_.repair_candidates >= 1, "arch genes: repair candidates must be >= 1, got {}",
              options_.repair_candidates);
  QTNAS_CHECK(!(options_.latency_budget_ms < 0), "arch genes: latency budget {} ms is negative",
              options_.latency_budget_ms);
}

std::string ArchGeneOps::sample(Rng& rng) const { return to_string(space_.sample(rng)); }

std::string ArchGeneOps::mutate(const std::string& parent, Rng& rng) const {
  return to_string(space_.mutate(parse_in(space_, parent), rng, gene_probability_));
}

std::string ArchGeneOps::crossover(const std::string& a, const std::string& b, Rng& rng) const {
  return to_string(space_.crossover(parse_in(space_, a), parse_in(space_, b), rng));
}

std::vector<Arch> ArchGeneOps::shrinking_moves(const Arch& arch) const {
  const SpaceConfig& c = space_.config();  // choice lists are sorted by the SearchSpace constructor
  Precision cheapest = c.precisions.front();
  for (Precision p : c.precisions) {
    if (bytes_per_weight(p) < bytes_per_weight(cheapest)) cheapest = p;
  }
  const bool can_skip = c.ffn_choices.front() == 0;
  const bool may_drop_layer = arch.active_layers() > c.min_active_layers;

  std::vector<Arch> moves;
  const auto add = [&](size_t i, const LayerArch& layer) {
    Arch moved = arch;
    moved.layers[i] = layer;
    moves.push_back(SearchSpace::with_keep_non_increasing(std::move(moved)));  // later layers follow a lower keep
  };
  for (size_t i = 0; i < arch.layers.size(); ++i) {
    const LayerArch& l = arch.layers[i];
    if (l.skipped()) continue;
    if (l.heads > 1 || (l.heads == 1 && l.ffn > 0)) {
      LayerArch fewer = l;
      --fewer.heads;
      add(i, fewer);
    }
    const auto ffn = std::lower_bound(c.ffn_choices.begin(), c.ffn_choices.end(), l.ffn);
    if (ffn != c.ffn_choices.begin() && (*(ffn - 1) > 0 || l.heads > 0)) {
      LayerArch narrower = l;
      narrower.ffn = *(ffn - 1);
      add(i, narrower);
    }
    const auto sparsity = std::upper_bound(c.sparsity_pct_choices.begin(), c.sparsity_pct_choices.end(),
                                           l.sparsity_pct);
    if (sparsity != c.sparsity_pct_choices.end()) {
      LayerArch sparser = l;
      sparser.sparsity_pct = *sparsity;
      add(i, sparser);
    }
    if (bytes_per_weight(cheapest) < bytes_per_weight(l.precision)) {
      LayerArch cheaper = l;
      cheaper.precision = cheapest;
      add(i, cheaper);
    }
    const auto keep = std::lower_bound(c.keep_pct_choices.begin(), c.keep_pct_choices.end(), l.keep_pct);
    if (keep != c.keep_pct_choices.begin()) {
      LayerArch fewer_tokens = l;
      fewer_tokens.keep_pct = *(keep - 1);
      add(i, fewer_tokens);
    }
    if (can_skip && may_drop_layer) add(i, LayerArch{});
  }
  return moves;
}

std::string ArchGeneOps::repair(const std::string& key, Rng& rng) const {
  Arch arch = parse_in(space_, key);
  if (!options_.predict_latency_ms) return to_string(arch);
  const auto& predict = options_.predict_latency_ms;
  const double budget = options_.latency_budget_ms;
  double latency = predict(arch);
  for (int step = 0; step < options_.max_repair_steps && latency > budget; ++step) {
    std::vector<Arch> moves = shrinking_moves(arch);
    if (moves.empty()) break;
    const size_t draws = std::min(moves.size(), static_cast<size_t>(options_.repair_candidates));
    size_t best = moves.size();
    double best_latency = latency;
    for (size_t k = 0; k < draws; ++k) {
      // A partial Fisher-Yates shuffle: moves[k] becomes a uniform draw among those not drawn yet.
      std::swap(moves[k], moves[k + rng.uniform(moves.size() - k)]);
      const double predicted = predict(moves[k]);
      if (predicted < best_latency) {
        best = k;
        best_latency = predicted;
      }
    }
    if (best == moves.size()) continue;  // none of the drawn moves helps: draw others
    arch = std::move(moves[best]);
    latency = best_latency;
  }
  return to_string(arch);
}

}  // namespace qtnas
