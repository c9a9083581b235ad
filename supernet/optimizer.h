// AdamW for the trainer: the update of LibTorch's torch::optim::AdamW, computed in one pass over each parameter,
// with gradient-norm clipping folded into it.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace qtnas {

// The AdamW moments the optimizer holds for `param`, or null before its first step.
torch::optim::AdamWParamState* adamw_state(torch::optim::AdamW& optimizer, const torch::Tensor& param);

// The factor torch::nn::utils::clip_grad_norm_(params, max_norm) multiplies every gradient by:
// min(1, max_norm / (global 2-norm of the defined gradients + 1e-6)). 1 when no gradient is defined.
double clip_coefficient(const std::vector<torch::Tensor>& params, double max_norm);

// A torch::optim::AdamW (same options, same per-parameter state, so checkpoints and the importance reorder read
// and write it as before) whose step reads each parameter, gradient and moment once. LibTorch's step makes
// about ten passes over memory (a tensor operation per term) and clip_grad_norm_ one more; over the supernet's
// 6.8M parameters, fusing them made an fp32 sandwich step 6% faster (bench_train_step, AMD EPYC Zen 3, README).
// The arithmetic is LibTorch's, term for term, in fp32; results agree with it to rounding (a test checks).
// Parameters must be contiguous fp32 tensors; parameters without a gradient are skipped, as AdamW does.
class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;

  // One step, every gradient taken as `grad_scale` times its value (pass clip_coefficient() to clip). The
  // gradients themselves are left as they are.
  void step_scaled(double grad_scale);
  torch::Tensor step(LossClosure closure = nullptr) override;

  // Drops every gradient (instead of zeroing it): the next backward then writes a gradient in place of adding
  // to zeros.
  void release_grads();
};

}  // namespace qtnas
