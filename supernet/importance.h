// DynaBERT-style importance reordering: after a warm-up of the largest subnet, sort each layer's heads and FFN
// neurons by importance so that "the first k heads / m neurons" that small subnets use are the most useful ones.
#pragma once

#include <torch/torch.h>

#include <vector>

#include "supernet/batches.h"
#include "supernet/supernet.h"

namespace qtnas {

struct Importance {
  std::vector<torch::Tensor> heads;    // per layer [max_heads]
  std::vector<torch::Tensor> neurons;  // per layer [max_ffn]
};

// First-order Taylor estimate of the loss change when a head or neuron is removed (|dL/dmask|), accumulated
// in absolute value over `batches` with the largest fp32 subnet. For a head it equals |sum(wo * dL/dwo)| over
// the head's columns of the output projection; for a neuron, over its column of w2. Leaves gradients zeroed.
Importance measure_importance(Supernet& net, const EncodedSplit& split,
                              const std::vector<std::vector<size_t>>& batches);

// Permutes heads and neurons of every layer into decreasing importance; the function the net computes for the
// largest arch is unchanged. If `optimizer` is given, its AdamW moments are permuted along.
void reorder_by_importance(Supernet& net, const Importance& importance, torch::optim::AdamW* optimizer);

}  // namespace qtnas
