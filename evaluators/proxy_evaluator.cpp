#include "evaluators/proxy_evaluator.h"

#include <chrono>

#include "space/error.h"

namespace qtnas {

ProxyEvaluator::ProxyEvaluator(Supernet net, const EncodedSplit& split, size_t limit, int batch_size)
    : net_(std::move(net)) {
  QTNAS_CHECK(split.size() > 0, "the validation split is empty: nothing to evaluate candidates on");
  net_->eval();
  for (const auto& indices : eval_batches(split, batch_size, limit)) {
    batches_.push_back(make_batch(split, indices));
    examples_ += static_cast<int64_t>(indices.size());
  }
}

Evaluation ProxyEvaluator::evaluate(const Arch& arch) const {
  const auto start = std::chrono::steady_clock::now();
  Evaluation e;
  try {
    net_->space().validate(arch);
    torch::InferenceMode inference;
    int64_t correct = 0;
    for (const Batch& b : batches_) {
      correct += net_->forward(b.ids, b.pad, arch).argmax(1).eq(b.labels).sum().item<int64_t>();
    }
    e.accuracy = static_cast<double>(correct) / static_cast<double>(examples_);
    e.examples = examples_;
  } catch (const std::exception& ex) {
    e.ok = false;
    e.error = ex.what();
    if (auto newline = e.error.find('\n'); newline != std::string::npos) e.error.resize(newline);
  }
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return e;
}

}  // namespace qtnas
