// Tests of export/: the deployable TorchScript module agrees with the supernet's evaluation of the same arch
// (fp32, bf16, int8, sparse), and survives save and load.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <numeric>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "export/module_accuracy.h"
#include "export/subnet_module.h"
#include "data/tokenizer.h"
#include "supernet/evaluate.h"
#include "tests/expect_error.h"
#include "tests/files.h"
#include "tests/fixtures.h"

using namespace qtnas;
using namespace qtnas::testing;

namespace {

// A supernet trained briefly, shared by the tests of this file.
Supernet trained_net() {
  static Supernet net = briefly_trained_net(scratch_dir("qtnas_export_test") / "train.pt");
  return net;
}

struct Agreement {
  double supernet_accuracy;
  ModuleAgreement module;
};

Agreement compare(Supernet& net, torch::jit::Module& module, const EncodedSplit& val, const Arch& arch) {
  // The very batches evaluate() uses.
  return {evaluate(net, val, arch, 64).accuracy, compare_with_supernet(module, net, arch, val, 64)};
}

}  // namespace

// One arch of the agreement test and its relative logit tolerance: fp32 differs only by summation order; bf16 by
// one bf16 rounding here and there; int8 by float-rounding differences that can move an activation across a
// quantization step.
struct AgreementCase {
  const char* name;  // the end of the test's name, after ModuleAgreesWithTheSupernet/
  const char* arch;
  double tolerance;
};

void PrintTo(const AgreementCase& c, std::ostream* out) { *out << c.name << " (" << c.arch << ")"; }

class ExportAgreement : public ::testing::TestWithParam<AgreementCase> {};

TEST_P(ExportAgreement, ModuleAgreesWithTheSupernet) {
  Supernet net = trained_net();
  const EncodedSplit val = synthetic_split(1000, 4);
  const Arch arch = parse_arch(GetParam().arch);
  torch::jit::Module module = build_subnet_module(net, arch);
  const Agreement a = compare(net, module, val, arch);
  EXPECT_GT(a.supernet_accuracy, 0.45);  // trained: far from chance (1/3)
  EXPECT_LE(std::fabs(a.module.accuracy - a.supernet_accuracy), 0.002);
  EXPECT_DOUBLE_EQ(module_accuracy(module, val), a.module.accuracy);
  EXPECT_LE(a.module.max_logit_diff, GetParam().tolerance * a.module.max_logit)
      << a.module.max_logit_diff << " of " << a.module.max_logit;
}

INSTANTIATE_TEST_SUITE_P(EveryPrecisionAndSparsity, ExportAgreement,
                         ::testing::Values(AgreementCase{"fp32", "h2-f64-s0-fp32,h2-f64-s0-fp32", 1e-4},
                                           AgreementCase{"bf16", "h2-f64-s0-bf16,h1-f32-s0-bf16", 3e-2},
                                           AgreementCase{"int8", "h2-f64-s0-int8,h2-f64-s0-int8", 2e-2},
                                           AgreementCase{"sparse_fp32", "h2-f64-s50-fp32,h1-f64-s75-fp32", 1e-4},
                                           AgreementCase{"sparse_int8_skipped_layer", "h1-f32-s50-int8,skip", 2e-2},
                                           AgreementCase{"sparse_bf16_no_ffn_no_heads",
                                                         "h2-f0-s75-bf16,h0-f64-s75-bf16", 3e-2}),
                         [](const ::testing::TestParamInfo<AgreementCase>& info) { return info.param.name; });

TEST(Export, ModuleAgreesOnUnpaddedBatchesOnBothFp32Paths) {
  // Unpadded batches skip the INT8 input masking; FP32 linears switch from OpenBLAS to oneDNN at 512 rows.
  Supernet net = trained_net();
  net->eval();
  torch::InferenceMode inference;
  for (const int64_t batch : {4, 64}) {  // 40 and 640 rows
    const torch::Tensor ids = torch::randint(7, 40, {batch, 10}, torch::kLong);
    const torch::Tensor pad = torch::zeros({batch, 10}, torch::kBool);
    for (const char* text : {"h2-f64-s0-fp32,h1-f32-s50-fp32", "h2-f64-s0-int8,h2-f64-s75-int8"}) {
      const Arch arch = parse_arch(text);
      torch::jit::Module module = build_subnet_module(net, arch);
      const torch::Tensor expected = net->forward(ids, pad, arch);
      const torch::Tensor logits = module.forward({ids, pad}).toTensor();
      const double tolerance = arch.layers[0].precision == Precision::INT8 ? 2e-2 : 1e-4;
      EXPECT_LE((logits - expected).abs().max().item<double>(), tolerance * expected.abs().max().item<double>())
          << text << " at batch " << batch;
    }
  }
}

TEST(Export, ModuleIsPhysicallySliced) {
  Supernet net = trained_net();
  const Arch arch = parse_arch("h1-f32-s50-fp32,skip");
  torch::jit::Module module = build_subnet_module(net, arch);
  int64_t elements = 0, onednn_elements = 0;
  auto ends_with = [](const std::string& s, const std::string& end) {
    return s.size() >= end.size() && s.compare(s.size() - end.size(), end.size(), end) == 0;
  };
  for (const auto& b : module.named_buffers()) {
    EXPECT_EQ(b.name.find("l1_"), std::string::npos) << "the skipped layer must be absent: " << b.name;
    if (ends_with(b.name, "_onednn")) {
      onednn_elements += b.value.numel();  // run-time copies of the FP32 linears in oneDNN's layout
    } else if (!ends_with(b.name, "_bits") && !ends_with(b.name, "_values")) {
      elements += b.value.numel();
    }
  }
  // Run-time weights: embeddings 40x32 + 12x32, four norms, the classifier, and only the active slices of
  // layer 0: qkv of one 16-wide head, the output projection, and 32 FFN neurons.
  const int64_t expected = 40 * 32 + 12 * 32 + 4 * 64 + (3 * 32 + 3) + (48 * 32 + 48) + (32 * 16 + 32) +
                           (32 * 32 + 32) + (32 * 32 + 32);
  EXPECT_EQ(elements, expected);
  EXPECT_EQ(onednn_elements, (48 * 32 + 48) + (32 * 16 + 32) + (32 * 32 + 32) + (32 * 32 + 32));
}

namespace {

template <typename T>
std::vector<std::vector<T>> tensor_rows(const torch::Tensor& t) {
  std::vector<std::vector<T>> rows;
  const torch::Tensor c = t.contiguous();
  for (int64_t r = 0; r < c.size(0); ++r) {
    const T* row = c[r].data_ptr<T>();
    rows.emplace_back(row, row + c.size(1));
  }
  return rows;
}

// A supernet like trained_net() whose training dropped tokens (keep choices {25, 50, 100}: LengthDrop).
Supernet dropping_net() {
  static Supernet net = briefly_trained_net(scratch_dir("qtnas_export_drop") / "train.pt", 80, {25, 50, 100});
  return net;
}

// The fraction of examples of `split` whose module logits differ from the supernet's by more than `tolerance`
// times the largest supernet logit of their batch, on evaluate()'s batches of 64.
double fraction_apart(torch::jit::Module& module, Supernet& net, const Arch& arch, const EncodedSplit& split,
                      double tolerance) {
  net->eval();
  torch::InferenceMode inference;
  int64_t apart = 0, total = 0;
  for (const auto& indices : eval_batches(split, 64)) {
    const Batch b = make_batch(split, indices);
    const torch::Tensor expected = net->forward(b.ids, b.pad, arch);
    const torch::Tensor diff = (module.forward({b.ids, b.pad}).toTensor() - expected).abs().amax(1);
    apart += diff.gt(tolerance * expected.abs().max().item<double>()).sum().item<int64_t>();
    total += b.ids.size(0);
  }
  return double(apart) / double(total);
}

// A dropping_net() whose classifier reads the mean of the real tokens' vectors instead of [CLS].
Supernet mean_pooled_net() {
  static Supernet net =
      briefly_trained_net(scratch_dir("qtnas_export_mean") / "train.pt", 80, {25, 50, 100}, Pooling::Mean);
  return net;
}

// The module selects the tokens the supernet selects. A near-tie in the attention received may rank two tokens
// the other way when the two computations round differently (bf16, int8), and then that example's logits differ
// more: so the test bounds the share of examples beyond the logit tolerance (1%) and the accuracy gap.
void expect_agreement_with_dropped_tokens(Supernet net, const AgreementCase& c) {
  const EncodedSplit val = synthetic_split(1000, 4);
  const Arch arch = parse_arch(c.arch);
  torch::jit::Module module = build_subnet_module(net, arch);
  const Agreement a = compare(net, module, val, arch);
  // Trained: far from chance (1/3), unless the first drop comes before any attention and so keeps the first
  // tokens, which loses the label's marker about half the time.
  if (arch.layers[0].heads > 0) {
    EXPECT_GT(a.supernet_accuracy, 0.45);
  }
  EXPECT_LE(std::fabs(a.module.accuracy - a.supernet_accuracy), 0.005);
  EXPECT_LE(fraction_apart(module, net, arch, val, c.tolerance), 0.01);
}

}  // namespace

class ExportTokenDropping : public ::testing::TestWithParam<AgreementCase> {};

TEST_P(ExportTokenDropping, ModuleAgreesWithTheSupernet) {
  expect_agreement_with_dropped_tokens(dropping_net(), GetParam());
}

INSTANTIATE_TEST_SUITE_P(
    EveryPrecision, ExportTokenDropping,
    ::testing::Values(AgreementCase{"fp32_second_layer", "h2-f64-s0-fp32,h2-f64-s0-fp32-k50", 1e-4},
                      AgreementCase{"fp32_both_layers", "h2-f64-s0-fp32-k50,h2-f64-s0-fp32-k25", 1e-4},
                      AgreementCase{"bf16", "h2-f64-s0-bf16-k50,h1-f32-s0-bf16-k50", 3e-2},
                      AgreementCase{"int8", "h2-f64-s0-int8-k50,h2-f64-s0-int8-k25", 2e-2},
                      AgreementCase{"sparse_int8", "h2-f64-s50-int8,h1-f64-s75-int8-k50", 2e-2},
                      AgreementCase{"no_attention_before_the_drop", "h0-f64-s0-fp32-k50,h2-f32-s0-fp32-k50", 1e-4},
                      AgreementCase{"no_heads_in_the_dropping_layer", "h2-f64-s0-bf16,h0-f64-s0-bf16-k25", 3e-2}),
    [](const ::testing::TestParamInfo<AgreementCase>& info) { return info.param.name; });

class ExportMeanPooling : public ::testing::TestWithParam<AgreementCase> {};

TEST_P(ExportMeanPooling, ModuleAgreesWithTheSupernet) {
  expect_agreement_with_dropped_tokens(mean_pooled_net(), GetParam());
}

// The mean runs over the tokens the last layer kept, so archs that drop tokens are among the cases.
INSTANTIATE_TEST_SUITE_P(EveryPrecision, ExportMeanPooling,
                         ::testing::Values(AgreementCase{"fp32", "h2-f64-s0-fp32,h2-f64-s0-fp32", 1e-4},
                                           AgreementCase{"fp32_dropping", "h2-f64-s0-fp32,h2-f64-s0-fp32-k50", 1e-4},
                                           AgreementCase{"bf16_dropping", "h2-f64-s0-bf16-k50,h1-f32-s0-bf16-k50", 3e-2},
                                           AgreementCase{"int8_dropping", "h2-f64-s50-int8-k50,h2-f64-s0-int8-k25", 2e-2}),
                         [](const ::testing::TestParamInfo<AgreementCase>& info) { return info.param.name; });

// Each example of a padded batch (rows of different lengths keep different counts) gets what it gets alone at
// batch 1, before and after save and load, and in Python's torch.jit.load when python3-torch is here.
TEST(Export, TokenDroppingModuleIsTheSameAtBatchOneAndInPaddedBatches) {
  Supernet net = dropping_net();
  const Arch arch = parse_arch("h2-f64-s0-fp32-k50,h1-f32-s50-fp32-k25");
  torch::jit::Module built = build_subnet_module(net, arch);
  const std::string path = (scratch_dir("qtnas_export_drop") / "m.pt").string();
  built.save(path);
  torch::jit::Module module = torch::jit::load(path);
  const EncodedSplit data = synthetic_split(16, 6);
  std::vector<size_t> all(data.ids.size());
  std::iota(all.begin(), all.end(), size_t{0});
  const Batch batch = make_batch(data, all);
  torch::InferenceMode inference;
  const torch::Tensor padded = module.forward({batch.ids, batch.pad}).toTensor();
  EXPECT_TRUE(padded.equal(built.forward({batch.ids, batch.pad}).toTensor()));
  for (size_t i = 0; i < all.size(); ++i) {
    const Batch one = make_batch(data, {i});
    const torch::Tensor alone = module.forward({one.ids, one.pad}).toTensor();
    EXPECT_TRUE(torch::allclose(alone[0], padded[int64_t(i)], 1e-4, 1e-5)) << "example " << i;
  }

  const std::string python = python_importing("torch");
  if (python.empty()) GTEST_SKIP() << "python3-torch is not installed (scripts/setup.sh installs it)";
  // Python gets the very batch as JSON and runs the file with plain torch.jit.load.
  const auto dir = scratch_dir("qtnas_export_drop");
  std::ofstream(dir / "batch.json") << nlohmann::json{{"ids", tensor_rows<int64_t>(batch.ids)},
                                                      {"pad", tensor_rows<bool>(batch.pad)}}.dump();
  std::ofstream(dir / "run.py") << "import json, sys, torch\n"
                                   "m = torch.jit.load(sys.argv[1])\n"
                                   "b = json.load(open(sys.argv[2]))\n"
                                   "ids = torch.tensor(b['ids'], dtype=torch.long)\n"
                                   "pad = torch.tensor(b['pad'], dtype=torch.bool)\n"
                                   "print(json.dumps(m(ids, pad).tolist()))\n";
  const auto out = dir / "python.json";
  const std::string cmd = fmt::format("{} {} {} {} >{} 2>&1", python, (dir / "run.py").string(), path,
                                      (dir / "batch.json").string(), out.string());
  ASSERT_EQ(std::system(cmd.c_str()), 0) << read_file(out);
  const nlohmann::json py = nlohmann::json::parse(read_file(out));
  ASSERT_EQ(py.size(), all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    for (int64_t k = 0; k < padded.size(1); ++k) {
      EXPECT_NEAR(py[i][k].get<double>(), padded[int64_t(i)][k].item<double>(), 1e-5) << "example " << i;
    }
  }
}

TEST(Export, SparseWeightsAreSavedCompressedAndExpandedWhenLoaded) {
  Supernet net = trained_net();
  const EncodedSplit data = synthetic_split(16, 5);
  const Batch batch = make_batch(data, eval_batches(data, 16)[0]);
  auto saved_size = [&](const std::string& text) {
    torch::jit::Module module = build_subnet_module(net, parse_arch(text));
    const auto path = scratch_dir("qtnas_export_test") / "module.pt";
    module.save(path.string());
    torch::jit::Module loaded = torch::jit::load(path.string());
    torch::InferenceMode inference;
    EXPECT_TRUE(module.forward({batch.ids, batch.pad}).toTensor().equal(loaded.forward({batch.ids, batch.pad}).toTensor()))
        << text;
    return std::filesystem::file_size(path);
  };
  for (const char* precision : {"fp32", "bf16", "int8"}) {
    const auto dense = saved_size(fmt::format("h2-f64-s0-{0},h2-f64-s0-{0}", precision));
    const auto sparse = saved_size(fmt::format("h2-f64-s75-{0},h2-f64-s75-{0}", precision));
    EXPECT_LT(sparse, dense) << precision << ": a 75% sparse module must be saved smaller than a dense one";
  }
}

namespace {

c10::List<c10::List<int64_t>> id_lists(const std::vector<std::vector<int>>& rows) {
  c10::List<c10::List<int64_t>> out;
  for (const auto& r : rows) out.push_back(c10::List<int64_t>(std::vector<int64_t>(r.begin(), r.end())));
  return out;
}

// The forward of the ids as C++ encodes them for training, padded as a training batch.
torch::Tensor forward_encoded(torch::jit::Module& module, const std::vector<std::vector<int>>& encoded) {
  EncodedSplit split;
  split.ids = encoded;
  split.labels.assign(encoded.size(), 0);
  std::vector<size_t> all(encoded.size());
  std::iota(all.begin(), all.end(), size_t{0});
  const Batch b = make_batch(split, all);
  return module.forward({b.ids, b.pad}).toTensor();
}

}  // namespace

// A user of the exported file classifies SentencePiece ids with the module's classify methods; they must add
// [CLS], [SEP], the cut and the padding exactly as training did (Tokenizer::encode, assemble_pair), also after
// torch::jit::load, and at lengths on both sides of the sequence length.
TEST(Export, ClassifyMethodsEncodeAsTraining) {
  Supernet net = trained_net();
  const int max_len = static_cast<int>(net->space().config().max_seq_len);
  torch::jit::Module built = build_subnet_module(net, parse_arch("h2-f64-s0-fp32,h1-f32-s50-fp32"));
  const std::string path = (scratch_dir("qtnas_export_classify") / "m.pt").string();
  built.save(path);
  torch::jit::Module module = torch::jit::load(path);
  Rng rng(5);
  std::vector<std::vector<int>> first, second, singles, pairs;
  for (int i = 0; i < 24; ++i) {
    std::vector<int> a(rng.uniform(2 * max_len)), b(1 + rng.uniform(2 * max_len));
    for (int& t : a) t = 4 + static_cast<int>(rng.uniform(36));
    for (int& t : b) t = 4 + static_cast<int>(rng.uniform(36));
    first.push_back(a);
    second.push_back(b);
    pairs.push_back(Tokenizer::assemble_pair(a, b, max_len));
    ASSERT_LE(pairs.back().size(), size_t(max_len));
    std::vector<int> single = {2};
    single.insert(single.end(), a.begin(), a.begin() + std::min<ptrdiff_t>(a.size(), max_len - 1));
    singles.push_back(single);
  }
  torch::InferenceMode inference;
  const torch::Tensor by_pairs = module.run_method("classify_pairs", id_lists(first), id_lists(second)).toTensor();
  EXPECT_TRUE(torch::allclose(by_pairs, forward_encoded(module, pairs), 1e-5, 1e-5));
  const torch::Tensor by_texts = module.run_method("classify", id_lists(first)).toTensor();
  EXPECT_TRUE(torch::allclose(by_texts, forward_encoded(module, singles), 1e-5, 1e-5));
  EXPECT_FALSE(torch::allclose(by_pairs, by_texts, 1e-3, 1e-3));  // the second text matters
}
