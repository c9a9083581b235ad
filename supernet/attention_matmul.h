// The two matmuls of multi-head attention, on q, k and v in the [B, L, H, d] layout the fused q/k/v linear gives
// them (strided views, not copies), with their gradients.
//
// Why not torch::matmul: it copies q, k and v into [B, H, L, d], and at::bmm (LibTorch 1.13, fp32, OpenBLAS)
// runs each (example, head) matrix as its own addmm, about 1 us of dispatch per matrix of a few thousand
// multiply-adds. Here each matrix is one BLAS sgemm on the strided view. fp32 only: other dtypes, and any tensor
// under CPU autocast (where the matmul must run in bf16), take torch::matmul, with the same results.
#pragma once

#include <torch/torch.h>

namespace qtnas {

// scores[b, h] = q[b, :, h, :] k[b, :, h, :]^T. q [B, Lq, H, d], k [B, Lk, H, d] -> [B, H, Lq, Lk].
torch::Tensor head_scores(const torch::Tensor& q, const torch::Tensor& k);

// context[b, :, h, :] = probs[b, h] v[b, :, h, :]. probs [B, H, Lq, Lk], v [B, Lk, H, d] -> [B, Lq, H, d].
torch::Tensor head_context(const torch::Tensor& probs, const torch::Tensor& v);

}  // namespace qtnas
