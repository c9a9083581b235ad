#include "space/search_space.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <sstream>

#include "space/error.h"
#include "space/hash.h"

namespace qtnas {

std::string list_text(const std::vector<int>& values) { return fmt::format("{}", fmt::join(values, ",")); }

std::string list_text(const std::vector<Precision>& values) {
  std::vector<std::string> names;
  for (Precision p : values) names.push_back(to_string(p));
  return fmt::format("{}", fmt::join(names, ","));
}

namespace {

template <typename T>
bool contains(const std::vector<T>& values, const T& v) {
  return std::find(values.begin(), values.end(), v) != values.end();
}

template <typename T>
void sort_unique(std::vector<T>& values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
}

std::vector<std::string> split_list(const std::string& text, const std::string& what) {
  std::vector<std::string> items;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    QTNAS_CHECK(!item.empty(), "{} list '{}' has an empty item", what, text);
    items.push_back(item);
  }
  QTNAS_CHECK(!items.empty(), "{} list is empty", what);
  return items;
}

// Bytes and non-zeros of one [out, in] linear weight at a precision and sparsity (see SearchSpace::size).
void add_matrix(ArchSize& s, int64_t out, int64_t in, Precision p, int sparsity_pct) {
  const int64_t kept = sparsity_pct > 0 ? kept_per_row(in, sparsity_pct) : in;
  s.params += out * in;
  s.nonzeros += out * kept;
  s.size_bytes += out * kept * bytes_per_weight(p);
  if (sparsity_pct > 0) s.size_bytes += (out * in + 7) / 8;
  if (p == Precision::INT8) s.size_bytes += 4 * out;
}

void add_fp32(ArchSize& s, int64_t count) {
  s.params += count;
  s.nonzeros += count;
  s.size_bytes += 4 * count;
}

}  // namespace

SpaceConfig default_space() {
  SpaceConfig c;
  c.pooling = Pooling::Mean;
  return c;
}

std::string to_string(const SpaceConfig& c) {
  std::string text = fmt::format(
      "layers={};hidden={};max_heads={};head_dim={};ffn={};sparsity_pct={};precisions={};min_active_layers={};"
      "vocab_size={};max_seq_len={};num_classes={}",
      c.layers, c.hidden, c.max_heads, c.head_dim, list_text(c.ffn_choices), list_text(c.sparsity_pct_choices),
      list_text(c.precisions), c.min_active_layers, c.vocab_size, c.max_seq_len, c.num_classes);
  // Only a space with token elimination names it: every other space keeps the hash it always had.
  if (c.keep_pct_choices != std::vector<int>{100}) text += ";keep_pct=" + list_text(c.keep_pct_choices);
  // Likewise: a [CLS]-pooled space keeps its hash.
  if (c.pooling != Pooling::Cls) text += ";pooling=" + to_string(c.pooling);
  return text;
}

std::string to_string(Pooling pooling) { return pooling == Pooling::Mean ? "mean" : "cls"; }

Pooling parse_pooling(const std::string& name) {
  if (name == "cls") return Pooling::Cls;
  if (name == "mean") return Pooling::Mean;
  QTNAS_FAIL("unknown pooling '{}' (allowed: cls, mean)", name);
}

void validate(const SpaceConfig& c) {
  QTNAS_CHECK(c.layers >= 1, "space: layers must be at least 1, got {}", c.layers);
  QTNAS_CHECK(c.hidden >= 1, "space: hidden must be positive, got {}", c.hidden);
  QTNAS_CHECK(c.max_heads >= 1, "space: max_heads must be at least 1, got {}", c.max_heads);
  QTNAS_CHECK(c.head_dim >= 1, "space: head_dim must be positive, got {}", c.head_dim);
  QTNAS_CHECK(!c.ffn_choices.empty(), "space: the ffn choice list is empty");
  for (int f : c.ffn_choices) QTNAS_CHECK(f >= 0, "space: ffn width {} is negative", f);
  QTNAS_CHECK(!c.sparsity_pct_choices.empty(), "space: the sparsity choice list is empty");
  for (int s : c.sparsity_pct_choices) {
    QTNAS_CHECK(s >= 0 && s < 100, "space: sparsity {}% is outside [0, 100)", s);
  }
  QTNAS_CHECK(!c.precisions.empty(), "space: the precision list is empty");
  for (int k : c.keep_pct_choices) QTNAS_CHECK(k >= 1 && k <= 100, "space: keep {}% is outside 1..100", k);
  QTNAS_CHECK(contains(c.keep_pct_choices, 100), "space: the keep list must include 100 (every token)");
  QTNAS_CHECK(c.min_active_layers >= 1 && c.min_active_layers <= c.layers,
              "space: min_active_layers must be in 1..{}, got {}", c.layers, c.min_active_layers);
  QTNAS_CHECK(c.skip_probability >= 0 && c.skip_probability < 1, "space: skip_probability must be in [0, 1), got {}",
              c.skip_probability);
  QTNAS_CHECK(c.vocab_size >= 4, "space: vocab_size must be at least 4, got {}", c.vocab_size);
  QTNAS_CHECK(c.max_seq_len >= 1, "space: max_seq_len must be positive, got {}", c.max_seq_len);
  QTNAS_CHECK(c.num_classes >= 2, "space: num_classes must be at least 2, got {}", c.num_classes);
}

std::vector<int> parse_int_list(const std::string& text, const std::string& what) {
  std::vector<int> values;
  for (const auto& item : split_list(text, what)) {
    size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    QTNAS_CHECK(used == item.size(), "{} list '{}': '{}' is not an integer", what, text, item);
    values.push_back(v);
  }
  return values;
}

namespace {

// Each item of a list of percentages as a whole percent in [lowest, highest]; `fraction(item, value)` says whether
// an item is written as a fraction (0.5) rather than a percent (50).
std::vector<int> parse_percent_list(const std::string& text, const std::string& what, int lowest, int highest,
                                    const std::function<bool(const std::string&, double)>& fraction,
                                    const std::string& hint) {
  std::vector<int> values;
  for (const auto& item : split_list(text, what)) {
    size_t used = 0;
    double v = -1;
    try {
      v = std::stod(item, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    QTNAS_CHECK(used == item.size(), "{} list '{}': '{}' is not a number", what, text, item);
    const double pct = fraction(item, v) ? v * 100 : v;
    const long rounded = std::lround(pct);
    QTNAS_CHECK(std::fabs(pct - rounded) < 1e-6 && rounded >= lowest && rounded <= highest,
                "{} list '{}': '{}' is not a whole percent in [{}, {}] ({})", what, text, item, lowest, highest, hint);
    values.push_back(static_cast<int>(rounded));
  }
  return values;
}

}  // namespace

std::vector<int> parse_sparsity_list(const std::string& text) {
  return parse_percent_list(
      text, "sparsity", 0, 99, [](const std::string& item, double) { return item.find('.') != std::string::npos; },
      "write 0.5 or 50");
}

std::vector<int> parse_keep_list(const std::string& text) {
  return parse_percent_list(
      text, "keep", 1, 100, [](const std::string&, double v) { return v <= 1; }, "write 0.5 or 50; 1 is every token");
}

std::vector<Precision> parse_precision_list(const std::string& text) {
  std::vector<Precision> values;
  for (const auto& item : split_list(text, "precision")) values.push_back(parse_precision(item));
  return values;
}

int64_t kept_per_row(int64_t in_features, int sparsity_pct) {
  return in_features - in_features * sparsity_pct / 100;
}

SearchSpace::SearchSpace(SpaceConfig config) : config_(std::move(config)) {
  qtnas::validate(config_);
  sort_unique(config_.ffn_choices);
  sort_unique(config_.sparsity_pct_choices);
  sort_unique(config_.precisions);
  sort_unique(config_.keep_pct_choices);
  QTNAS_CHECK(config_.ffn_choices.back() > 0 || config_.max_heads > 0, "space: every layer would be empty");
  hash_ = stable_hash(to_string(config_));
}

std::string SearchSpace::hash_hex() const { return qtnas::hash_hex(hash_); }

Arch SearchSpace::largest(Precision precision) const {
  LayerArch layer{config_.max_heads, config_.ffn_choices.back(), 0, precision};
  return Arch{std::vector<LayerArch>(config_.layers, layer)};
}

Arch SearchSpace::smallest(Precision precision) const {
  int ffn = 0;
  for (int f : config_.ffn_choices) {
    if (f > 0) {
      ffn = f;
      break;
    }
  }
  Arch arch{std::vector<LayerArch>(config_.layers)};
  for (int i = 0; i < config_.min_active_layers; ++i) {
    arch.layers[i] = LayerArch{1, ffn, 0, precision, config_.keep_pct_choices.front()};
  }
  return normalized(std::move(arch));
}

LayerArch SearchSpace::sample_layer(Rng& rng) const {
  LayerArch layer;
  do {
    layer.heads = static_cast<int>(rng.uniform(config_.max_heads + 1));
    layer.ffn = pick(config_.ffn_choices, rng);
  } while (layer.skipped());
  layer.sparsity_pct = pick(config_.sparsity_pct_choices, rng);
  layer.precision = pick(config_.precisions, rng);
  if (has_keep_gene()) layer.keep_pct = pick(config_.keep_pct_choices, rng);  // no draw otherwise: same streams
  return layer;
}

Arch SearchSpace::with_keep_non_increasing(Arch arch) {
  int keep = 100;
  for (auto& layer : arch.layers) {
    layer.keep_pct = std::min(layer.keep_pct, keep);
    keep = layer.keep_pct;
  }
  return normalized(std::move(arch));
}

Arch SearchSpace::sample(Rng& rng) const {
  const bool can_skip = contains(config_.ffn_choices, 0);
  Arch arch;
  do {
    arch.layers.clear();
    for (int i = 0; i < config_.layers; ++i) {
      const bool skip = can_skip && rng.bernoulli(config_.skip_probability);
      arch.layers.push_back(skip ? LayerArch{} : sample_layer(rng));
    }
  } while (arch.active_layers() < config_.min_active_layers);
  return with_keep_non_increasing(std::move(arch));
}

Arch SearchSpace::mutate(const Arch& parent, Rng& rng, double gene_probability) const {
  validate(parent);
  const bool can_skip = contains(config_.ffn_choices, 0);
  // Bounded retries: a mutation that changes nothing or leaves too few layers is drawn again.
  for (int attempt = 0; attempt < 1000; ++attempt) {
    Arch child = parent;
    for (auto& layer : child.layers) {
      if (rng.bernoulli(gene_probability)) layer.heads = static_cast<int>(rng.uniform(config_.max_heads + 1));
      if (rng.bernoulli(gene_probability)) layer.ffn = pick(config_.ffn_choices, rng);
      if (rng.bernoulli(gene_probability)) layer.sparsity_pct = pick(config_.sparsity_pct_choices, rng);
      if (rng.bernoulli(gene_probability)) layer.precision = pick(config_.precisions, rng);
      if (has_keep_gene() && rng.bernoulli(gene_probability)) layer.keep_pct = pick(config_.keep_pct_choices, rng);
      if (rng.bernoulli(gene_probability)) {
        if (!layer.skipped() && can_skip) {
          layer = LayerArch{};
        } else if (layer.skipped()) {
          layer = sample_layer(rng);
        }
      }
      if (layer.skipped() && !can_skip) layer = sample_layer(rng);
    }
    child = with_keep_non_increasing(std::move(child));
    if (child != parent && child.active_layers() >= config_.min_active_layers) return child;
  }
  return parent;  // only reached in a space with a single arch
}

Arch SearchSpace::crossover(const Arch& a, const Arch& b, Rng& rng) const {
  validate(a);
  validate(b);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    Arch child;
    for (int i = 0; i < config_.layers; ++i) child.layers.push_back(rng.bernoulli(0.5) ? a.layers[i] : b.layers[i]);
    if (child.active_layers() >= config_.min_active_layers) return with_keep_non_increasing(std::move(child));
  }
  return a;
}

std::vector<std::string> SearchSpace::problems(const Arch& arch) const {
  std::vector<std::string> out;
  if (static_cast<int>(arch.layers.size()) != config_.layers) {
    out.push_back(fmt::format("the arch has {} layers; the space has {}", arch.layers.size(), config_.layers));
    return out;
  }
  const bool can_skip = contains(config_.ffn_choices, 0);
  int previous_keep = 100;
  for (int i = 0; i < config_.layers; ++i) {
    const LayerArch& l = arch.layers[i];
    if (l.skipped()) {  // passes the tokens on: its keep is the previous layer's (see normalized)
      if (!can_skip) out.push_back(fmt::format("layer {}: skipped, but ffn width 0 is not in the space", i));
      continue;
    }
    if (l.keep_pct > previous_keep) {
      out.push_back(fmt::format("layer {}: keep {}% is above the previous layer's {}% (a dropped token stays dropped)",
                                i, l.keep_pct, previous_keep));
    }
    previous_keep = l.keep_pct;
    if (l.heads < 0 || l.heads > config_.max_heads) {
      out.push_back(fmt::format("layer {}: {} heads is outside 0..{}", i, l.heads, config_.max_heads));
    }
    if (!contains(config_.ffn_choices, l.ffn)) {
      out.push_back(fmt::format("layer {}: ffn width {} is not one of {}", i, l.ffn, list_text(config_.ffn_choices)));
    }
    if (!contains(config_.sparsity_pct_choices, l.sparsity_pct)) {
      out.push_back(fmt::format("layer {}: sparsity {}% is not one of {} (percent)", i, l.sparsity_pct,
                                list_text(config_.sparsity_pct_choices)));
    }
    if (!contains(config_.precisions, l.precision)) {
      out.push_back(fmt::format("layer {}: precision {} is not one of {}", i, to_string(l.precision),
                                list_text(config_.precisions)));
    }
    if (!contains(config_.keep_pct_choices, l.keep_pct)) {
      out.push_back(fmt::format("layer {}: keep {}% is not one of {} (percent)", i, l.keep_pct,
                                list_text(config_.keep_pct_choices)));
    }
  }
  if (arch.active_layers() < config_.min_active_layers) {
    out.push_back(fmt::format("{} active layers; the space needs at least {}", arch.active_layers(),
                              config_.min_active_layers));
  }
  return out;
}

void SearchSpace::validate(const Arch& arch) const {
  const auto found = problems(arch);
  QTNAS_CHECK(found.empty(), "arch '{}' is not in the space: {}", to_string(arch), fmt::join(found, "; "));
}

ArchSize SearchSpace::size(const Arch& arch) const {
  validate(arch);
  const int64_t h = config_.hidden;
  ArchSize s;
  add_fp32(s, int64_t{config_.vocab_size} * h + int64_t{config_.max_seq_len} * h + 2 * h);  // embeddings + LN
  for (const auto& l : arch.layers) {
    if (l.heads > 0) {
      const int64_t inner = int64_t{l.heads} * config_.head_dim;
      for (int m = 0; m < 3; ++m) add_matrix(s, inner, h, l.precision, l.sparsity_pct);  // q, k, v
      add_matrix(s, h, inner, l.precision, l.sparsity_pct);                             // output
      add_fp32(s, 3 * inner + h + 2 * h);                                               // biases + LN
    }
    if (l.ffn > 0) {
      add_matrix(s, l.ffn, h, l.precision, l.sparsity_pct);
      add_matrix(s, h, l.ffn, l.precision, l.sparsity_pct);
      add_fp32(s, l.ffn + h + 2 * h);
    }
  }
  add_fp32(s, 2 * h + h * config_.num_classes + config_.num_classes);  // final LN + classifier
  return s;
}

double SearchSpace::log10_cardinality() const {
  const bool can_skip = contains(config_.ffn_choices, 0);
  const double widths = double(config_.max_heads + 1) * config_.ffn_choices.size() - (can_skip ? 1 : 0);
  const double active = widths * config_.sparsity_pct_choices.size() * config_.precisions.size();
  // Counted layer by layer: ways[a][k] = archs of the layers so far with a active layers whose last keep is
  // choice k (keeps never increase; a skipped layer keeps the keep before it).
  const size_t keeps = config_.keep_pct_choices.size();
  std::vector<std::vector<double>> ways(config_.layers + 1, std::vector<double>(keeps, 0.0));
  ways[0][keeps - 1] = 1;  // before the first layer every token is there: keep 100, the largest choice
  for (int layer = 0; layer < config_.layers; ++layer) {
    std::vector<std::vector<double>> next(config_.layers + 1, std::vector<double>(keeps, 0.0));
    for (int a = 0; a <= layer; ++a) {
      for (size_t k = 0; k < keeps; ++k) {
        if (ways[a][k] == 0) continue;
        if (can_skip) next[a][k] += ways[a][k];
        for (size_t j = 0; j <= k; ++j) next[a + 1][j] += ways[a][k] * active;
      }
    }
    ways = std::move(next);
  }
  double total = 0;
  for (int a = config_.min_active_layers; a <= config_.layers; ++a) {
    for (double w : ways[a]) total += w;
  }
  return std::log10(total);
}

Arch SearchSpace::arch_named(const std::string& text) const {
  const Arch arch = text == "largest" ? largest() : text == "smallest" ? smallest() : parse_arch(text);
  validate(arch);
  return arch;
}

}  // namespace qtnas
