#include "supernet/masked_lm.h"

#include "space/error.h"
#include "space/hash.h"

namespace qtnas {

MaskedBatch mask_tokens(const Batch& batch, const std::vector<uint64_t>& row_seeds, int mask_id,
                        int first_ordinary_id, int vocab_size, double fraction) {
  QTNAS_CHECK(fraction > 0 && fraction < 1, "the masked fraction must be in (0, 1), got {}", fraction);
  QTNAS_CHECK(vocab_size > first_ordinary_id, "a vocabulary of {} has no ordinary tokens to draw", vocab_size);
  QTNAS_CHECK(int64_t(row_seeds.size()) == batch.ids.size(0), "{} seeds for {} rows", row_seeds.size(),
              batch.ids.size(0));
  torch::NoGradGuard no_grad;
  MaskedBatch out;
  out.pad = batch.pad;
  out.ids = batch.ids.clone().contiguous();
  const int64_t rows = out.ids.size(0), len = out.ids.size(1);
  int64_t* ids = out.ids.data_ptr<int64_t>();
  const torch::Tensor pad_c = batch.pad.contiguous();
  const bool* pad = pad_c.data_ptr<bool>();
  std::vector<int64_t> positions, targets;
  for (int64_t r = 0; r < rows; ++r) {
    Rng rng(row_seeds[r]);
    std::vector<int64_t> chosen, real;
    for (int64_t c = 1; c < len; ++c) {  // column 0 is [CLS]
      const int64_t i = r * len + c;
      if (pad[i]) continue;
      real.push_back(i);
      if (rng.uniform01() < fraction) chosen.push_back(i);
    }
    if (chosen.empty() && !real.empty()) chosen.push_back(real[rng.uniform(real.size())]);
    for (int64_t i : chosen) {
      positions.push_back(i);
      targets.push_back(ids[i]);
      const double u = rng.uniform01();
      if (u < 0.8) {
        ids[i] = mask_id;
      } else if (u < 0.9) {
        ids[i] = first_ordinary_id + int64_t(rng.uniform(uint64_t(vocab_size - first_ordinary_id)));
      }
    }
  }
  out.positions = torch::tensor(positions, torch::kLong);
  out.targets = torch::tensor(targets, torch::kLong);
  return out;
}

MaskedLmHeadImpl::MaskedLmHeadImpl(int hidden, int vocab_size) {
  transform = register_module("transform", torch::nn::Linear(hidden, hidden));
  norm = register_module("norm", torch::nn::LayerNorm(torch::nn::LayerNormOptions({hidden})));
  bias = register_parameter("bias", torch::zeros({vocab_size}));
  torch::NoGradGuard no_grad;
  transform->weight.normal_(0, 0.02);  // BERT's initializer range, as the supernet
  transform->bias.zero_();
}

torch::Tensor MaskedLmHeadImpl::forward(const torch::Tensor& hidden, const torch::Tensor& embedding) {
  // LibTorch runs GELU in oneDNN, whose primitive cache keeps memory for every distinct tensor shape. The number
  // of masked tokens differs from batch to batch, so without buckets a pretraining run's memory would grow at
  // nearly every step. The rows are padded to a multiple of kRowBucket for the GELU alone; the padding rows are
  // dropped before anything reads them.
  const torch::Tensor t = transform(hidden);
  const int64_t rows = t.size(0), padded = (rows + kRowBucket - 1) / kRowBucket * kRowBucket;
  const torch::Tensor activated = torch::gelu(torch::constant_pad_nd(t, {0, 0, 0, padded - rows})).narrow(0, 0, rows);
  // fp32 into the layer norm: CPU autocast leaves layer_norm to its input type, and its weights are fp32.
  const torch::Tensor h = norm(activated.to(torch::kFloat));
  return (torch::matmul(h, embedding.t().to(h.scalar_type())) + bias.to(h.scalar_type())).to(torch::kFloat);
}

}  // namespace qtnas

namespace qtnas {

double masked_token_accuracy(Supernet& net, MaskedLmHead& head, const EncodedSplit& split, const Arch& arch,
                             size_t limit, uint64_t seed) {
  const bool was_training = net->is_training();
  net->eval();
  head->eval();
  torch::InferenceMode inference;
  int64_t correct = 0, total = 0;
  for (const auto& indices : eval_batches(split, 64, limit)) {
    std::vector<uint64_t> seeds;
    for (size_t i : indices) seeds.push_back(stable_hash(fmt::format("eval {} {}", seed, i)));
    const MaskedBatch m = mask_tokens(make_batch(split, indices), seeds, kMaskTokenId, kFirstOrdinaryTokenId,
                                      net->space().config().vocab_size);
    const torch::Tensor hidden = net->encode(m.ids, m.pad, arch);
    const torch::Tensor logits =
        head->forward(hidden.reshape({-1, hidden.size(-1)}).index_select(0, m.positions), net->tok_embedding->weight);
    correct += logits.argmax(1).eq(m.targets).sum().item<int64_t>();
    total += m.targets.size(0);
  }
  net->train(was_training);
  head->train(was_training);
  return total ? double(correct) / double(total) : 0.0;
}

}  // namespace qtnas
