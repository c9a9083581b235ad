#include "supernet/evaluate.h"

namespace qtnas {

EvalResult evaluate(Supernet& net, const EncodedSplit& split, const Arch& arch, int batch_size, size_t limit) {
  const bool was_training = net->is_training();
  net->eval();
  torch::InferenceMode inference;
  EvalResult result;
  double loss_sum = 0;
  int64_t correct = 0;
  for (const auto& indices : eval_batches(split, batch_size, limit)) {
    const Batch batch = make_batch(split, indices);
    const torch::Tensor logits = net->forward(batch.ids, batch.pad, arch);
    loss_sum += torch::nn::functional::cross_entropy(
                    logits, batch.labels, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum))
                    .item<double>();
    correct += logits.argmax(1).eq(batch.labels).sum().item<int64_t>();
    result.examples += batch.labels.size(0);
  }
  net->train(was_training);
  if (result.examples > 0) {
    result.accuracy = double(correct) / result.examples;
    result.loss = loss_sum / result.examples;
  }
  return result;
}

}  // namespace qtnas
