// The accuracy of a deployable TorchScript module (export/subnet_module.h, or one loaded by export/package.h) on
// a labelled split, alone or beside the supernet subnet it came from, on the very batches supernet/evaluate.h
// takes.
#pragma once

#include <torch/script.h>

#include "supernet/batches.h"
#include "supernet/supernet.h"

namespace qtnas {

// The fraction of `limit` examples of `split` (all if 0, else evaluate()'s fixed subset) that the module labels
// correctly, in eval_batches() order under inference mode; NaN when that leaves no example.
double module_accuracy(torch::jit::Module& module, const EncodedSplit& split, int batch_size = 64, size_t limit = 0);

struct ModuleAgreement {
  double accuracy = 0;        // the module's, as module_accuracy() gives it
  double max_logit_diff = 0;  // the largest |module logit - supernet logit|
  double max_logit = 0;       // the largest |supernet logit|: the scale of max_logit_diff
};
// The module and `arch` of `net` on the same batches as module_accuracy(). Runs the net in eval() mode and
// restores its previous mode. Not thread-safe for one net while it trains.
ModuleAgreement compare_with_supernet(torch::jit::Module& module, Supernet& net, const Arch& arch,
                                      const EncodedSplit& split, int batch_size = 64, size_t limit = 0);

}  // namespace qtnas
