// The search space: the supernet's maximum dimensions and the per-layer choice lists. It samples, mutates and
// crosses over archs, validates them (messages name the layer and the allowed values) and computes their size.
// All members are const and thread-safe; randomness comes from the caller's Rng.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "space/arch.h"
#include "space/rng.h"

namespace qtnas {

// What the classifier reads from the encoder's last layer: the vector of [CLS], or the mean of the vectors of the
// example's real tokens (those the last layer kept, [CLS] included).
enum class Pooling { Cls, Mean };
std::string to_string(Pooling pooling);
// "cls" or "mean"; throws qtnas::Error on another name.
Pooling parse_pooling(const std::string& name);

struct SpaceConfig {
  int layers = 6;
  int hidden = 256;
  int max_heads = 4;
  int head_dim = 64;
  std::vector<int> ffn_choices = {0, 256, 512, 768, 1024};  // 0 = no FFN
  std::vector<int> sparsity_pct_choices = {0, 50, 75, 90};
  std::vector<Precision> precisions = {Precision::FP32, Precision::BF16, Precision::INT8};
  // Token keep ratios in percent (LayerArch::keep_pct); must include 100. {100}: no token elimination, and a
  // space whose text form and hash are those it had before the gene existed.
  std::vector<int> keep_pct_choices = {100};
  int min_active_layers = 1;       // archs with fewer non-skipped layers are invalid
  double skip_probability = 0.2;   // chance that sample() skips a layer
  // Fixed parts of every subnet, stored in fp32: token and position embeddings, classifier.
  int vocab_size = 8000;
  int max_seq_len = 64;
  int num_classes = 45;
  // Fixed like the dimensions above. Cls is what a space without the field (older files) means; a new space of
  // the command is default_space()'s.
  Pooling pooling = Pooling::Cls;
};

// The space of the `qtnas` commands where no option changes it: SpaceConfig's fields, with mean pooling (on
// WordNet's validation split it beat [CLS] pooling; README "Supernet").
SpaceConfig default_space();

// Canonical "key=value;..." text of every field; its stable hash identifies the space.
std::string to_string(const SpaceConfig& config);
// Throws qtnas::Error naming the first inconsistent field.
void validate(const SpaceConfig& config);

// A list in the comma-separated form the parsers below read back: "0,256,512", "fp32,int8".
std::string list_text(const std::vector<int>& values);
std::string list_text(const std::vector<Precision>& values);
// Parses a comma-separated list: "0,256,512". parse_sparsity_list also takes fractions: "0,0.5,0.75,0.9".
// parse_keep_list takes fractions of the tokens or percents, a value up to 1 being a fraction: "1,0.75,0.5" is
// {100, 75, 50}, as is "100,75,50".
std::vector<int> parse_int_list(const std::string& text, const std::string& what);
std::vector<int> parse_sparsity_list(const std::string& text);
std::vector<int> parse_keep_list(const std::string& text);
std::vector<Precision> parse_precision_list(const std::string& text);

struct ArchSize {
  int64_t params = 0;      // parameters of the sliced subnet, dense count (pruned weights included)
  int64_t nonzeros = 0;    // parameters left after pruning
  int64_t size_bytes = 0;  // stored size: weights at their precision, sparse matrices compressed (see below)
};

// Weights kept in each row of a [out, in] matrix pruned by magnitude at `sparsity_pct`: the supernet masks and
// the exporter's compressed format both use exactly this count.
int64_t kept_per_row(int64_t in_features, int sparsity_pct);

class SearchSpace {
 public:
  explicit SearchSpace(SpaceConfig config);  // validates the config

  const SpaceConfig& config() const { return config_; }
  uint64_t hash() const { return hash_; }
  std::string hash_hex() const;

  // Every layer at full width, sparsity 0, the given precision.
  Arch largest(Precision precision = Precision::FP32) const;
  // The first min_active_layers layers with 1 head and the smallest non-zero FFN width, sparsity 0, the given
  // precision, the smallest keep ratio; the other layers skipped.
  Arch smallest(Precision precision = Precision::FP32) const;

  Arch sample(Rng& rng) const;
  // Each gene (heads, ffn, sparsity, precision, keep ratio if the space has several, and skip/unskip of a whole
  // layer) is redrawn with probability gene_probability; at least one gene changes. The result is valid and
  // normalized.
  Arch mutate(const Arch& parent, Rng& rng, double gene_probability) const;
  // Uniform crossover by layer. The result is valid and normalized.
  Arch crossover(const Arch& a, const Arch& b, Rng& rng) const;
  // The keep ratios made non-increasing from layer to layer: each layer's keep is lowered to the previous
  // layer's when above it (then normalized). sample, mutate and crossover end with it.
  static Arch with_keep_non_increasing(Arch arch);

  // All the ways `arch` falls outside this space, each naming the layer and the allowed values; empty if valid.
  std::vector<std::string> problems(const Arch& arch) const;
  // Throws qtnas::Error with every problem, joined by "; ".
  void validate(const Arch& arch) const;
  // An arch as a user names it: an arch string, or "largest" / "smallest" (FP32); validated against this space.
  Arch arch_named(const std::string& text) const;

  // Sizes: embeddings, layer norms, biases and the classifier in fp32; each linear weight matrix at its layer's
  // precision (int8 adds one fp32 scale per output row); a matrix with sparsity > 0 is stored as a bitmap of
  // the kept positions (1 bit per weight) plus the kept weights.
  ArchSize size(const Arch& arch) const;

  // log10 of the number of distinct normalized archs.
  double log10_cardinality() const;

 private:
  LayerArch sample_layer(Rng& rng) const;
  bool has_keep_gene() const { return config_.keep_pct_choices.size() > 1; }
  template <typename T>
  static T pick(const std::vector<T>& choices, Rng& rng) {
    return choices[rng.uniform(choices.size())];
  }

  SpaceConfig config_;
  uint64_t hash_;
};

}  // namespace qtnas
