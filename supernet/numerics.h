// The numerics a subnet's linear layers use, shared by training, proxy evaluation and export: magnitude
// sparsity masks, INT8 fake quantization matching the oneDNN dynamic INT8 linear, and bf16 rounding.
// All functions are pure (no state) and differentiable through a straight-through estimator where noted.
#pragma once

#include <torch/torch.h>

#include "space/precision.h"

namespace qtnas {

// Mask (same shape and dtype as w, 0/1) keeping in each row the kept_per_row(cols, sparsity_pct) weights of
// largest magnitude. Ties are broken by topk's order. No gradient flows through the mask.
torch::Tensor magnitude_mask(const torch::Tensor& w, int sparsity_pct);

// Per-output-row symmetric int8 weight quantization: scale[r] = max|w[r,:]| / 127 (1 if the row is zero),
// q = clamp(round_half_even(w / scale), -128, 127). Returns the int8 values and the fp32 scales.
struct QuantizedWeight {
  torch::Tensor values;  // int8 [out, in]
  torch::Tensor scales;  // fp32 [out]
};
QuantizedWeight quantize_weight_int8(const torch::Tensor& w);

// Dynamic per-tensor activation quantization as oneDNN's dynamic INT8 linear does it with reduce_range=true
// (the setting the export uses: with it the kernel accumulates in exact int32 on every ISA; without it, AVX2
// kernels saturate pairs of products to int16). The range [min(x, 0), max(x, 0)] of the whole tensor maps to
// 0..127 with a zero point.
inline constexpr bool kReduceRange = true;
struct ActivationQParams {
  double scale;
  int64_t zero_point;
};
ActivationQParams activation_qparams(const torch::Tensor& x);

// Quantize-dequantize in fp32 with a straight-through gradient (identity inside the range).
torch::Tensor fake_quant_weight_int8(const torch::Tensor& w);
torch::Tensor fake_quant_activation_uint8(const torch::Tensor& x);
// Round to the nearest bf16 value and back to fp32, straight-through gradient.
torch::Tensor round_bf16(const torch::Tensor& x);

// y = x w^T + b with w (already sliced and masked) at `precision`, as the exported module computes it:
// fp32 as is; bf16 with x, w, b and the output rounded to bf16; int8 with the activation quantized dynamically
// per tensor and the weight per row, the bias added in fp32.
torch::Tensor linear_at_precision(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                                  Precision precision);

}  // namespace qtnas
