// Masked-language-model pretraining of the supernet on the task's own texts (self-pretraining): BERT's masking
// and a prediction head whose output projection is the supernet's token embedding (tied), so that every weight
// the head trains besides its own small transform is one the classifier later uses.
#pragma once

#include <torch/torch.h>

#include "space/rng.h"
#include "supernet/batches.h"
#include "supernet/supernet.h"

namespace qtnas {

// BERT's recipe: a fraction (BERT's 15% by default) of the real tokens ([CLS] and padding never) are chosen; of
// those 80% become the mask id, 10% a random ordinary token, 10% stay. At least one token per example with any
// is chosen.
inline constexpr double kMaskFraction = 0.15;
// The unk id doubles as [MASK]: qtnas inputs are [CLS] and pieces, so no other id is free, and a SentencePiece
// model trained on the task's texts rarely emits unk. Ids below 4 (pad, unk, [CLS], eos) are never drawn as
// random replacements.
inline constexpr int kMaskTokenId = 1;
inline constexpr int kFirstOrdinaryTokenId = 4;

struct MaskedBatch {
  torch::Tensor ids;        // [B, L] int64, the input with masked tokens replaced
  torch::Tensor pad;        // [B, L] bool, as the unmasked batch
  torch::Tensor positions;  // [N] int64, flat indices (row * L + column) of the chosen tokens
  torch::Tensor targets;    // [N] int64, their original ids
};

// Masks row r of `batch` with randomness from Rng(row_seeds[r]) alone, so that an example's mask depends neither
// on the batch it is in nor on the rank that processes it, and a resumed run draws the same masks. `mask_id`
// replaces chosen tokens; random replacements are drawn from ids [first_ordinary_id, vocab_size).
MaskedBatch mask_tokens(const Batch& batch, const std::vector<uint64_t>& row_seeds, int mask_id,
                        int first_ordinary_id, int vocab_size, double fraction = kMaskFraction);

// The prediction head: dense + GELU + layer norm, then logits against the (tied) token embedding plus a bias.
// Its GELU sees the rows padded to a multiple of kRowBucket, so that the memory LibTorch's oneDNN keeps per tensor
// shape stays bounded however many different counts of masked tokens a run has; the outputs are exactly those
// of the unpadded rows.
struct MaskedLmHeadImpl : torch::nn::Module {
  static constexpr int64_t kRowBucket = 64;

  MaskedLmHeadImpl(int hidden, int vocab_size);
  // hidden [N, H] (the encoder's outputs at the chosen positions), embedding [V, H] -> logits [N, V] (fp32).
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& embedding);

  torch::nn::Linear transform{nullptr};
  torch::nn::LayerNorm norm{nullptr};
  torch::Tensor bias;
};
TORCH_MODULE(MaskedLmHead);

// The fraction of masked tokens `arch` predicts right on (a fixed subset of `limit` examples of) `split`, with
// masks drawn from `seed`: the same masks at every call. Inference mode; restores the net's mode.
double masked_token_accuracy(Supernet& net, MaskedLmHead& head, const EncodedSplit& split, const Arch& arch,
                             size_t limit, uint64_t seed = 0);

}  // namespace qtnas
