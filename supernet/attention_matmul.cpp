#include "supernet/attention_matmul.h"

#include <cblas.h>

#include <ATen/autocast_mode.h>

namespace qtnas {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// A matrix of a batched operand: element (i, j) of matrix (b, h) is at data[b * sb + h * sh + i * ld + j].
// Built for [B, L, H, d] tensors (rows are tokens) and [B, H, L, L] tensors (rows are queries).
struct Strided {
  float* data;
  int64_t sb, sh, ld;
  float* at(int64_t b, int64_t h) const { return data + b * sb + h * sh; }
};

// A view BLAS can read as it is (unit stride along d, rows at least d apart), or else a contiguous copy.
torch::Tensor tokens_ready(const torch::Tensor& t) {  // [B, L, H, d]: rows are t.stride(1) apart
  return t.stride(3) == 1 && t.stride(1) >= t.size(3) ? t : t.contiguous();
}
torch::Tensor heads_ready(const torch::Tensor& t) {  // [B, H, L, L]: rows are t.stride(2) apart
  return t.stride(3) == 1 && t.stride(2) >= t.size(3) ? t : t.contiguous();
}
Strided tokens_major(const torch::Tensor& t) {  // [B, L, H, d]
  return {t.data_ptr<float>(), t.stride(0), t.stride(2), t.stride(1)};
}
Strided heads_major(const torch::Tensor& t) {  // [B, H, L, L]
  return {t.data_ptr<float>(), t.stride(0), t.stride(1), t.stride(2)};
}

// c(b, h) = op(a(b, h)) op(b(b, h)) for every example and head: c is m x n, the inner dim is k.
void batched_gemm(bool trans_a, bool trans_b, int64_t batch, int64_t heads, int64_t m, int64_t n, int64_t k,
                  const Strided& a, const Strided& b, const Strided& c) {
  for (int64_t i = 0; i < batch; ++i) {
    for (int64_t h = 0; h < heads; ++h) {
      cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, m, n, k,
                  1.0f, a.at(i, h), a.ld, b.at(i, h), b.ld, 0.0f, c.at(i, h), c.ld);
    }
  }
}

bool blas_path(const torch::Tensor& a, const torch::Tensor& b) {
  return a.scalar_type() == torch::kFloat && b.scalar_type() == torch::kFloat && !at::autocast::is_cpu_enabled();
}

struct HeadScores : torch::autograd::Function<HeadScores> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor q, torch::Tensor k) {
    q = tokens_ready(q);
    k = tokens_ready(k);
    const int64_t batch = q.size(0), lq = q.size(1), heads = q.size(2), d = q.size(3), lk = k.size(1);
    torch::Tensor scores = torch::empty({batch, heads, lq, lk}, q.options());
    batched_gemm(false, true, batch, heads, lq, lk, d, tokens_major(q), tokens_major(k), heads_major(scores));
    ctx->save_for_backward({q, k});
    return scores;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &q = saved[0], &k = saved[1], g = heads_ready(grads[0]);
    const int64_t batch = q.size(0), lq = q.size(1), heads = q.size(2), d = q.size(3), lk = k.size(1);
    torch::Tensor dq = torch::empty({batch, lq, heads, d}, q.options());
    torch::Tensor dk = torch::empty({batch, lk, heads, d}, k.options());
    batched_gemm(false, false, batch, heads, lq, d, lk, heads_major(g), tokens_major(k), tokens_major(dq));
    batched_gemm(true, false, batch, heads, lk, d, lq, heads_major(g), tokens_major(q), tokens_major(dk));
    return {dq, dk};
  }
};

struct HeadContext : torch::autograd::Function<HeadContext> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor probs, torch::Tensor v) {
    probs = heads_ready(probs);
    v = tokens_ready(v);
    const int64_t batch = probs.size(0), heads = probs.size(1), lq = probs.size(2), lk = probs.size(3);
    const int64_t d = v.size(3);
    torch::Tensor context = torch::empty({batch, lq, heads, d}, v.options());
    batched_gemm(false, false, batch, heads, lq, d, lk, heads_major(probs), tokens_major(v), tokens_major(context));
    ctx->save_for_backward({probs, v});
    return context;
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const torch::Tensor &probs = saved[0], &v = saved[1], g = tokens_ready(grads[0]);
    const int64_t batch = probs.size(0), heads = probs.size(1), lq = probs.size(2), lk = probs.size(3);
    const int64_t d = v.size(3);
    torch::Tensor dprobs = torch::empty({batch, heads, lq, lk}, probs.options());
    torch::Tensor dv = torch::empty({batch, lk, heads, d}, v.options());
    batched_gemm(false, true, batch, heads, lq, lk, d, tokens_major(g), tokens_major(v), heads_major(dprobs));
    batched_gemm(true, false, batch, heads, lk, d, lq, heads_major(probs), tokens_major(g), tokens_major(dv));
    return {dprobs, dv};
  }
};

}  // namespace

torch::Tensor head_scores(const torch::Tensor& q, const torch::Tensor& k) {
  if (!blas_path(q, k)) return torch::matmul(q.transpose(1, 2), k.permute({0, 2, 3, 1}));
  return HeadScores::apply(q, k);
}

torch::Tensor head_context(const torch::Tensor& probs, const torch::Tensor& v) {
  if (!blas_path(probs, v)) return torch::matmul(probs, v.transpose(1, 2)).transpose(1, 2);
  return HeadContext::apply(probs, v);
}

}  // namespace qtnas
