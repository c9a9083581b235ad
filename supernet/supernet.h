// The weight-sharing supernet: a pre-LayerNorm BERT-style encoder at the space's maximum size (token and
// position embeddings, layers of multi-head attention and GELU FFN, pooling of [CLS] or of the mean of the real
// tokens (SpaceConfig::pooling), a linear classifier).
// Any Arch of the space runs by slicing the shared weights: the first k heads, the first m FFN neurons; a layer
// with neither is skipped. Each layer's six linear weights are pruned by magnitude per row at its sparsity and
// run at its precision with the export's numerics (supernet/numerics.h). Embeddings and classifier stay fp32.
// Token elimination (LayerArch::keep_pct, after the Length-Adaptive Transformer): a layer whose keep is below the
// previous layer's passes on, after its attention and before its FFN, the ceil(keep% x n) of the example's n
// unpadded tokens that received the most attention in it (summed over heads and real queries); [CLS] is always
// kept and the kept tokens stay in their order. A layer without heads ranks by the last attention before it, or,
// with none, keeps the first tokens. Ties go to the earlier position.
#pragma once

#include <torch/torch.h>

#include "space/search_space.h"

namespace qtnas {

// Inverted dropout for training: each element is zeroed with probability p rounded to a multiple of 2^-16
// (0.1 -> 6554/65536) and the others are scaled by 1/(1 - that probability). The masks come from LibTorch's
// CPU generator (torch::manual_seed and its saved state reproduce them). Returns x itself when !train or p <= 0.
torch::Tensor inverted_dropout(const torch::Tensor& x, double p, bool train);

// One layer's attention before its output: probabilities [B, heads, L, L] (before dropout; queries by keys) and
// values [B, L, heads, head_dim].
struct SelfAttention {
  torch::Tensor probs, v;
};

// The attention each key received, summed over heads and over the real queries (keep [B, L, 1]): [B, L] fp32.
torch::Tensor received_attention(const SelfAttention& a, const torch::Tensor& keep);

struct SuperLayerImpl : torch::nn::Module {
  SuperLayerImpl(int hidden, int max_heads, int head_dim, int max_ffn);

  // A layer is its attention sub-layer, attention() then attention_output(), then feed_forward(); token
  // selection may come between the two halves of the attention (exactly as the exported module does it), so that
  // the context and output projection are computed for the kept queries only. x [B, L, hidden]; key_bias
  // [B, 1, 1, L] (0 or a large negative number for padding); keep [B, L, 1] (1 for real tokens, 0 for padding:
  // zeroes padding rows before int8 linears so that padding never moves their range). Both halves need heads > 0.
  SelfAttention attention(const torch::Tensor& x, const torch::Tensor& key_bias, const torch::Tensor& keep,
                          const LayerArch& arch);
  // x plus the attention's output for the queries of `a.probs` [B, heads, L', L], which are x's rows [B, L'];
  // keep [B, L', 1] marks their padding.
  torch::Tensor attention_output(const torch::Tensor& x, const SelfAttention& a, const torch::Tensor& keep,
                                 const LayerArch& arch, double dropout);
  torch::Tensor feed_forward(torch::Tensor x, const torch::Tensor& keep, const LayerArch& arch, double dropout);

  int head_dim;
  torch::nn::LayerNorm attn_norm{nullptr}, ffn_norm{nullptr};
  torch::Tensor wq, bq, wk, bk, wv, bv, wo, bo;  // q/k/v: [heads*head_dim, hidden]; o: [hidden, heads*head_dim]
  torch::Tensor w1, b1, w2, b2;                  // w1: [max_ffn, hidden]; w2: [hidden, max_ffn]
};
TORCH_MODULE(SuperLayer);

struct SupernetImpl : torch::nn::Module {
  explicit SupernetImpl(const SpaceConfig& space, double dropout = 0.1);

  // Logits [B, num_classes] of `arch` for token ids [B, L] (int64, [CLS] first) and padding [B, L] (bool, true
  // where padded). Throws qtnas::Error if the arch is not in the space. Dropout applies in train() mode only.
  torch::Tensor forward(const torch::Tensor& ids, const torch::Tensor& pad, const Arch& arch);
  // The encoder's output under `arch`, after the final layer norm: [B, L, hidden], what forward() pools
  // and what masked-language-model pretraining predicts tokens from. With token elimination the rows are the
  // kept tokens ([B, L' <= L], [CLS] first, in order; `pad_out`, when given, says which rows are padding).
  torch::Tensor encode(const torch::Tensor& ids, const torch::Tensor& pad, const Arch& arch,
                       torch::Tensor* pad_out = nullptr);

  const SearchSpace& space() const { return space_; }
  double dropout() const { return dropout_; }

  torch::nn::Embedding tok_embedding{nullptr}, pos_embedding{nullptr};
  torch::nn::LayerNorm embedding_norm{nullptr}, final_norm{nullptr};
  torch::nn::Linear classifier{nullptr};
  std::vector<SuperLayer> layers;

 private:
  SearchSpace space_;
  double dropout_;
};
TORCH_MODULE(Supernet);

// Token elimination on a padded batch: of the tokens that `pad` [B, L] leaves, row b keeps keep[b] (>= 1),
// those of highest `score` [B, L] with position 0 always first and ties to the earlier position, in their order.
// Returns their positions [B, max keep] (the columns past keep[b] point at position 0 and are padding); `pad`
// and `score` become those of the kept rows.
torch::Tensor choose_tokens(torch::Tensor& pad, torch::Tensor& score, const torch::Tensor& keep);

// The rows `chosen` [B, L'] of t along `dim` (1 for x [B, L, H], 2 for attention probabilities [B, h, L, L]).
torch::Tensor gather_rows(const torch::Tensor& t, const torch::Tensor& chosen, int64_t dim);

// Which layers' received attention a forward of `arch` ranks tokens by: for each layer that drops tokens (keep
// below the previous layer's), the last layer with heads at or before it. Only these sum their attention.
std::vector<bool> ranking_layers(const Arch& arch);

// ceil(keep_pct / 100 * n) for each n of `lengths` [B] (int64), at least 1.
torch::Tensor kept_token_counts(const torch::Tensor& lengths, int keep_pct);

// A real copy (own weights) of a supernet, e.g. to train a subnet alone from the same initialization.
Supernet clone_supernet(const Supernet& net);

}  // namespace qtnas
