// The element loop of FusedAdamW (supernet/optimizer.h), apart so that it compiles without errno for sqrt:
// with errno GCC keeps the square root scalar, and 6.8M elements took 26.4 ms instead of 7.5 (AMD EPYC Zen 3).
#pragma once

#include <cstdint>

namespace qtnas {

// The fp32 scalars of one AdamW step, each a double of LibTorch's AdamW rounded to fp32 once.
struct AdamWScalars {
  float grad_scale;  // clip_grad_norm_'s coefficient (1: no clipping)
  float decay;       // 1 - lr * weight_decay
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
  float sqrt_bias_correction2, eps;
  float neg_step_size;  // -lr / bias_correction1
};

// Updates n elements of the parameter w and its moments m, v in place from the gradient g.
void adamw_update(float* w, const float* g, float* m, float* v, int64_t n, const AdamWScalars& s);

}  // namespace qtnas
