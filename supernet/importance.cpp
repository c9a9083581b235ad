#include "supernet/importance.h"

#include "supernet/optimizer.h"

namespace qtnas {
namespace {

// Reorders `t` along `dim` in place, with its AdamW moments if the optimizer holds state for it.
void permute_param(torch::Tensor& t, int64_t dim, const torch::Tensor& index, torch::optim::AdamW* optimizer) {
  torch::NoGradGuard no_grad;
  t.copy_(t.index_select(dim, index));
  torch::optim::AdamWParamState* state = optimizer ? adamw_state(*optimizer, t) : nullptr;
  if (!state) return;
  auto& s = *state;
  s.exp_avg().copy_(s.exp_avg().index_select(dim, index));
  s.exp_avg_sq().copy_(s.exp_avg_sq().index_select(dim, index));
  if (s.max_exp_avg_sq().defined()) s.max_exp_avg_sq().copy_(s.max_exp_avg_sq().index_select(dim, index));
}

}  // namespace

Importance measure_importance(Supernet& net, const EncodedSplit& split,
                              const std::vector<std::vector<size_t>>& batches) {
  const SpaceConfig& c = net->space().config();
  const Arch largest = net->space().largest();
  const bool was_training = net->is_training();
  net->eval();
  Importance imp;
  for (int l = 0; l < c.layers; ++l) {
    imp.heads.push_back(torch::zeros({c.max_heads}, torch::kDouble));
    imp.neurons.push_back(torch::zeros({c.ffn_choices.back()}, torch::kDouble));
  }
  net->zero_grad();
  for (const auto& indices : batches) {
    const Batch batch = make_batch(split, indices);
    torch::nn::functional::cross_entropy(net->forward(batch.ids, batch.pad, largest), batch.labels).backward();
    torch::NoGradGuard no_grad;
    for (int l = 0; l < c.layers; ++l) {
      const SuperLayer& layer = net->layers[l];
      const torch::Tensor wo = (layer->wo * layer->wo.grad()).sum(0).view({c.max_heads, c.head_dim}).sum(1);
      imp.heads[l] += wo.abs().to(torch::kDouble);
      imp.neurons[l] += (layer->w2 * layer->w2.grad()).sum(0).abs().to(torch::kDouble);
    }
    net->zero_grad();
  }
  net->train(was_training);
  return imp;
}

void reorder_by_importance(Supernet& net, const Importance& importance, torch::optim::AdamW* optimizer) {
  const SpaceConfig& c = net->space().config();
  for (int l = 0; l < c.layers; ++l) {
    SuperLayer& layer = net->layers[l];
    const torch::Tensor head_order = importance.heads[l].argsort(0, /*descending=*/true);
    // Row index of every q/k/v row in the new order: whole head blocks move together.
    const torch::Tensor rows =
        (head_order.unsqueeze(1) * c.head_dim + torch::arange(c.head_dim, torch::kLong).unsqueeze(0)).reshape(-1);
    for (torch::Tensor* t : {&layer->wq, &layer->bq, &layer->wk, &layer->bk, &layer->wv, &layer->bv}) {
      permute_param(*t, 0, rows, optimizer);
    }
    permute_param(layer->wo, 1, rows, optimizer);
    const torch::Tensor neuron_order = importance.neurons[l].argsort(0, /*descending=*/true);
    permute_param(layer->w1, 0, neuron_order, optimizer);
    permute_param(layer->b1, 0, neuron_order, optimizer);
    permute_param(layer->w2, 1, neuron_order, optimizer);
  }
}

}  // namespace qtnas
