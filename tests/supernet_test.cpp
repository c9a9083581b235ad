// Tests of supernet/: slicing, numerics against references (and against the real INT8 kernel), importance
// reorder, training, exact resume, checkpoints and their failure modes. Tiny spaces keep it fast.
#include <gtest/gtest.h>

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "space/error.h"
#include "supernet/attention_matmul.h"
#include "supernet/autocast.h"
#include "supernet/checkpoint.h"
#include "supernet/evaluate.h"
#include "supernet/importance.h"
#include "supernet/numerics.h"
#include "supernet/trainer.h"
#include "tests/expect_error.h"
#include "tests/files.h"
#include "tests/fixtures.h"

using namespace qtnas;
using namespace qtnas::testing;
namespace fs = std::filesystem;

namespace {

fs::path temp_path(const std::string& name) { return scratch_dir("qtnas_supernet_test") / name; }

CheckpointMeta tiny_meta(const SpaceConfig& space) { return {space, 0.1, {"a", "b", "c"}, "f00d", {}}; }

}  // namespace

TEST(Numerics, MagnitudeMaskKeepsTheLargestPerRow) {
  torch::manual_seed(0);
  const torch::Tensor w = torch::randn({7, 20});
  for (int pct : {0, 50, 75, 90}) {
    const torch::Tensor mask = magnitude_mask(w, pct);
    const int64_t kept = kept_per_row(20, pct);
    EXPECT_TRUE(mask.sum(1).eq(kept).all().item<bool>()) << pct;
    // Every kept weight is at least as large as every pruned one in its row.
    const torch::Tensor a = w.abs();
    const auto kept_min = std::get<0>(torch::where(mask.to(torch::kBool), a, torch::full_like(a, 1e9)).min(1));
    const auto pruned_max = std::get<0>(torch::where(mask.to(torch::kBool), torch::full_like(a, -1), a).max(1));
    EXPECT_TRUE(kept_min.ge(pruned_max).all().item<bool>()) << pct;
  }
}

TEST(Numerics, WeightFakeQuantMatchesScalarReference) {
  torch::manual_seed(1);
  const torch::Tensor w = torch::randn({5, 33});
  const torch::Tensor fq = fake_quant_weight_int8(w);
  auto wa = w.accessor<float, 2>();
  auto fa = fq.accessor<float, 2>();
  for (int r = 0; r < 5; ++r) {
    float amax = 0;
    for (int c = 0; c < 33; ++c) amax = std::max(amax, std::fabs(wa[r][c]));
    const float scale = amax / 127.0f;
    for (int c = 0; c < 33; ++c) {
      const float q = std::max(-128.0f, std::min(127.0f, std::nearbyint(wa[r][c] * (1.0f / scale))));
      EXPECT_NEAR(fa[r][c], q * scale, 1e-6f * amax) << r << "," << c;
    }
  }
  // Straight-through: the gradient is the identity.
  const torch::Tensor x = w.clone().requires_grad_(true);
  fake_quant_weight_int8(x).sum().backward();
  EXPECT_TRUE(x.grad().eq(1).all().item<bool>());
}

TEST(Numerics, ActivationFakeQuantMatchesTorchQuantizeDequantize) {
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({4, 9, 32}) * 3 + 0.5;
  const ActivationQParams qp = activation_qparams(x);
  EXPECT_GE(qp.zero_point, 0);
  EXPECT_LE(qp.zero_point, 127);  // reduce_range: 7-bit activations
  const torch::Tensor reference = at::quantize_per_tensor(x, qp.scale, qp.zero_point, torch::kQUInt8).dequantize();
  const torch::Tensor fq = fake_quant_activation_uint8(x);
  // Equal but for rare ties that torch rounds the other way (one quantization step apart).
  const torch::Tensor differ = (fq - reference).abs().gt(1e-6);
  EXPECT_LE(differ.sum().item<int64_t>(), 2);
  EXPECT_LE((fq - reference).abs().max().item<double>(), qp.scale * 1.001);
  EXPECT_LE((fq - x).abs().max().item<double>(), qp.scale * 0.5001);
}

TEST(Numerics, Int8LinearAgreesWithTheOnednnKernel) {
  at::globalContext().setQEngine(at::QEngine::ONEDNN);
  torch::manual_seed(3);
  for (int64_t rows : {1, 17, 256}) {
    const torch::Tensor x = torch::randn({rows, 64}) * 2;
    const torch::Tensor w = torch::randn({48, 64}) * 0.1;
    const torch::Tensor b = torch::randn({48});
    const QuantizedWeight qw = quantize_weight_int8(w);
    const torch::Tensor wq = at::_make_per_channel_quantized_tensor(qw.values, qw.scales.to(torch::kDouble),
                                                                    torch::zeros({48}, torch::kLong), 0);
    using Packed = c10::intrusive_ptr<LinearPackedParamsBase>;
    static auto prepack = c10::Dispatcher::singleton()
                              .findSchemaOrThrow("quantized::linear_prepack", "")
                              .typed<Packed(at::Tensor, c10::optional<at::Tensor>)>();
    const torch::Tensor kernel = prepack.call(wq, b)->apply_dynamic(x, kReduceRange);
    const torch::Tensor emulated = linear_at_precision(x, w, b, Precision::INT8);
    const double tolerance = 1e-5 * kernel.abs().max().item<double>();
    EXPECT_LE((kernel - emulated).abs().max().item<double>(), tolerance) << rows << " rows";
  }
}

TEST(Numerics, Bf16LinearAgreesWithBf16Tensors) {
  torch::manual_seed(4);
  const torch::Tensor x = torch::randn({8, 64}), w = torch::randn({16, 64}) * 0.1, b = torch::randn({16});
  const torch::Tensor native =
      torch::linear(x.to(torch::kBFloat16), w.to(torch::kBFloat16), b.to(torch::kBFloat16)).to(torch::kFloat);
  const torch::Tensor emulated = linear_at_precision(x, w, b, Precision::BF16);
  // One bf16 rounding of the output apart at most (8 bits of mantissa).
  EXPECT_TRUE(torch::allclose(native, emulated, /*rtol=*/1e-2, /*atol=*/1e-2));
  EXPECT_TRUE(round_bf16(emulated).equal(emulated));
}

TEST(AttentionMatmul, MatchesTorchMatmulInValueAndGradient) {
  torch::manual_seed(3);
  const int64_t batch = 3, len = 5, heads = 2, d = 4;
  // q, k, v as the fused q/k/v linear gives them: strided views of one [B, L, 3 * H * d] tensor.
  const torch::Tensor qkv = torch::randn({batch, len, 3 * heads * d});
  const torch::Tensor probs0 = torch::softmax(torch::randn({batch, heads, len, len}), -1);
  const torch::Tensor g_scores = torch::randn({batch, heads, len, len}), g_context = torch::randn({batch, len, heads, d});
  for (const bool blas : {true, false}) {  // fp32 takes BLAS; bf16 under autocast takes torch::matmul
    SCOPED_TRACE(blas ? "fp32" : "bf16 autocast");
    torch::Tensor x = qkv.clone().requires_grad_(), probs = probs0.clone().requires_grad_();
    torch::Tensor ref_x = qkv.clone().requires_grad_(), ref_probs = probs0.clone().requires_grad_();
    auto split = [&](const torch::Tensor& t) {
      std::vector<torch::Tensor> parts;
      for (const auto& c : t.chunk(3, -1)) parts.push_back(c.view({batch, len, heads, d}));
      return parts;
    };
    torch::Tensor scores, context, ref_scores, ref_context;
    {
      CpuAutocast autocast(!blas);
      const auto p = split(x), r = split(ref_x);
      scores = head_scores(p[0], p[1]);
      context = head_context(probs, p[2]);
      ref_scores = torch::matmul(r[0].transpose(1, 2), r[1].transpose(1, 2).transpose(-2, -1));
      ref_context = torch::matmul(ref_probs, r[2].transpose(1, 2)).transpose(1, 2);
    }
    ASSERT_EQ(scores.sizes(), (std::vector<int64_t>{batch, heads, len, len}));
    ASSERT_EQ(context.sizes(), (std::vector<int64_t>{batch, len, heads, d}));
    EXPECT_EQ(scores.scalar_type(), blas ? torch::kFloat : torch::kBFloat16);
    const double tol = blas ? 1e-5 : 1e-2;
    EXPECT_TRUE(torch::allclose(scores.to(torch::kFloat), ref_scores.to(torch::kFloat), tol, tol));
    EXPECT_TRUE(torch::allclose(context.to(torch::kFloat), ref_context.to(torch::kFloat), tol, tol));
    ((scores.to(torch::kFloat) * g_scores).sum() + (context.to(torch::kFloat) * g_context).sum()).backward();
    ((ref_scores.to(torch::kFloat) * g_scores).sum() + (ref_context.to(torch::kFloat) * g_context).sum()).backward();
    EXPECT_TRUE(torch::allclose(x.grad(), ref_x.grad(), tol, tol));
    EXPECT_TRUE(torch::allclose(probs.grad(), ref_probs.grad(), tol, tol));
  }
}

TEST(Dropout, DropsAtTheRateAndKeepsTheExpectation) {
  torch::manual_seed(5);
  const torch::Tensor x = torch::rand({64, 40, 97}) + 0.5;  // an odd size: the last draw is used in part
  EXPECT_TRUE(inverted_dropout(x, 0.1, /*train=*/false).is_same(x));
  EXPECT_TRUE(inverted_dropout(x, 0.0, /*train=*/true).is_same(x));
  for (double p : {0.1, 0.5}) {
    const double rounded = std::round(p * 65536) / 65536;
    const torch::Tensor y = inverted_dropout(x, p, /*train=*/true);
    ASSERT_EQ(y.sizes(), x.sizes());
    const torch::Tensor dropped = y.eq(0);
    const double n = double(x.numel());
    // Binomial: 5 standard deviations around the rate.
    EXPECT_NEAR(dropped.to(torch::kDouble).mean().item<double>(), rounded, 5 * std::sqrt(p * (1 - p) / n)) << p;
    const torch::Tensor kept = dropped.logical_not();
    EXPECT_TRUE(torch::allclose(y.masked_select(kept), x.masked_select(kept) / (1 - rounded))) << p;
    // Masks of neighbouring elements are independent: as many pairs dropped together as chance gives.
    const double both = (dropped.flatten().narrow(0, 0, x.numel() - 1) & dropped.flatten().narrow(0, 1, x.numel() - 1))
                            .to(torch::kDouble).mean().item<double>();
    EXPECT_NEAR(both, rounded * rounded, 5 * std::sqrt(rounded * rounded / n)) << p;
  }
  torch::manual_seed(9);
  const torch::Tensor a = inverted_dropout(x, 0.1, true);
  torch::manual_seed(9);
  EXPECT_TRUE(torch::equal(a, inverted_dropout(x, 0.1, true)));  // the generator's state decides the mask
  EXPECT_FALSE(torch::equal(a, inverted_dropout(x, 0.1, true)));
  EXPECT_TRUE(torch::equal(inverted_dropout(x, 1.0, true), torch::zeros_like(x)));
}

TEST(Supernet, SlicesEveryKindOfLayer) {
  torch::manual_seed(5);
  Supernet net(tiny_space(), 0.0);
  const EncodedSplit data = synthetic_split(8, 1);
  const Batch batch = make_batch(data, {0, 1, 2, 3, 4, 5, 6, 7});
  for (const char* text : {"h2-f64-s0-fp32,h2-f64-s0-fp32", "h1-f32-s50-int8,skip", "h0-f64-s0-bf16,h2-f0-s50-fp32",
                           "skip,h1-f0-s0-int8"}) {
    const Arch arch = parse_arch(text);
    net->zero_grad();
    const torch::Tensor logits = net->forward(batch.ids, batch.pad, arch);
    ASSERT_EQ(logits.sizes(), (std::vector<int64_t>{8, 3})) << text;
    logits.sum().backward();
    for (int l = 0; l < 2; ++l) {
      const LayerArch& la = arch.layers[l];
      const SuperLayer& layer = net->layers[l];
      // Rows and columns outside the slice get no gradient; a skipped layer none at all.
      const int64_t inner = int64_t{la.heads} * 16;
      const auto grad_or_zero = [](const torch::Tensor& t) { return t.grad().defined() ? t.grad() : torch::zeros_like(t); };
      EXPECT_EQ(grad_or_zero(layer->wq).narrow(0, inner, 32 - inner).abs().sum().item<float>(), 0) << text;
      EXPECT_EQ(grad_or_zero(layer->wo).narrow(1, inner, 32 - inner).abs().sum().item<float>(), 0) << text;
      EXPECT_EQ(grad_or_zero(layer->w1).narrow(0, la.ffn, 64 - la.ffn).abs().sum().item<float>(), 0) << text;
      if (la.heads > 0) {
        EXPECT_GT(grad_or_zero(layer->wq).narrow(0, 0, inner).abs().sum().item<float>(), 0) << text;
      }
      if (la.ffn > 0) {
        EXPECT_GT(grad_or_zero(layer->w2).narrow(1, 0, la.ffn).abs().sum().item<float>(), 0) << text;
      }
    }
  }
  expect_error([&] { net->forward(batch.ids, batch.pad, parse_arch("h3-f64-s0-fp32,skip")); }, {"layer 0", "3 heads"});
}

TEST(Supernet, PaddingDoesNotChangeTheOutput) {
  torch::manual_seed(6);
  Supernet net(tiny_space(), 0.0);
  net->eval();
  const EncodedSplit data = synthetic_split(6, 2);
  for (const char* text : {"h2-f64-s0-fp32,h1-f32-s50-int8", "h2-f64-s50-bf16,skip"}) {
    const Arch arch = parse_arch(text);
    const Batch alone = make_batch(data, {0});
    const Batch padded = make_batch(data, {0, 1, 2, 3, 4, 5});  // example 0 padded to the longest
    torch::NoGradGuard no_grad;
    const torch::Tensor a = net->forward(alone.ids, alone.pad, arch);
    const torch::Tensor b = net->forward(padded.ids, padded.pad, arch).narrow(0, 0, 1);
    if (std::string(text).find("int8") == std::string::npos) {
      EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5)) << text;
    } else {
      // int8 activations share one range across the batch, as in the deployed module; padding itself is zeroed.
      EXPECT_TRUE(torch::allclose(a, b, 5e-2, 5e-2)) << text;
    }
  }
}

// Mean pooling averages the vectors of the tokens the last layer kept, [CLS] included, and nothing of the padding:
// an example gets the same logits alone and in a padded batch, with and without dropped tokens.
TEST(Supernet, MeanPoolingAveragesTheKeptRealTokens) {
  torch::manual_seed(8);
  SpaceConfig space = tiny_space();
  space.keep_pct_choices = {50, 100};
  space.pooling = Pooling::Mean;
  Supernet net(space, 0.0);
  net->eval();
  const EncodedSplit data = synthetic_split(6, 2);
  const Batch padded = make_batch(data, {0, 1, 2, 3, 4, 5});
  torch::NoGradGuard no_grad;
  for (const char* text : {"h2-f64-s0-fp32,h1-f32-s0-fp32", "h2-f64-s0-fp32,h1-f32-s0-fp32-k50"}) {
    const Arch arch = parse_arch(text);
    torch::Tensor pad_out;
    const torch::Tensor h = net->encode(padded.ids, padded.pad, arch, &pad_out);
    const torch::Tensor logits = net->forward(padded.ids, padded.pad, arch);
    for (size_t i = 0; i < data.size(); ++i) {
      const torch::Tensor rows = h[int64_t(i)].index({pad_out[int64_t(i)].logical_not()});
      const torch::Tensor expected = net->classifier(rows.mean(0, /*keepdim=*/true));
      EXPECT_TRUE(torch::allclose(logits.narrow(0, int64_t(i), 1), expected, 1e-4, 1e-5)) << text << ", example " << i;
      const Batch alone = make_batch(data, {i});
      EXPECT_TRUE(torch::allclose(net->forward(alone.ids, alone.pad, arch), expected, 1e-4, 1e-5))
          << text << ", example " << i << " alone";
    }
    // Not [CLS]'s vector alone.
    EXPECT_FALSE(torch::allclose(logits, net->classifier(h.select(1, 0)), 1e-3, 1e-4)) << text;
  }
}

TEST(TokenElimination, KeepsTheMostAttendedTokensInOrderWithClsFirst) {
  EXPECT_TRUE(torch::equal(kept_token_counts(torch::tensor({10, 3, 1, 4}), 50), torch::tensor({5, 2, 1, 2})));
  EXPECT_TRUE(torch::equal(kept_token_counts(torch::tensor({10, 3, 1, 4}), 25), torch::tensor({3, 1, 1, 1})));
  // x holds each token's position; row 1 has two padding tokens (positions 4 and 5) with the highest scores.
  const torch::Tensor x = torch::arange(6, torch::kFloat).view({1, 6, 1}).repeat({2, 1, 1});
  torch::Tensor pad = torch::tensor({0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1}, torch::kBool).view({2, 6});
  torch::Tensor score = torch::tensor({0.f, 5.f, 1.f, 7.f, 1.f, 0.f, 0.f, 1.f, 3.f, 2.f, 9.f, 9.f}).view({2, 6});
  const torch::Tensor chosen = choose_tokens(pad, score, torch::tensor({3, 2}));
  // Row 1's padding column points at [CLS].
  EXPECT_TRUE(torch::equal(chosen, torch::tensor({0, 1, 3, 0, 2, 0}, torch::kLong).view({2, 3})));
  const torch::Tensor kept = gather_rows(x, chosen, 1);
  ASSERT_EQ(kept.sizes(), (std::vector<int64_t>{2, 3, 1}));
  EXPECT_TRUE(torch::equal(kept.squeeze(-1).select(0, 0), torch::tensor({0.f, 1.f, 3.f})));  // [CLS], then 5 and 7
  EXPECT_TRUE(torch::equal(kept.squeeze(-1).select(0, 1).narrow(0, 0, 2), torch::tensor({0.f, 2.f})));
  EXPECT_TRUE(torch::equal(pad, torch::tensor({0, 0, 0, 0, 0, 1}, torch::kBool).view({2, 3})));
  EXPECT_TRUE(torch::equal(score.select(0, 0), torch::tensor({0.f, 5.f, 7.f})));
  // Ties go to the earlier position.
  torch::Tensor flat_pad = torch::zeros({1, 5}, torch::kBool), flat = torch::zeros({1, 5});
  EXPECT_TRUE(torch::equal(choose_tokens(flat_pad, flat, torch::tensor({3})),
                           torch::tensor({0, 1, 2}, torch::kLong).view({1, 3})));
  // Attention probabilities [B, h, L, L] keep the rows of the chosen queries, every key.
  const torch::Tensor probs = torch::arange(2 * 2 * 6 * 6, torch::kFloat).view({2, 2, 6, 6});
  const torch::Tensor rows = gather_rows(probs, torch::tensor({0, 4, 0, 3}, torch::kLong).view({2, 2}), 2);
  ASSERT_EQ(rows.sizes(), (std::vector<int64_t>{2, 2, 2, 6}));
  EXPECT_TRUE(torch::equal(rows.select(0, 1).select(1, 1), probs.select(0, 1).select(1, 3)));
}

TEST(TokenElimination, PaddedBatchesGiveEachExampleItsOwnSelection) {
  torch::manual_seed(7);
  SpaceConfig space = tiny_space(3);
  space.keep_pct_choices = {25, 50, 100};
  Supernet net(space, 0.0);
  net->eval();
  const EncodedSplit data = synthetic_split(6, 2);
  const Batch padded = make_batch(data, {0, 1, 2, 3, 4, 5});
  torch::NoGradGuard no_grad;
  const torch::Tensor all = net->forward(padded.ids, padded.pad, parse_arch("h2-f64-s0-fp32,h2-f64-s0-fp32,h2-f64-s0-fp32"));
  for (const char* text : {"h2-f64-s0-fp32,h2-f64-s0-fp32-k50,h1-f32-s50-fp32-k25",
                           "h2-f64-s0-fp32-k50,skip,h0-f64-s0-fp32-k25", "h0-f64-s0-fp32-k50,h2-f64-s0-fp32-k50,skip"}) {
    const Arch arch = parse_arch(text);
    const torch::Tensor batched = net->forward(padded.ids, padded.pad, arch);
    EXPECT_FALSE(torch::allclose(batched, all, 1e-4, 1e-5)) << text << ": dropping tokens changes the output";
    for (size_t i = 0; i < data.size(); ++i) {
      const Batch alone = make_batch(data, {i});
      const torch::Tensor one = net->forward(alone.ids, alone.pad, arch);
      EXPECT_TRUE(torch::allclose(one, batched.narrow(0, int64_t(i), 1), 1e-4, 1e-5)) << text << ", example " << i;
    }
  }
  // The tokens kept: ceil(50% of n) after layer 0 for each example (its own n), the rest padding.
  torch::Tensor pad_out;
  net->encode(padded.ids, padded.pad, parse_arch("h2-f64-s0-fp32-k50,skip,skip"), &pad_out);
  const torch::Tensor n = padded.pad.logical_not().sum(1);
  EXPECT_TRUE(torch::equal(pad_out.logical_not().sum(1), (n + 1).div(2, "floor")));
}

TEST(TokenElimination, TrainingDropsTokensAndPretrainingKeepsThem) {
  torch::manual_seed(8);
  SpaceConfig space = tiny_space(2);
  space.keep_pct_choices = {50, 100};
  Supernet net(space, 0.1);
  const EncodedSplit data = synthetic_split(8, 1);
  const Batch batch = make_batch(data, {0, 1, 2, 3, 4, 5, 6, 7});
  const torch::Tensor logits = net->forward(batch.ids, batch.pad, parse_arch("h2-f64-s0-fp32-k50,h1-f32-s0-fp32-k50"));
  logits.sum().backward();
  EXPECT_GT(net->layers[1]->w1.grad().narrow(0, 0, 32).abs().sum().item<float>(), 0) << "the kept tokens train layer 1";
  TrainConfig config;
  config.steps = 3;
  config.checkpoint_every = 1000;
  Trainer trainer(net, config, tiny_meta(space));
  EXPECT_GT(trainer.step_on(batch), 0) << "the sandwich rule with the smallest at keep 50%";
}

TEST(Supernet, ReorderKeepsTheLargestArchAndSortsByImportance) {
  torch::manual_seed(7);
  Supernet net(tiny_space(), 0.0);
  const EncodedSplit data = synthetic_split(64, 3);
  const Batch batch = make_batch(data, {0, 1, 2, 3, 4, 5, 6, 7});
  const Arch largest = net->space().largest();
  net->eval();
  const torch::Tensor before = net->forward(batch.ids, batch.pad, largest).detach();
  const auto batches = eval_batches(data, 16);
  reorder_by_importance(net, measure_importance(net, data, batches), nullptr);
  const torch::Tensor after = net->forward(batch.ids, batch.pad, largest).detach();
  EXPECT_TRUE(torch::allclose(before, after, 1e-4, 1e-5));
  const Importance imp = measure_importance(net, data, batches);
  for (const auto& heads : imp.heads) EXPECT_GE(heads[0].item<double>(), heads[1].item<double>() - 1e-12);
  for (const auto& neurons : imp.neurons) EXPECT_GE(neurons[0].item<double>(), neurons[63].item<double>());
}

TEST(Trainer, TinyRunLearns) {
  torch::manual_seed(8);
  const SpaceConfig space = tiny_space();
  const EncodedSplit train = synthetic_split(512, 4), val = synthetic_split(256, 5);
  TrainConfig config;
  config.steps = 120;
  config.batch_size = 32;
  config.lr = 3e-3;
  config.checkpoint_every = 1000;
  config.reorder = true;  // off by default; on here so that the reorder is exercised inside a whole run
  Trainer trainer(Supernet(space, 0.0), config, tiny_meta(space));
  Supernet net = trainer.net();
  const double before = evaluate(net, val, net->space().largest()).loss;
  std::vector<double> losses;
  TrainCallbacks callbacks;
  callbacks.on_step = [&](const TrainStatus& s) { losses.push_back(s.loss); };
  trainer.run(train, val, temp_path("learns.pt").string(), callbacks);
  const EvalResult after = evaluate(net, val, net->space().largest());
  EXPECT_LT(after.loss, before * 0.7);
  EXPECT_GT(after.accuracy, 0.6);  // chance is 1/3
  EXPECT_LT(losses.back(), losses.front());
  EXPECT_TRUE(trainer.reorder_report().contains("archs"));
  // The smallest subnet learned too, through in-place distillation.
  EXPECT_GT(evaluate(net, val, net->space().smallest()).accuracy, 0.45);
}

TEST(Trainer, ResumeGivesTheSameWeightsAsAnUninterruptedRun) {
  const SpaceConfig space = tiny_space();
  const EncodedSplit train = synthetic_split(200, 6), val = synthetic_split(64, 7);
  TrainConfig config;
  config.steps = 12;
  config.batch_size = 16;
  config.sandwich_start = 0.25;  // reorder at step 3, before the interruption at step 6
  config.reorder = true;
  config.checkpoint_every = 6;
  config.seed = 9;

  torch::manual_seed(10);
  Trainer straight(Supernet(space, 0.1), config, tiny_meta(space));
  straight.run(train, val, temp_path("straight.pt").string());

  torch::manual_seed(10);
  const std::string path = temp_path("interrupted.pt").string();
  fs::remove(path);
  {
    Trainer first(Supernet(space, 0.1), config, tiny_meta(space));
    TrainCallbacks crash;
    crash.on_step = [](const TrainStatus& s) {
      if (s.step == 8) throw std::runtime_error("simulated crash");
    };
    EXPECT_THROW(first.run(train, val, path, crash), std::runtime_error);
  }
  torch::manual_seed(999);  // the resumed run must not depend on the process's random state
  Trainer resumed(load_checkpoint(path));
  EXPECT_EQ(resumed.step(), 6);
  resumed.run(train, val, path);
  auto a = straight.net()->named_parameters();
  for (const auto& p : resumed.net()->named_parameters()) {
    EXPECT_TRUE(torch::allclose(p.value(), a[p.key()], 1e-6, 1e-7)) << p.key();
  }
}

TEST(Trainer, FineTuningTrainsTheFixedArchFromAFrozenTeacher) {
  torch::manual_seed(12);
  const SpaceConfig space = tiny_space();
  const EncodedSplit train = synthetic_split(512, 4), val = synthetic_split(256, 5);
  TrainConfig pre;
  pre.steps = 40;
  pre.lr = 3e-3;
  pre.checkpoint_every = 1000;
  const std::string supernet = temp_path("finetune_start.pt").string();
  Trainer(Supernet(space, 0.0), pre, tiny_meta(space)).run(train, val, supernet);

  const LoadedCheckpoint start = load_checkpoint(supernet);
  Supernet teacher = load_checkpoint(supernet).net;
  std::vector<torch::Tensor> teacher_before;
  for (const auto& p : teacher->parameters()) teacher_before.push_back(p.clone());
  const Arch student = start.net->space().smallest(Precision::INT8);
  Supernet net = start.net;
  const double before = evaluate(net, val, student).loss;

  TrainConfig config;
  config.steps = 40;
  config.lr = 3e-3;
  config.sandwich_start = 0;
  config.checkpoint_every = 1000;
  config.fixed_arch = to_string(student);
  config.teacher_arch = to_string(start.net->space().largest());
  Trainer finetune(net, config, start.meta);
  const std::string path = temp_path("finetuned.pt").string();
  expect_internal_error([&] { finetune.run(train, val, path); }, {"set_teacher"});
  finetune.set_teacher(teacher);
  finetune.run(train, val, path);

  EXPECT_LT(evaluate(net, val, student).loss, before * 0.9);  // the fixed arch learned
  const auto after = teacher->parameters();
  for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(torch::equal(after[i], teacher_before[i]));  // frozen
  // The checkpoint carries the teacher arch, so that a resumed fine-tune distills from the same one.
  EXPECT_EQ(train_config_from_json(load_checkpoint(path).meta.training.at("config")).teacher_arch,
            config.teacher_arch);
}

TEST(Checkpoint, SaveLoadGivesIdenticalOutputs) {
  torch::manual_seed(11);
  const SpaceConfig space = tiny_space();
  Supernet net(space, 0.0);
  net->eval();
  const std::string path = temp_path("roundtrip.pt").string();
  save_checkpoint(path, net, tiny_meta(space), nullptr);
  LoadedCheckpoint loaded = load_checkpoint(path);
  loaded.net->eval();
  EXPECT_EQ(loaded.meta.label_names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(to_string(loaded.meta.space), to_string(SearchSpace(space).config()));
  const EncodedSplit data = synthetic_split(8, 8);
  const Batch batch = make_batch(data, {0, 1, 2, 3});
  Rng rng(1);
  for (int i = 0; i < 10; ++i) {
    const Arch arch = net->space().sample(rng);
    torch::NoGradGuard no_grad;
    EXPECT_TRUE(net->forward(batch.ids, batch.pad, arch).equal(loaded.net->forward(batch.ids, batch.pad, arch)))
        << to_string(arch);
  }
}

TEST(Checkpoint, BadFilesAreRefusedClearly) {
  const SpaceConfig space = tiny_space();
  Supernet net(space, 0.0);
  const std::string good = temp_path("good.pt").string();
  save_checkpoint(good, net, tiny_meta(space), nullptr);
  const std::string bytes = read_file(good);

  const std::string truncated = temp_path("truncated.pt").string();
  std::ofstream(truncated, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  expect_error([&] { load_checkpoint(truncated); }, {"truncated.pt", "truncated or corrupt"});

  const std::string garbage = temp_path("garbage.pt").string();
  std::ofstream(garbage, std::ios::binary) << "this is not a checkpoint at all";
  expect_error([&] { load_checkpoint(garbage); }, {"garbage.pt", "truncated or corrupt"});

  expect_error([&] { load_checkpoint(temp_path("missing.pt").string()); }, {"missing.pt", "not found"});

  const std::string foreign = temp_path("foreign.pt").string();
  torch::save(torch::ones({3}), foreign);
  expect_error([&] { load_checkpoint(foreign); }, {"foreign.pt"});

  // A newer format version is refused, not misread.
  const std::string newer = temp_path("newer.pt").string();
  {
    torch::serialize::OutputArchive archive;
    archive.write("qtnas_meta", c10::IValue(std::string(R"({"format": "qtnas-supernet", "version": 99})")));
    archive.save_to(newer);
  }
  expect_error([&] { load_checkpoint(newer); }, {"newer.pt", "version 99"});

  // Metadata cut short: named as not JSON, like every JSON qtnas reads.
  const std::string cut = temp_path("cut_meta.pt").string();
  {
    torch::serialize::OutputArchive archive;
    archive.write("qtnas_meta", c10::IValue(std::string(R"({"format": "qtnas-supernet", "vers)")));
    archive.save_to(cut);
  }
  expect_error([&] { load_checkpoint(cut); }, {"the qtnas_meta of checkpoint '" + cut + "': not valid JSON"});
}
