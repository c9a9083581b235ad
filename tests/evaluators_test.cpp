// Tests of evaluators/: candidates evaluated in parallel give the serial results bit for bit and in order, the
// proxy evaluator is supernet/evaluate.h's evaluation on the same examples, split_cores keeps inter x intra
// within the cores, and a failing candidate comes back as a result, not an exception.
#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include <algorithm>
#include <set>

#include "evaluators/parallel.h"
#include "evaluators/proxy_evaluator.h"
#include "supernet/evaluate.h"
#include "tests/expect_error.h"
#include "tests/files.h"
#include "tests/fixtures.h"

using namespace qtnas;
using namespace qtnas::testing;

namespace {

// Trained part-way, so that archs have accuracies of their own and a result put in another arch's place shows:
// an untrained net gives every arch the same, and 80 steps make most of them perfect on this easy task. Shared by
// the tests of this file.
Supernet trained_net() {
  static Supernet net = briefly_trained_net(scratch_dir("qtnas_evaluators_test") / "train.pt", /*steps=*/20);
  return net;
}

const EncodedSplit& validation() {
  static const EncodedSplit split = synthetic_split(3000, 30);
  return split;
}

constexpr size_t kSubset = 150;  // not a multiple of the batch size (64): the last batch is a short one

// The message SearchSpace::validate gives for `arch` (empty if it is valid).
std::string validation_error(const SearchSpace& space, const Arch& arch) {
  try {
    space.validate(arch);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(SplitCores, NeverOversubscribesAndLeavesNoCoreUnused) {
  for (int cores = 1; cores <= 64; ++cores) {
    for (int candidates = 0; candidates <= 80; ++candidates) {
      const Parallelism p = split_cores(cores, candidates);
      ASSERT_GE(p.intra, 1) << cores << " cores, " << candidates << " candidates";
      ASSERT_LE(p.inter * p.intra, cores) << cores << " cores, " << candidates << " candidates";
      // As many candidates at a time as there are, up to one a core...
      ASSERT_EQ(p.inter, std::clamp(candidates, 1, cores)) << cores << " cores, " << candidates << " candidates";
      // ...and each as many threads as the cores allow: one more would oversubscribe. So more than half the
      // cores work, and all of them when the candidates fill the cores or divide them.
      ASSERT_GT(p.inter * (p.intra + 1), cores) << cores << " cores, " << candidates << " candidates";
    }
  }
  for (int cores : {0, -1}) expect_error([&] { split_cores(cores, 4); }, {"at least one core"});
}

TEST(EvaluateAll, ParallelResultsAreTheSerialOnesBitForBitInOrder) {
  const ProxyEvaluator evaluator(trained_net(), validation(), kSubset);
  const SearchSpace space(tiny_space(2, {0, 50, 75}));
  Rng rng(4);
  std::vector<Arch> archs;
  for (int i = 0; i < 16; ++i) archs.push_back(space.sample(rng));
  archs.insert(archs.begin() + 5, parse_arch("h3-f64-s0-fp32,skip"));  // invalid: its failure keeps its place
  const std::vector<Evaluation> serial = evaluate_all(evaluator, archs, {1, 1});
  std::set<double> accuracies;
  for (const Evaluation& e : serial) accuracies.insert(e.accuracy);
  ASSERT_GE(accuracies.size(), 5u) << "too few distinct accuracies for a result out of place to show";
  ASSERT_FALSE(serial[5].ok);

  for (const int inter : {2, 3, 8}) {
    at::set_num_threads(2);
    const std::vector<Evaluation> parallel = evaluate_all(evaluator, archs, {inter, 1});
    EXPECT_EQ(at::get_num_threads(), 2) << "the caller's LibTorch threads must be restored";
    ASSERT_EQ(parallel.size(), archs.size());
    for (size_t i = 0; i < archs.size(); ++i) {
      EXPECT_EQ(parallel[i].ok, serial[i].ok) << inter << " at a time, " << to_string(archs[i]);
      EXPECT_EQ(parallel[i].error, serial[i].error) << inter << " at a time, " << to_string(archs[i]);
      EXPECT_EQ(parallel[i].accuracy, serial[i].accuracy) << inter << " at a time, " << to_string(archs[i]);
      EXPECT_EQ(parallel[i].examples, serial[i].examples) << inter << " at a time, " << to_string(archs[i]);
    }
  }
  at::set_num_threads(1);
}

TEST(ProxyEvaluator, AFailingArchIsAResultNotAnException) {
  const ProxyEvaluator evaluator(trained_net(), validation(), kSubset);
  const SearchSpace space(tiny_space(2, {0, 50, 75}));
  for (const char* text : {"h3-f64-s0-fp32,skip", "h2-f64-s0-fp32", "h2-f48-s0-int8,skip", "skip,h1-f32-s25-bf16",
                           "skip,skip"}) {
    const Arch arch = parse_arch(text);
    const std::string expected = validation_error(space, arch);
    ASSERT_FALSE(expected.empty()) << text << " is valid in the tiny space";
    Evaluation e;
    EXPECT_NO_THROW(e = evaluator.evaluate(arch)) << text;
    EXPECT_FALSE(e.ok) << text;
    EXPECT_EQ(e.error, expected) << text;
    EXPECT_EQ(e.examples, 0) << text;
  }
}

// One arch of the proxy-versus-evaluate() agreement.
struct ProxyCase {
  const char* name;  // the end of the test's name, after EqualsEvaluateOnTheSameExamples/
  const char* arch;
};

void PrintTo(const ProxyCase& c, std::ostream* out) { *out << c.name << " (" << c.arch << ")"; }

class ProxyAgreement : public ::testing::TestWithParam<ProxyCase> {};

TEST_P(ProxyAgreement, EqualsEvaluateOnTheSameExamples) {
  Supernet net = trained_net();
  const Arch arch = parse_arch(GetParam().arch);
  // Enough examples that numerics move a few predictions: a proxy that evaluated an int8 or bf16 arch in fp32, or
  // a sparse one dense, would differ.
  for (const size_t limit : {size_t{1500}, size_t{0}}) {
    const ProxyEvaluator proxy(net, validation(), limit);
    const Evaluation e = proxy.evaluate(arch);
    const EvalResult expected = evaluate(net, validation(), arch, 64, limit);
    ASSERT_TRUE(e.ok) << e.error;
    EXPECT_EQ(e.examples, limit == 0 ? int64_t(validation().size()) : int64_t(limit));
    EXPECT_EQ(e.examples, expected.examples) << "limit " << limit;
    EXPECT_EQ(e.accuracy, expected.accuracy) << "limit " << limit;
  }
}

INSTANTIATE_TEST_SUITE_P(EveryPrecisionAndSparsity, ProxyAgreement,
                         ::testing::Values(ProxyCase{"fp32", "h2-f64-s0-fp32,h1-f32-s0-fp32"},
                                           ProxyCase{"bf16", "h2-f64-s0-bf16,h2-f32-s0-bf16"},
                                           ProxyCase{"int8", "h2-f64-s0-int8,h1-f64-s0-int8"},
                                           ProxyCase{"sparse_fp32", "h2-f64-s50-fp32,h2-f64-s75-fp32"},
                                           ProxyCase{"sparse_int8_skipped_layer", "skip,h2-f64-s50-int8"},
                                           ProxyCase{"sparse_bf16_mixed", "h2-f0-s50-bf16,h1-f64-s75-int8"}),
                         [](const ::testing::TestParamInfo<ProxyCase>& info) { return info.param.name; });
