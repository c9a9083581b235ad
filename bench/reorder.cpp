// Benchmark: which order of heads and FFN neurons serves small subnets, at the moment the importance reorder
// runs (a supernet after its phase of the largest subnet alone). Each order is applied to a copy of the
// supernet, and subnets of every layer at one width are evaluated on validation examples:
//   as trained       the order training left (no reorder)
//   taylor           DynaBERT's first-order importance |dL/dmask| on training batches (what qtnas runs)
//   taylor reversed  the least important first (were the direction wrong, this would win)
//   taylor on val    the same importance measured on validation batches (another slice of data)
//   magnitude        weight norms: a head's q/k/v rows and output columns, a neuron's w1 row times w2 column
//   build/bench/bench_reorder --supernet qtnas_work/warm.pt [--task-dir /usr/share/wordnet] [--limit 2000]
#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <iostream>
#include <optional>

#include <fmt/format.h>

#include "data/tokenizer.h"
#include "data/wordnet.h"
#include "supernet/checkpoint.h"
#include "supernet/evaluate.h"
#include "supernet/importance.h"

using namespace qtnas;

namespace {

Importance magnitude_importance(Supernet& net) {
  torch::NoGradGuard no_grad;
  const SpaceConfig& c = net->space().config();
  Importance imp;
  for (const auto& layer : net->layers) {
    const torch::Tensor rows = layer->wq.pow(2).sum(1) + layer->wk.pow(2).sum(1) + layer->wv.pow(2).sum(1) +
                               layer->wo.pow(2).sum(0);
    imp.heads.push_back(rows.view({c.max_heads, c.head_dim}).sum(1).sqrt().to(torch::kDouble));
    imp.neurons.push_back((layer->w1.norm(2, 1) * layer->w2.norm(2, 0)).to(torch::kDouble));
  }
  return imp;
}

Importance reversed(Importance imp) {
  for (auto& t : imp.heads) t = -t;
  for (auto& t : imp.neurons) t = -t;
  return imp;
}

Arch uniform(const SpaceConfig& c, int heads, int ffn) {
  return Arch{std::vector<LayerArch>(c.layers, LayerArch{heads, ffn, 0, Precision::FP32})};
}

}  // namespace

int main(int argc, char** argv) {
  std::string supernet, wordnet_dir = "/usr/share/wordnet";
  size_t limit = 2000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--supernet")) supernet = argv[i + 1];
    else if (!std::strcmp(argv[i], "--task-dir")) wordnet_dir = argv[i + 1];
    else if (!std::strcmp(argv[i], "--limit")) limit = std::stoul(argv[i + 1]);
  }
  if (supernet.empty()) {
    std::cerr << "usage: bench_reorder --supernet CKPT [--task-dir /usr/share/wordnet] [--limit 2000]\n";
    return 2;
  }
  at::set_num_threads(1);
  const LoadedCheckpoint ckpt = load_checkpoint(supernet);
  const Tokenizer tokenizer = Tokenizer::load((std::filesystem::path(supernet).parent_path() / "tokenizer.model").string());
  const Dataset data = load_wordnet(wordnet_dir);
  const int seq = ckpt.net->space().config().max_seq_len;
  const EncodedSplit train = encode_split(data.train, tokenizer, seq), val = encode_split(data.val, tokenizer, seq);
  const SpaceConfig& c = ckpt.net->space().config();
  const std::vector<Arch> probes = {uniform(c, c.max_heads, c.ffn_choices.back()), uniform(c, 2, 512),
                                    uniform(c, 1, 256), ckpt.net->space().smallest()};
  // Importance on the batches the trainer uses (16 of 32), and as many of validation (disjoint from the probes'
  // first examples only by chance: the point is another slice, not a held-out score).
  const auto train_batches = eval_batches(train, 32, 16 * 32), val_batches = eval_batches(val, 32, 16 * 32);
  Supernet base = ckpt.net;
  const Importance taylor = measure_importance(base, train, train_batches);
  const Importance taylor_val = measure_importance(base, val, val_batches);
  const std::vector<std::pair<std::string, std::optional<Importance>>> orders = {
      {"as trained", std::nullopt},        {"taylor", taylor}, {"taylor reversed", reversed(taylor)},
      {"taylor on val", taylor_val}, {"magnitude", magnitude_importance(base)}};
  std::cout << fmt::format("val accuracy on {} examples, {}\n{:<16}", limit, supernet, "order");
  for (const Arch& a : probes) {
    std::cout << fmt::format(" {:>12}", fmt::format("{}L h{}-f{}", a.active_layers(), a.layers[0].heads, a.layers[0].ffn));
  }
  std::cout << "\n";
  for (const auto& [name, importance] : orders) {
    Supernet net = clone_supernet(base);
    if (importance) reorder_by_importance(net, *importance, nullptr);
    std::cout << fmt::format("{:<16}", name);
    for (const Arch& a : probes) std::cout << fmt::format(" {:>11.1f}%", 100 * evaluate(net, val, a, 64, limit).accuracy);
    std::cout << std::endl;
  }
  return 0;
}
