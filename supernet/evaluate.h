// Accuracy and loss of one subnet of the supernet on a split, with the export's numerics, in inference mode.
#pragma once

#include "supernet/batches.h"
#include "supernet/supernet.h"

namespace qtnas {

struct EvalResult {
  double accuracy = 0;  // fraction in [0, 1]
  double loss = 0;      // mean cross-entropy
  int64_t examples = 0;
};

// Evaluates on `limit` examples of `split` (all if 0; a fixed random subset otherwise) in eval_batches order. Puts the net in eval()
// mode and restores its previous mode. Not thread-safe for one net while it trains.
EvalResult evaluate(Supernet& net, const EncodedSplit& split, const Arch& arch, int batch_size = 64,
                    size_t limit = 0);

}  // namespace qtnas
