#include "supernet/adamw_kernel.h"

#include <cmath>

namespace qtnas {

void adamw_update(float* __restrict w, const float* __restrict g, float* __restrict m, float* __restrict v,
                  int64_t n, const AdamWScalars& s) {
  const AdamWScalars c = s;  // by value: the compiler need not reload it after the stores
  for (int64_t i = 0; i < n; ++i) {
    // Each line is one of LibTorch's tensor operations, as its CPU kernel computes an element.
    const float gi = g[i] * c.grad_scale;                           // clip_grad_norm_: grad.mul_(coef)
    const float wi = w[i] * c.decay;                                // p.mul_(1 - lr * weight_decay)
    const float mi = m[i] * c.beta1 + c.one_minus_beta1 * gi;       // exp_avg.mul_(beta1).add_(grad, 1 - beta1)
    const float vi = v[i] * c.beta2 + c.one_minus_beta2 * gi * gi;  // exp_avg_sq.mul_(beta2).addcmul_(g, g, ..)
    const float denom = std::sqrt(vi) / c.sqrt_bias_correction2 + c.eps;  // (exp_avg_sq.sqrt() / ..).add_(eps)
    m[i] = mi;
    v[i] = vi;
    w[i] = wi + c.neg_step_size * mi / denom;  // p.addcdiv_(exp_avg, denom, -step_size)
  }
}

}  // namespace qtnas
