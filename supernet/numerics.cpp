#include "supernet/numerics.h"

#include "space/search_space.h"

namespace qtnas {
namespace {

// x + (value - x).detach(): forward gives `value`, backward passes the gradient to x unchanged.
torch::Tensor straight_through(const torch::Tensor& x, const torch::Tensor& value) {
  return x + (value - x).detach();
}

}  // namespace

torch::Tensor magnitude_mask(const torch::Tensor& w, int sparsity_pct) {
  torch::NoGradGuard no_grad;
  if (sparsity_pct == 0) return torch::ones_like(w);
  const int64_t kept = kept_per_row(w.size(1), sparsity_pct);
  const auto top = w.abs().topk(kept, /*dim=*/1, /*largest=*/true, /*sorted=*/false);
  return torch::zeros_like(w).scatter_(1, std::get<1>(top), 1.0);
}

QuantizedWeight quantize_weight_int8(const torch::Tensor& w) {
  torch::NoGradGuard no_grad;
  const torch::Tensor wf = w.to(torch::kFloat);
  torch::Tensor scales = std::get<0>(wf.abs().max(/*dim=*/1)) / 127.0;
  scales = torch::where(scales > 0, scales, torch::ones_like(scales));
  const torch::Tensor zero_points = torch::zeros({wf.size(0)}, torch::kLong);
  const torch::Tensor q = at::quantize_per_channel(wf, scales.to(torch::kDouble), zero_points, 0, torch::kQInt8);
  return {q.int_repr(), scales};
}

ActivationQParams activation_qparams(const torch::Tensor& x) {
  // The same routine the dynamic INT8 linear runs on its input.
  const auto qparams = at::_choose_qparams_per_tensor(x.detach().to(torch::kFloat), kReduceRange);
  return {std::get<0>(qparams), std::get<1>(qparams)};
}

torch::Tensor fake_quant_weight_int8(const torch::Tensor& w) {
  const QuantizedWeight q = quantize_weight_int8(w);
  const torch::Tensor dequantized = q.values.to(torch::kFloat) * q.scales.unsqueeze(1);
  return straight_through(w.to(torch::kFloat), dequantized);
}

torch::Tensor fake_quant_activation_uint8(const torch::Tensor& x) {
  const torch::Tensor xf = x.to(torch::kFloat);
  const ActivationQParams qp = activation_qparams(xf);
  torch::Tensor dequantized;
  {
    // The kernel's rounding, to the bit: q = nearbyint(float(float(x * inv) + zp)) with inv = float(1 / scale)
    // computed in double; each step below rounds to fp32 as it does (no fused multiply-add).
    torch::NoGradGuard no_grad;
    const float inv = static_cast<float>(1.0 / qp.scale);
    const torch::Tensor q = (xf.detach() * inv + static_cast<float>(qp.zero_point)).round().clamp(0, 255);
    dequantized = (q - static_cast<float>(qp.zero_point)) * static_cast<float>(qp.scale);
  }
  return straight_through(xf, dequantized);
}

torch::Tensor round_bf16(const torch::Tensor& x) {
  const torch::Tensor xf = x.to(torch::kFloat);
  return straight_through(xf, xf.detach().to(torch::kBFloat16).to(torch::kFloat));
}

torch::Tensor linear_at_precision(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& b,
                                  Precision precision) {
  switch (precision) {
    case Precision::FP32:
      return torch::linear(x, w, b);
    case Precision::BF16:
      return round_bf16(torch::linear(round_bf16(x), round_bf16(w), round_bf16(b)));
    case Precision::INT8:
      return torch::linear(fake_quant_activation_uint8(x), fake_quant_weight_int8(w), b.to(torch::kFloat));
  }
  return torch::linear(x, w, b);
}

}  // namespace qtnas
