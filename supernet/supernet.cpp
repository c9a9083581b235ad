#include "supernet/supernet.h"

#include <cmath>

#include "space/error.h"
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

}  // namespace

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

torch::Tensor SuperLayerImpl::forward(torch::Tensor x, const torch::Tensor& key_bias, const torch::Tensor& keep,
                                      const LayerArch& arch, double dropout) {
  const bool int8 = arch.precision == Precision::INT8;
  auto linear = [&](const torch::Tensor& in, const torch::Tensor& w, const torch::Tensor& b) {
    return linear_at_precision(int8 ? in * keep : in, pruned(w, arch.sparsity_pct), b, arch.precision);
  };
  const bool train = is_training();
  if (arch.heads > 0) {
    const int64_t batch = x.size(0), len = x.size(1), inner = int64_t{arch.heads} * head_dim;
    const torch::Tensor h = attn_norm(x);
    auto heads_of = [&](const torch::Tensor& t) {  // [B, L, k*d] -> [B, k, L, d]
      return t.view({batch, len, arch.heads, head_dim}).transpose(1, 2);
    };
    // One matmul for q, k and v (as the exported module does): the per-row numerics (magnitude masks, int8
    // weight scales) are those of the three separate weights, and the input's int8 range is the same.
    const torch::Tensor w = torch::cat({wq.narrow(0, 0, inner), wk.narrow(0, 0, inner), wv.narrow(0, 0, inner)});
    const torch::Tensor b = torch::cat({bq.narrow(0, 0, inner), bk.narrow(0, 0, inner), bv.narrow(0, 0, inner)});
    const std::vector<torch::Tensor> qkv = linear(h, w, b).chunk(3, -1);
    const torch::Tensor q = heads_of(qkv[0]), k = heads_of(qkv[1]), v = heads_of(qkv[2]);
    torch::Tensor scores = torch::matmul(q, k.transpose(-2, -1)) / std::sqrt(double(head_dim)) + key_bias;
    torch::Tensor probs = torch::dropout(torch::softmax(scores, -1), dropout, train);
    const torch::Tensor context = torch::matmul(probs.to(v.scalar_type()), v).transpose(1, 2).reshape({batch, len, inner});
    x = x + torch::dropout(linear(context, wo.narrow(1, 0, inner), bo), dropout, train);
  }
  if (arch.ffn > 0) {
    const torch::Tensor h = ffn_norm(x);
    const torch::Tensor a = torch::gelu(linear(h, w1.narrow(0, 0, arch.ffn), b1.narrow(0, 0, arch.ffn)));
    x = x + torch::dropout(linear(a, w2.narrow(1, 0, arch.ffn), b2), dropout, train);
  }
  return x;
}

SupernetImpl::SupernetImpl(const SpaceConfig& config, double dropout) : space_(config), dropout_(dropout) {
  const SpaceConfig& c = space_.config();
  // The arch gene exists (space/arch.h); the supernet's token selection does not yet, and a subnet must never be
  // scored as if it kept tokens it drops.
  QTNAS_CHECK(c.keep_pct_choices == std::vector<int>{100},
              "this supernet cannot drop tokens yet: its space must have keep ratios {{100}}, got {}",
              fmt::join(c.keep_pct_choices, ","));
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
  return classifier(encode(ids, pad, arch).select(1, 0).to(torch::kFloat));
}

torch::Tensor SupernetImpl::encode(const torch::Tensor& ids, const torch::Tensor& pad, const Arch& arch) {
  space_.validate(arch);
  const int64_t len = ids.size(1);
  QTNAS_CHECK(len <= space_.config().max_seq_len, "input of {} tokens is longer than the supernet's {}", len,
              space_.config().max_seq_len);
  const torch::Tensor positions = torch::arange(len, torch::kLong);
  torch::Tensor x = embedding_norm(tok_embedding(ids) + pos_embedding(positions).unsqueeze(0));
  x = torch::dropout(x, dropout_, is_training());
  const torch::Tensor key_bias = pad.to(torch::kFloat).mul(kMaskBias).view({pad.size(0), 1, 1, len});
  const torch::Tensor keep = pad.logical_not().to(torch::kFloat).unsqueeze(-1);
  for (size_t i = 0; i < layers.size(); ++i) {
    if (!arch.layers[i].skipped()) x = layers[i]->forward(x, key_bias, keep, arch.layers[i], dropout_);
  }
  return final_norm(x);
}

Supernet clone_supernet(const Supernet& net) {
  Supernet copy(net->space().config(), net->dropout());
  torch::NoGradGuard no_grad;
  auto source = net->named_parameters();
  for (auto& p : copy->named_parameters()) p.value().copy_(source[p.key()]);
  return copy;
}

}  // namespace qtnas
