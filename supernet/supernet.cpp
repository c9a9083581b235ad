#include "supernet/supernet.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "space/error.h"
#include "supernet/attention_matmul.h"
#include "supernet/numerics.h"

namespace qtnas {
namespace {

constexpr double kInitStd = 0.02;   // BERT's initializer range
constexpr double kMaskBias = -1e9;  // added to attention scores of padding keys

torch::Tensor normal_param(torch::nn::Module& m, const std::string& name, std::vector<int64_t> shape) {
  return m.register_parameter(name, torch::randn(shape) * kInitStd);
}

torch::Tensor zero_param(torch::nn::Module& m, const std::string& name, int64_t size) {
  return m.register_parameter(name, torch::zeros({size}));
}

// The sliced, masked weight of a linear at the layer's sparsity.
torch::Tensor pruned(const torch::Tensor& w, int sparsity_pct) {
  return sparsity_pct == 0 ? w : w * magnitude_mask(w, sparsity_pct);
}

// A linear of a layer, at its precision and sparsity. INT8 inputs have their padding rows zeroed (keep [B, L, 1])
// so that padding never moves the dynamic range.
torch::Tensor layer_linear(const torch::Tensor& in, const torch::Tensor& keep, const torch::Tensor& w,
                           const torch::Tensor& b, const LayerArch& arch) {
  const bool int8 = arch.precision == Precision::INT8;
  return linear_at_precision(int8 ? in * keep : in, pruned(w, arch.sparsity_pct), b, arch.precision);
}

}  // namespace

// Four elements' 16 random bits from one 64-bit draw: Bernoulli sampling, which torch::dropout uses, is serial
// on the CPU, and one random number an element was the costliest non-matmul work of a training step
// (bench_train_step --profile shows it).
torch::Tensor inverted_dropout(const torch::Tensor& x, double p, bool train) {
  if (!train || p <= 0) return x;
  const int64_t n = x.numel();
  const int64_t drops = std::llround(p * 65536.0);  // of the 65536 values of 16 bits, how many drop
  if (drops >= 65536) return x * 0;
  const torch::Tensor bits = torch::empty({(n + 3) / 4}, torch::kLong)
                                 .random_(std::numeric_limits<int64_t>::min(), c10::optional<int64_t>())
                                 .view(torch::kShort)
                                 .narrow(0, 0, n)
                                 .view(x.sizes());
  // Read as int16, the bits are uniform over [-32768, 32767]: the lowest `drops` values drop.
  const torch::Tensor keep = bits.ge(drops - 32768).to(x.scalar_type()).mul_(65536.0 / double(65536 - drops));
  return x * keep;
}

std::vector<bool> ranking_layers(const Arch& arch) {
  std::vector<bool> ranks(arch.layers.size(), false);
  int kept_pct = 100, last_attention = -1;
  for (size_t i = 0; i < arch.layers.size(); ++i) {
    const LayerArch& layer = arch.layers[i];
    if (layer.skipped()) continue;
    if (layer.heads > 0) last_attention = int(i);
    if (layer.keep_pct < kept_pct && last_attention >= 0) ranks[last_attention] = true;
    kept_pct = std::min(kept_pct, layer.keep_pct);
  }
  return ranks;
}

SuperLayerImpl::SuperLayerImpl(int hidden, int max_heads, int head_dim_, int max_ffn) : head_dim(head_dim_) {
  const int64_t inner = int64_t{max_heads} * head_dim;
  attn_norm = register_module("attn_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
  ffn_norm = register_module("ffn_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
  wq = normal_param(*this, "wq", {inner, hidden});
  bq = zero_param(*this, "bq", inner);
  wk = normal_param(*this, "wk", {inner, hidden});
  bk = zero_param(*this, "bk", inner);
  wv = normal_param(*this, "wv", {inner, hidden});
  bv = zero_param(*this, "bv", inner);
  wo = normal_param(*this, "wo", {hidden, inner});
  bo = zero_param(*this, "bo", hidden);
  w1 = normal_param(*this, "w1", {max_ffn, hidden});
  b1 = zero_param(*this, "b1", max_ffn);
  w2 = normal_param(*this, "w2", {hidden, max_ffn});
  b2 = zero_param(*this, "b2", hidden);
}

SelfAttention SuperLayerImpl::attention(const torch::Tensor& x, const torch::Tensor& key_bias,
                                        const torch::Tensor& keep, const LayerArch& arch) {
  const int64_t batch = x.size(0), len = x.size(1), inner = int64_t{arch.heads} * head_dim;
  const torch::Tensor h = attn_norm(x);
  auto heads_of = [&](const torch::Tensor& t) {  // [B, L, k*d] -> [B, L, k, d], a view
    return t.view({batch, len, arch.heads, head_dim});
  };
  // One matmul for q, k and v (as the exported module does): the per-row numerics (magnitude masks, int8
  // weight scales) are those of the three separate weights, and the input's int8 range is the same.
  const torch::Tensor w = torch::cat({wq.narrow(0, 0, inner), wk.narrow(0, 0, inner), wv.narrow(0, 0, inner)});
  const torch::Tensor b = torch::cat({bq.narrow(0, 0, inner), bk.narrow(0, 0, inner), bv.narrow(0, 0, inner)});
  const std::vector<torch::Tensor> qkv = layer_linear(h, keep, w, b, arch).chunk(3, -1);
  const torch::Tensor q = heads_of(qkv[0]), k = heads_of(qkv[1]), v = heads_of(qkv[2]);
  const torch::Tensor scores = head_scores(q, k) / std::sqrt(double(head_dim)) + key_bias;
  return {torch::softmax(scores, -1), v};
}

torch::Tensor SuperLayerImpl::attention_output(const torch::Tensor& x, const SelfAttention& a,
                                               const torch::Tensor& keep, const LayerArch& arch, double dropout) {
  const bool train = is_training();
  const int64_t inner = int64_t{arch.heads} * head_dim;
  const torch::Tensor probs = inverted_dropout(a.probs, dropout, train);
  const torch::Tensor context =
      head_context(probs.to(a.v.scalar_type()), a.v).reshape({x.size(0), x.size(1), inner});
  return x + inverted_dropout(layer_linear(context, keep, wo.narrow(1, 0, inner), bo, arch), dropout, train);
}

torch::Tensor received_attention(const SelfAttention& a, const torch::Tensor& keep) {
  return (a.probs.to(torch::kFloat).sum(1) * keep).sum(1);  // over heads first; keep zeroes padding queries
}

torch::Tensor SuperLayerImpl::feed_forward(torch::Tensor x, const torch::Tensor& keep, const LayerArch& arch,
                                           double dropout) {
  if (arch.ffn == 0) return x;
  const torch::Tensor h = ffn_norm(x);
  const torch::Tensor a =
      torch::gelu(layer_linear(h, keep, w1.narrow(0, 0, arch.ffn), b1.narrow(0, 0, arch.ffn), arch));
  return x + inverted_dropout(layer_linear(a, keep, w2.narrow(1, 0, arch.ffn), b2, arch), dropout, is_training());
}

SupernetImpl::SupernetImpl(const SpaceConfig& config, double dropout) : space_(config), dropout_(dropout) {
  const SpaceConfig& c = space_.config();
  tok_embedding = register_module("tok_embedding", torch::nn::Embedding(c.vocab_size, c.hidden));
  pos_embedding = register_module("pos_embedding", torch::nn::Embedding(c.max_seq_len, c.hidden));
  embedding_norm = register_module("embedding_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden})));
  for (int i = 0; i < c.layers; ++i) {
    layers.push_back(register_module("layer" + std::to_string(i),
                                     SuperLayer(c.hidden, c.max_heads, c.head_dim, c.ffn_choices.back())));
  }
  final_norm = register_module("final_norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({c.hidden})));
  classifier = register_module("classifier", torch::nn::Linear(c.hidden, c.num_classes));
  torch::NoGradGuard no_grad;
  for (auto* e : {&tok_embedding, &pos_embedding}) (*e)->weight.normal_(0, kInitStd);
  classifier->weight.normal_(0, kInitStd);
  classifier->bias.zero_();
}

torch::Tensor SupernetImpl::forward(const torch::Tensor& ids, const torch::Tensor& pad, const Arch& arch) {
  torch::Tensor padding;
  const torch::Tensor h = encode(ids, pad, arch, &padding);
  if (space_.config().pooling == Pooling::Cls) return classifier(h.select(1, 0).to(torch::kFloat));  // kept first
  const torch::Tensor real = padding.logical_not().to(torch::kFloat).unsqueeze(-1);
  return classifier((h.to(torch::kFloat) * real).sum(1) / real.sum(1));
}

torch::Tensor SupernetImpl::encode(const torch::Tensor& ids, const torch::Tensor& pad, const Arch& arch,
                                   torch::Tensor* pad_out) {
  space_.validate(arch);
  const int64_t len = ids.size(1);
  QTNAS_CHECK(len <= space_.config().max_seq_len, "input of {} tokens is longer than the supernet's {}", len,
              space_.config().max_seq_len);
  // index_select and narrow rather than the embedding op: the op's CPU backward adds the gradient one token at
  // a time, index_select's in one vectorized pass. Positions are 0..len-1.
  const torch::Tensor tokens = tok_embedding->weight.index_select(0, ids.reshape(-1)).view({ids.size(0), len, -1});
  torch::Tensor x = embedding_norm(tokens + pos_embedding->weight.narrow(0, 0, len).unsqueeze(0));
  x = inverted_dropout(x, dropout_, is_training());
  torch::Tensor padding = pad, key_bias, keep;
  const auto set_masks = [&] {  // from `padding`: once, and again after each selection
    key_bias = padding.to(torch::kFloat).mul(kMaskBias).view({padding.size(0), 1, 1, -1});
    keep = padding.logical_not().to(torch::kFloat).unsqueeze(-1);
  };
  set_masks();
  const std::vector<bool> ranks = ranking_layers(arch);
  torch::Tensor lengths, score;  // only for an arch that drops tokens: n of each example, attention received
  int kept_pct = 100;
  for (size_t i = 0; i < layers.size(); ++i) {
    const LayerArch& layer = arch.layers[i];
    if (layer.skipped()) continue;
    // Where the layer drops tokens: the positions kept, with x, the padding and the masks cut to them.
    const auto select = [&] {
      if (!lengths.defined()) lengths = pad.logical_not().sum(1);
      if (!score.defined()) score = torch::zeros(padding.sizes());  // no attention yet: the first tokens
      const torch::Tensor chosen = choose_tokens(padding, score, kept_token_counts(lengths, layer.keep_pct));
      x = gather_rows(x, chosen, 1);
      set_masks();
      kept_pct = layer.keep_pct;
      return chosen;
    };
    const bool drops = layer.keep_pct < kept_pct;
    if (layer.heads > 0) {
      SelfAttention a = layers[i]->attention(x, key_bias, keep, layer);
      if (ranks[i]) score = received_attention(a, keep);
      if (drops) a.probs = gather_rows(a.probs, select(), 2);  // only the kept queries go on
      x = layers[i]->attention_output(x, a, keep, layer, dropout_);
    } else if (drops) {
      select();
    }
    x = layers[i]->feed_forward(x, keep, layer, dropout_);
  }
  if (pad_out) *pad_out = padding;
  return final_norm(x);
}

torch::Tensor kept_token_counts(const torch::Tensor& lengths, int keep_pct) {
  return (lengths * keep_pct + 99).div(100, "floor").clamp_min(1);
}

torch::Tensor choose_tokens(torch::Tensor& pad, torch::Tensor& score, const torch::Tensor& keep) {
  const double big = 1e30;
  // Padding never, [CLS] always; a stable sort sends ties to the earlier position.
  torch::Tensor ranked = score.masked_fill(pad, -big);
  ranked.select(1, 0).fill_(big);
  const torch::Tensor order = std::get<1>(torch::sort(ranked, /*stable=*/true, /*dim=*/1, /*descending=*/true));
  const int64_t width = keep.max().item<int64_t>();
  // Row b's first keep[b] choices, in their order; its other columns (up to the widest row) are padding, sorted
  // last by an index past every token, then pointed at [CLS] (their content is ignored).
  const int64_t past = pad.size(1);
  const torch::Tensor extra = torch::arange(width, torch::kLong).unsqueeze(0).ge(keep.unsqueeze(1));
  const torch::Tensor sorted = std::get<0>(torch::sort(order.narrow(1, 0, width).masked_fill(extra, past),
                                                       /*stable=*/true, /*dim=*/1, /*descending=*/false));
  pad = sorted.eq(past);
  const torch::Tensor chosen = sorted.masked_fill(pad, 0);
  score = score.gather(1, chosen);
  return chosen;
}

torch::Tensor gather_rows(const torch::Tensor& t, const torch::Tensor& chosen, int64_t dim) {
  std::vector<int64_t> shape(t.dim(), 1), sizes = t.sizes().vec();
  shape[0] = chosen.size(0);
  shape[dim] = chosen.size(1);
  sizes[dim] = chosen.size(1);
  return t.gather(dim, chosen.view(shape).expand(sizes));
}

Supernet clone_supernet(const Supernet& net) {
  Supernet copy(net->space().config(), net->dropout());
  torch::NoGradGuard no_grad;
  auto source = net->named_parameters();
  for (auto& p : copy->named_parameters()) p.value().copy_(source[p.key()]);
  return copy;
}

}  // namespace qtnas
