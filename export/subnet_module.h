// The deployable form of a subnet: a TorchScript module assembled in C++ from a supernet and an Arch, with
// physically sliced weights (only the active heads and FFN neurons; skipped layers absent; q, k and v fused
// into one matmul), INT8 layers as prepacked oneDNN linears run by quantized::linear_dynamic, BF16 layers with
// bf16 weights, FP32 as is. Sparse matrices are saved compressed (bitmap + kept values) and expanded to dense
// weights by the module's __setstate__ when loaded, in C++ and Python alike. An arch that drops tokens (keep
// below 100) selects them as the supernet does, per example of a padded batch, with sort and gather in the
// module's own TorchScript. It computes what the supernet computes for that arch (supernet/numerics.h); the very
// module that is measured for latency is the one that is exported. forward(ids [B, L] int64, pad [B, L] bool)
// returns logits [B, num_classes]. Loadable by torch::jit::load and by Python's torch.jit.load.
// On SentencePiece ids of the shipped tokenizer (no special ids), the module also classifies whole inputs as
// training encoded them: classify(pieces: List[List[int]]) for texts, classify_pairs(first, second) for the
// pairs of a pair task ([CLS] a [SEP] b cut by data/tokenizer.h's rule), both returning logits [B, classes].
#pragma once

#include <torch/script.h>
#include <torch/torch.h>

#include "supernet/supernet.h"

namespace qtnas {

// Selects the oneDNN quantized engine, once per process; throws qtnas::Error naming what this build offers if
// it has none (INT8 layers then cannot run).
void select_quantized_engine();

// Throws qtnas::Error if the arch is not in the net's space. allow_empty admits an arch with every layer skipped
// (embeddings and classifier only), which the latency profiler measures as its baseline.
torch::jit::Module build_subnet_module(Supernet& net, const Arch& arch, bool allow_empty = false);

}  // namespace qtnas
