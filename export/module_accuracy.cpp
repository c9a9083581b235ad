#include "export/module_accuracy.h"

#include <algorithm>
#include <functional>

namespace qtnas {
namespace {

// One pass over the evaluation batches, shared by both functions so that they count on the same examples;
// `on_batch` sees each batch with the module's logits.
double accuracy_over_batches(torch::jit::Module& module, const EncodedSplit& split, int batch_size, size_t limit,
                             const std::function<void(const Batch&, const torch::Tensor&)>& on_batch) {
  torch::InferenceMode inference;
  int64_t correct = 0, total = 0;
  for (const auto& indices : eval_batches(split, batch_size, limit)) {
    const Batch batch = make_batch(split, indices);
    const torch::Tensor logits = module.forward({batch.ids, batch.pad}).toTensor();
    if (on_batch) on_batch(batch, logits);
    correct += logits.argmax(1).eq(batch.labels).sum().item<int64_t>();
    total += batch.labels.size(0);
  }
  return double(correct) / double(total);
}

}  // namespace

double module_accuracy(torch::jit::Module& module, const EncodedSplit& split, int batch_size, size_t limit) {
  return accuracy_over_batches(module, split, batch_size, limit, {});
}

ModuleAgreement compare_with_supernet(torch::jit::Module& module, Supernet& net, const Arch& arch,
                                      const EncodedSplit& split, int batch_size, size_t limit) {
  const bool was_training = net->is_training();
  net->eval();
  ModuleAgreement a;
  auto compare = [&](const Batch& batch, const torch::Tensor& logits) {
    const torch::Tensor expected = net->forward(batch.ids, batch.pad, arch);
    a.max_logit_diff = std::max(a.max_logit_diff, (logits - expected).abs().max().item<double>());
    a.max_logit = std::max(a.max_logit, expected.abs().max().item<double>());
  };
  a.accuracy = accuracy_over_batches(module, split, batch_size, limit, compare);
  net->train(was_training);
  return a;
}

}  // namespace qtnas
