#include "supernet/optimizer.h"

#include <ATen/Parallel.h>

#include <cmath>

#include "space/error.h"
#include "supernet/adamw_kernel.h"

namespace qtnas {
namespace {

// The key under which LibTorch's optimizers keep a parameter's state: its TensorImpl's address, as a string.
std::string state_key(const torch::Tensor& param) { return c10::guts::to_string(param.unsafeGetTensorImpl()); }

}  // namespace

torch::optim::AdamWParamState* adamw_state(torch::optim::AdamW& optimizer, const torch::Tensor& param) {
  auto& states = optimizer.state();
  const auto it = states.find(state_key(param));
  return it == states.end() ? nullptr : &static_cast<torch::optim::AdamWParamState&>(*it->second);
}

double clip_coefficient(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> norms;
  for (const auto& p : params) {
    if (p.grad().defined()) norms.push_back(p.grad().norm(2));
  }
  if (norms.empty()) return 1.0;
  // As clip_grad_norm_ computes it: the 2-norm of the per-tensor norms, in the gradients' dtype.
  const double total = (norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2)).item<double>();
  return std::min(1.0, max_norm / (total + 1e-6));
}

void FusedAdamW::step_scaled(double grad_scale) {
  torch::NoGradGuard no_grad;
  for (auto& group : param_groups()) {
    const auto& options = static_cast<const torch::optim::AdamWOptions&>(group.options());
    QTNAS_ASSERT(!options.amsgrad(), "FusedAdamW does not implement amsgrad");
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      QTNAS_ASSERT(p.scalar_type() == torch::kFloat && p.is_contiguous() && p.grad().is_contiguous(),
                  "FusedAdamW needs contiguous fp32 parameters and gradients");
      auto& slot = state_[state_key(p)];
      if (!slot) {
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        slot = std::move(fresh);
      }
      auto& state = static_cast<torch::optim::AdamWParamState&>(*slot);
      state.step(state.step() + 1);
      const auto [beta1, beta2] = options.betas();
      const double bias_correction1 = 1 - std::pow(beta1, state.step());
      const double bias_correction2 = 1 - std::pow(beta2, state.step());
      // The scalars as LibTorch's tensor ops see them: each double rounded to fp32 once.
      AdamWScalars scalars;
      scalars.grad_scale = static_cast<float>(grad_scale);
      scalars.decay = static_cast<float>(1 - options.lr() * options.weight_decay());
      scalars.beta1 = static_cast<float>(beta1);
      scalars.one_minus_beta1 = static_cast<float>(1 - beta1);
      scalars.beta2 = static_cast<float>(beta2);
      scalars.one_minus_beta2 = static_cast<float>(1 - beta2);
      scalars.sqrt_bias_correction2 = static_cast<float>(std::sqrt(bias_correction2));
      scalars.eps = static_cast<float>(options.eps());
      scalars.neg_step_size = static_cast<float>(-options.lr() / bias_correction1);
      float* w = p.data_ptr<float>();
      const float* g = p.grad().data_ptr<float>();
      float* m = state.exp_avg().data_ptr<float>();
      float* v = state.exp_avg_sq().data_ptr<float>();
      at::parallel_for(0, p.numel(), 1 << 14, [&](int64_t begin, int64_t end) {
        adamw_update(w + begin, g + begin, m + begin, v + begin, end - begin, scalars);
      });
    }
  }
}

torch::Tensor FusedAdamW::step(LossClosure closure) {
  QTNAS_ASSERT(closure == nullptr, "FusedAdamW::step takes no closure");
  step_scaled(1.0);
  return {};
}

void FusedAdamW::release_grads() {
  for (auto& group : param_groups()) {
    for (auto& p : group.params()) p.mutable_grad().reset();
  }
}

}  // namespace qtnas
