#include "export/subnet_module.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/native/quantized/PackedParams.h>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/csrc/jit/frontend/sugared_value.h>

#include <algorithm>
#include <cmath>

#include "space/error.h"
#include "supernet/numerics.h"

namespace qtnas {
namespace {

using PackedLinear = c10::intrusive_ptr<LinearPackedParamsBase>;

// Makes the name `quantized` in module source refer to the quantized operators (quantized.linear_dynamic).
struct QuantizedOpsResolver : torch::jit::Resolver {
  std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string& name, torch::jit::GraphFunction& m,
                                                         const torch::jit::SourceRange& loc) override {
    if (name == "quantized") return std::make_shared<torch::jit::BuiltinModule>("quantized");
    return torch::jit::nativeResolver()->resolveValue(name, m, loc);
  }
  c10::TypePtr resolveType(const std::string& name, const torch::jit::SourceRange& loc) override {
    return torch::jit::nativeResolver()->resolveType(name, loc);
  }
};

PackedLinear prepack(const torch::Tensor& w, const torch::Tensor& b) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("quantized::linear_prepack", "")
                       .typed<PackedLinear(at::Tensor, c10::optional<at::Tensor>)>();
  const QuantizedWeight q = quantize_weight_int8(w);
  const torch::Tensor wq = at::_make_per_channel_quantized_tensor(
      q.values, q.scales.to(torch::kDouble), torch::zeros({w.size(0)}, torch::kLong), /*axis=*/0);
  return op.call(wq, b.contiguous());
}

// The module's weights as they are saved. A sparse matrix is saved compressed, as a bitmap of its kept
// positions plus the kept values (SearchSpace::size counts it this way); __setstate__, which torch.jit.load runs
// in C++ and in Python alike, expands it into the dense weight that forward uses, so no mask is applied at run
// time. Everything else is saved as it is.
struct ModuleState {
  std::vector<std::pair<std::string, std::string>> saved;  // attribute name, TorchScript type
  std::string expand;                                       // __setstate__ lines that rebuild the rest
  std::string derive;  // __setstate__ lines run after `expand`: run-time forms of the weights (oneDNN layout)
};

// FP32 linears: OpenBLAS (aten::linear) for few rows, oneDNN (mkldnn_linear, weights kept in oneDNN's layout)
// from 512 rows on. Measured here at 2 threads: oneDNN is 1.7x faster at batch 32 x 64 tokens (e.g. 7.0 vs
// 11.8 ms for 256 -> 1024), and at 64 rows as fast or slower (0.51 vs 0.42 ms for 1024 -> 256): OpenBLAS runs
// single-threaded next to LibTorch's threads (supernet/machine.h), oneDNN uses LibTorch's threads.
constexpr const char* kFp32LinearMethod =
    "def fp32_linear(self, x: Tensor, w: Tensor, b: Tensor, w_onednn: Tensor, b_onednn: Tensor) -> Tensor:\n"
    "    if x.size(0) * x.size(1) >= 512:\n"
    "        return torch.mkldnn_linear(x.to_mkldnn(), w_onednn, b_onednn).to_dense()\n"
    "    return torch.linear(x, w, b)\n";

// Token elimination, the supernet's rule (supernet/supernet.h: choose_tokens, kept_token_counts) on standard ops
// (sort, gather) so that plain PyTorch runs it: row b keeps its count[b] unpadded tokens of highest score, [CLS]
// always and first, ties to the earlier position (stable sorts), in their order; its columns past count[b] are
// padding and point at [CLS]. Returns the kept positions, their padding and their scores.
constexpr const char* kChooseTokensMethod = R"(
def choose_tokens(self, pad: Tensor, score: Tensor, count: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    ranked = score.masked_fill(pad, -1e+30)
    ranked.select(1, 0).fill_(1e+30)
    order = torch.sort(ranked, dim=1, descending=True, stable=True)[1]
    width = int(count.max())
    past = pad.size(1)
    extra = torch.arange(width, dtype=4).unsqueeze(0).ge(count.unsqueeze(1))
    kept = torch.sort(order.narrow(1, 0, width).masked_fill(extra, past), dim=1, stable=True)[0]
    kept_pad = kept.eq(past)
    chosen = kept.masked_fill(kept_pad, 0)
    return chosen, kept_pad, score.gather(1, chosen)
)";

// Bit j of byte [r, c] says whether weight [r, 8c + j] is kept.
torch::Tensor pack_bits(const torch::Tensor& mask) {
  const int64_t rows = mask.size(0), cols = mask.size(1), bytes = (cols + 7) / 8;
  const torch::Tensor padded = torch::constant_pad_nd(mask.to(torch::kUInt8), {0, bytes * 8 - cols});
  const torch::Tensor weights = torch::tensor({1, 2, 4, 8, 16, 32, 64, 128}, torch::kUInt8);
  return (padded.view({rows, bytes, 8}) * weights).sum(-1).to(torch::kUInt8);
}

// TorchScript source of the dense [rows, cols] matrix of dtype code `dtype` with `values` at the bitmap's kept
// positions and zeros elsewhere.
std::string unpack_source(const std::string& bits, const std::string& values, int64_t rows, int64_t cols, int dtype) {
  return fmt::format(
      "torch.zeros([{r}, {c}], dtype={t}).masked_scatter(torch.bitwise_and(torch.bitwise_right_shift("
      "{bits}.unsqueeze(-1), torch.arange(8, dtype=0)), 1).view([{r}, -1]).narrow(1, 0, {c}).to(11), {values})",
      fmt::arg("r", rows), fmt::arg("c", cols), fmt::arg("t", dtype), fmt::arg("bits", bits),
      fmt::arg("values", values));
}

void add_saved_buffer(torch::jit::Module& m, ModuleState& state, const std::string& name, const torch::Tensor& t) {
  m.register_buffer(name, t.contiguous());
  state.saved.emplace_back(name, "Tensor");
}

// The input of an INT8 linear: padded positions are zeroed so that they do not widen the dynamic activation
// range (the supernet's numerics do the same); without padding that pass over the activations is skipped
// (it was 10% of an INT8 forward at batch 32).
const std::string kInt8Input = "({in} * keep if has_pad else {in})";

// `name`_w/_b are the dense FP32 weights (saved, or expanded by __setstate__); their oneDNN copies are made by
// __setstate__ after that. Returns the source of the call.
std::string fp32_linear(torch::jit::Module& m, ModuleState& state, const std::string& name) {
  const std::string self_name = "self." + name;
  m.register_buffer(name + "_w_onednn", torch::Tensor());
  m.register_buffer(name + "_b_onednn", torch::Tensor());
  state.derive += fmt::format("    {s}_w_onednn = {s}_w.to_mkldnn()\n    {s}_b_onednn = {s}_b.to_mkldnn()\n",
                              fmt::arg("s", self_name));
  return fmt::format("self.fp32_linear({{in}}, {s}_w, {s}_b, {s}_w_onednn, {s}_b_onednn)", fmt::arg("s", self_name));
}

// Registers the weights of one linear (w already pruned to `sparsity_pct`) at the layer's precision under `name`
// and returns the source of `name(input)`.
std::string add_linear(torch::jit::Module& m, ModuleState& state, const std::string& name, const torch::Tensor& w,
                       const torch::Tensor& b, Precision precision, int sparsity_pct) {
  const std::string self = "self." + name;
  // dtype codes in the source (dtype names are no values there): 0 uint8, 1 int8, 6 float32, 7 float64,
  // 11 bool, 15 bfloat16.
  if (sparsity_pct > 0) {
    const torch::Tensor mask = magnitude_mask(w, sparsity_pct).to(torch::kBool);
    add_saved_buffer(m, state, name + "_bits", pack_bits(mask));
    if (precision == Precision::INT8) {
      const QuantizedWeight q = quantize_weight_int8(w);
      add_saved_buffer(m, state, name + "_values", q.values.masked_select(mask));
      add_saved_buffer(m, state, name + "_scales", q.scales.to(torch::kDouble));
      add_saved_buffer(m, state, name + "_b", b);
      m.register_attribute(name, c10::getCustomClassType<PackedLinear>(), c10::IValue());  // by __setstate__
      state.expand += fmt::format(
          "    {s} = quantized.linear_prepack(torch._make_per_channel_quantized_tensor({dense}, {s}_scales, "
          "torch.zeros([{r}], dtype=4), 0), {s}_b)\n",
          fmt::arg("s", self), fmt::arg("r", w.size(0)),
          fmt::arg("dense", unpack_source(self + "_bits", self + "_values", w.size(0), w.size(1), 1)));
      return "quantized.linear_dynamic(" + kInt8Input + ", " + self + ", True)";
    }
    const bool bf16 = precision == Precision::BF16;
    add_saved_buffer(m, state, name + "_values", w.masked_select(mask).to(bf16 ? torch::kBFloat16 : torch::kFloat));
    add_saved_buffer(m, state, name + "_b", bf16 ? b.to(torch::kBFloat16) : b);
    m.register_buffer(name + "_w", torch::Tensor());  // filled by __setstate__
    state.expand += fmt::format("    {}_w = {}\n", self,
                                unpack_source(self + "_bits", self + "_values", w.size(0), w.size(1), bf16 ? 15 : 6));
    if (bf16) return "torch.linear({in}.to(15), " + self + "_w, " + self + "_b).to(6)";
    return fp32_linear(m, state, name);
  }
  switch (precision) {
    case Precision::INT8:
      m.register_attribute(name, c10::getCustomClassType<PackedLinear>(), c10::IValue(prepack(w, b)));
      state.saved.emplace_back(name, "__torch__.torch.classes.quantized.LinearPackedParamsBase");
      return "quantized.linear_dynamic(" + kInt8Input + ", " + self + ", True)";
    case Precision::BF16:
      add_saved_buffer(m, state, name + "_w", w.to(torch::kBFloat16));
      add_saved_buffer(m, state, name + "_b", b.to(torch::kBFloat16));
      return "torch.linear({in}.to(15), " + self + "_w, " + self + "_b).to(6)";
    case Precision::FP32:
      break;
  }
  add_saved_buffer(m, state, name + "_w", w);
  add_saved_buffer(m, state, name + "_b", b);
  return fp32_linear(m, state, name);
}

// __getstate__ returns the saved attributes and `training`; __setstate__ assigns them and runs the expansions.
std::string state_methods(const ModuleState& state) {
  std::string types, get = "    return (", set;
  for (size_t i = 0; i < state.saved.size(); ++i) {
    types += state.saved[i].second + ", ";
    get += "self." + state.saved[i].first + ", ";
    set += fmt::format("    self.{} = state[{}]\n", state.saved[i].first, i);
  }
  const std::string tuple = "Tuple[" + types + "bool]";
  return "def __getstate__(self) -> " + tuple + ":\n" + get + "self.training)\n" +
         "def __setstate__(self, state: " + tuple + ") -> None:\n" + set +
         fmt::format("    self.training = state[{}]\n", state.saved.size()) + state.expand + state.derive;
}

std::string call(const std::string& linear, const std::string& input) {
  std::string out = linear;
  for (size_t at = out.find("{in}"); at != std::string::npos; at = out.find("{in}", at + input.size())) {
    out.replace(at, 4, input);
  }
  return out;
}

torch::Tensor pruned(const torch::Tensor& w, int sparsity_pct) {
  return sparsity_pct == 0 ? w.clone() : w * magnitude_mask(w, sparsity_pct);
}

void add_norm(torch::jit::Module& m, ModuleState& state, const std::string& name, const torch::nn::LayerNorm& norm) {
  add_saved_buffer(m, state, name + "_w", norm->weight.detach().clone());
  add_saved_buffer(m, state, name + "_b", norm->bias.detach().clone());
}

std::string norm(const std::string& name, const std::string& input, int hidden) {
  return fmt::format("torch.layer_norm({}, [{}], self.{}_w, self.{}_b, 1e-05)", input, hidden, name, name);
}

// The masks of the current rows from `pad`: at the start, and again after each token selection.
constexpr const char* kMasks =
    "    key_bias = pad.to(6).mul(-1000000000.0).view([batch, 1, 1, length])\n"
    "    keep = pad.logical_not().to(6).unsqueeze(-1)\n"
    "    has_pad = bool(pad.any())\n";

// Registers every weight of the subnet on `m` and returns the source of its forward.
std::string assemble(torch::jit::Module& m, ModuleState& state, Supernet& net, const Arch& arch) {
  const SpaceConfig& c = net->space().config();
  const int d = c.head_dim, h = c.hidden;
  torch::NoGradGuard no_grad;
  auto W = [](const torch::Tensor& t) { return t.detach(); };
  add_saved_buffer(m, state, "tok_embedding", W(net->tok_embedding->weight).clone());
  add_saved_buffer(m, state, "pos_embedding", W(net->pos_embedding->weight).clone());
  add_norm(m, state, "embedding_norm", net->embedding_norm);
  std::string src =
      "def forward(self, ids: Tensor, pad: Tensor) -> Tensor:\n"
      "    batch = ids.size(0)\n"
      "    length = ids.size(1)\n"
      "    positions = torch.arange(length, dtype=4)\n"
      "    x = torch.embedding(self.tok_embedding, ids) + torch.embedding(self.pos_embedding, positions).unsqueeze(0)\n"
      "    x = " + norm("embedding_norm", "x", h) + "\n"
      + kMasks;
  const std::vector<bool> ranks = ranking_layers(arch);
  bool scored = false;  // whether `score` (attention received) exists yet
  int kept_pct = 100;
  for (size_t i = 0; i < arch.layers.size(); ++i) {
    const LayerArch& la = arch.layers[i];
    if (la.skipped()) continue;
    const std::string p = fmt::format("l{}_", i);
    const SuperLayer& L = net->layers[i];
    auto linear = [&](const std::string& name, const torch::Tensor& w, const torch::Tensor& b) {
      return add_linear(m, state, p + name, w, b, la.precision, la.sparsity_pct);
    };
    // Where the layer drops tokens (as the supernet's encode): `chosen`, with x, pad, score and the masks cut to
    // the kept positions.
    const bool drops = la.keep_pct < kept_pct;
    auto select = [&] {
      if (kept_pct == 100) src += "    lengths = pad.logical_not().sum(1)\n";
      if (!scored) src += "    score = torch.zeros([batch, length])\n";  // no attention yet: the first tokens
      scored = true;
      src += fmt::format(
          "    chosen, pad, score = self.choose_tokens(pad, score, "
          "torch.div(lengths * {} + 99, 100, rounding_mode='floor').clamp_min(1))\n",
          la.keep_pct);
      src += "    length = chosen.size(1)\n";
      src += "    x = x.gather(1, chosen.unsqueeze(-1).expand([batch, length, x.size(2)]))\n";
      src += kMasks;
      kept_pct = la.keep_pct;
    };
    if (la.heads > 0) {
      const int64_t inner = int64_t{la.heads} * d;
      add_norm(m, state, p + "attn_norm", L->attn_norm);
      // q, k and v are each pruned on their own slice, as in the supernet, then stacked into one matmul.
      const std::string qkv = linear("qkv",
                                     torch::cat({pruned(W(L->wq).narrow(0, 0, inner), la.sparsity_pct),
                                                 pruned(W(L->wk).narrow(0, 0, inner), la.sparsity_pct),
                                                 pruned(W(L->wv).narrow(0, 0, inner), la.sparsity_pct)}),
                                     torch::cat({W(L->bq).narrow(0, 0, inner), W(L->bk).narrow(0, 0, inner),
                                                 W(L->bv).narrow(0, 0, inner)}));
      const std::string out = linear("out", pruned(W(L->wo).narrow(1, 0, inner), la.sparsity_pct), W(L->bo).clone());
      const std::string heads = fmt::format(".view([batch, length, {}, {}]).transpose(1, 2)", la.heads, d);
      src += "    h = " + norm(p + "attn_norm", "x", h) + "\n";
      src += "    qkv = " + call(qkv, "h") + "\n";
      src += fmt::format("    q = qkv.narrow(2, 0, {}){}\n", inner, heads);
      src += fmt::format("    k = qkv.narrow(2, {}, {}){}\n", inner, inner, heads);
      src += fmt::format("    v = qkv.narrow(2, {}, {}){}\n", 2 * inner, inner, heads);
      src += fmt::format("    scores = torch.matmul(q, k.transpose(-2, -1)) / {} + key_bias\n", std::sqrt(double(d)));
      src += "    probs = torch.softmax(scores, -1)\n";
      if (ranks[i]) {  // summed over heads first, then over the real queries, as the supernet sums it
        src += "    score = (probs.sum(1) * keep).sum(1)\n";
        scored = true;
      }
      if (drops) {  // the context and output of the kept queries only
        select();
        src += fmt::format("    probs = probs.gather(2, chosen.view([batch, 1, length, 1]).expand([batch, {}, "
                           "length, probs.size(3)]))\n", la.heads);
      }
      src += fmt::format("    context = torch.matmul(probs, v).transpose(1, 2).reshape([batch, length, {}])\n", inner);
      src += "    x = x + " + call(out, "context") + "\n";
    } else if (drops) {
      select();
    }
    if (la.ffn > 0) {
      add_norm(m, state, p + "ffn_norm", L->ffn_norm);
      const std::string fc1 =
          linear("fc1", pruned(W(L->w1).narrow(0, 0, la.ffn), la.sparsity_pct), W(L->b1).narrow(0, 0, la.ffn).clone());
      const std::string fc2 = linear("fc2", pruned(W(L->w2).narrow(1, 0, la.ffn), la.sparsity_pct), W(L->b2).clone());
      src += "    h = " + norm(p + "ffn_norm", "x", h) + "\n";
      src += "    a = torch.gelu(" + call(fc1, "h") + ")\n";
      src += "    x = x + " + call(fc2, "a") + "\n";
    }
  }
  add_norm(m, state, "final_norm", net->final_norm);
  add_saved_buffer(m, state, "classifier_w", W(net->classifier->weight).clone());
  add_saved_buffer(m, state, "classifier_b", W(net->classifier->bias).clone());
  src += "    x = " + norm("final_norm", "x", h) + "\n";
  // Pooled as the supernet pools (supernet.cpp): [CLS], or the mean over the rows `keep` marks as real tokens.
  const bool mean = net->space().config().pooling == Pooling::Mean;
  src += fmt::format("    return torch.linear({}, self.classifier_w, self.classifier_b)\n",
                     mean ? "(x * keep).sum(1) / keep.sum(1)" : "x.select(1, 0)");
  return src;
}

// Entry points on SentencePiece ids, so that a user of the exported file (Python or C++) classifies texts with the
// shipped tokenizer and nothing else: the module adds [CLS], the [SEP] of a pair, truncation and padding as
// training did (data/tokenizer.h; classify_pairs applies Tokenizer::assemble_pair's rule).
std::string classify_methods(int max_len) {
  return fmt::format(R"(
def classify(self, pieces: List[List[int]]) -> Tensor:
    rows: List[List[int]] = []
    for p in pieces:
        rows.append([2] + p[:{max_len} - 1])
    return self.classify_ids(rows)
def classify_pairs(self, first: List[List[int]], second: List[List[int]]) -> Tensor:
    assert len(first) == len(second), "classify_pairs: as many second texts as first ones"
    budget = {max_len} - 2
    half_a = (budget + 1) // 2
    rows: List[List[int]] = []
    for i in range(len(first)):
        a = first[i]
        b = second[i]
        keep_a = min(len(a), max(half_a, budget - min(budget, len(b))))
        keep_b = min(len(b), budget - keep_a)
        rows.append([2] + a[:keep_a] + [3] + b[:keep_b])
    return self.classify_ids(rows)
def classify_ids(self, rows: List[List[int]]) -> Tensor:
    assert len(rows) > 0, "classify: no texts"
    length = 1
    for r in rows:
        length = max(length, len(r))
    ids: List[List[int]] = []
    pad: List[List[bool]] = []
    for r in rows:
        ids.append(r + [0] * (length - len(r)))
        pad.append([False] * len(r) + [True] * (length - len(r)))
    return self.forward(torch.tensor(ids, dtype=4), torch.tensor(pad, dtype=11))
)",
                     fmt::arg("max_len", max_len));
}

}  // namespace

void select_quantized_engine() {
  const auto& engines = at::globalContext().supportedQEngines();
  QTNAS_CHECK(std::find(engines.begin(), engines.end(), at::QEngine::ONEDNN) != engines.end(),
              "INT8 needs LibTorch's onednn quantized engine, which this build lacks");
  at::globalContext().setQEngine(at::QEngine::ONEDNN);
}

torch::jit::Module build_subnet_module(Supernet& net, const Arch& arch, bool allow_empty) {
  const bool empty = allow_empty && arch.active_layers() == 0 &&
                     static_cast<int>(arch.layers.size()) == net->space().config().layers;
  if (!empty) net->space().validate(arch);
  select_quantized_engine();
  torch::jit::Module module("__torch__.qtnas.Subnet");
  module.register_attribute("training", c10::BoolType::get(), false);  // as every Python module has
  ModuleState state;
  const std::string forward = assemble(module, state, net, arch);
  const bool drops = std::any_of(arch.layers.begin(), arch.layers.end(),
                                  [](const LayerArch& l) { return !l.skipped() && l.keep_pct < 100; });
  module.define(forward + kFp32LinearMethod + (drops ? kChooseTokensMethod : "") + state_methods(state) +
                    classify_methods(net->space().config().max_seq_len),
                std::make_shared<QuantizedOpsResolver>());
  // Build the run-time weights exactly as torch.jit.load will: from the saved state.
  module.run_method("__setstate__", module.run_method("__getstate__"));
  module.eval();
  return module;
}

}  // namespace qtnas
