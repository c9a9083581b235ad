// Tests of the training recipe's parts (supernet/trainer.h, supernet/masked_lm.h): epochs, the phase of the
// largest subnet alone, self-pretraining with masked tokens and its exact resume, starting from pretrained
// weights, a frozen teacher for the sandwich rule, and reading older checkpoints' configurations.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <numeric>

#include "space/error.h"
#include "space/hash.h"
#include "supernet/checkpoint.h"
#include "supernet/evaluate.h"
#include "supernet/masked_lm.h"
#include "supernet/importance.h"
#include "supernet/optimizer.h"
#include "supernet/trainer.h"
#include "tests/expect_error.h"
#include "tests/files.h"
#include "tests/fixtures.h"

using namespace qtnas;
using namespace qtnas::testing;
namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) { return scratch_dir("qtnas_training_test") / name; }

CheckpointMeta meta_of(const SpaceConfig& space, double dropout = 0.0) {
  return {space, dropout, {"a", "b", "c"}, "tok", {}};
}

// Texts of a tiny language with structure to learn: after token 7 + k comes 8 + k (k in 0..15), so a masked
// token is predictable from its left neighbour.
EncodedSplit pattern_split(size_t n, uint64_t seed) {
  Rng rng(seed);
  EncodedSplit s;
  for (size_t i = 0; i < n; ++i) {
    std::vector<int> ids = {2};
    const int start = 7 + int(rng.uniform(16)), len = 4 + int(rng.uniform(6));
    for (int t = 0; t < len; ++t) ids.push_back(7 + (start - 7 + t) % 32);
    s.ids.push_back(ids);
    s.labels.push_back(0);
  }
  return s;
}

}  // namespace

TEST(FusedAdamW, AgreesWithLibTorchsClippingAndAdamW) {
  torch::manual_seed(5);
  // Shapes around the parallel grain (2^14 elements), a bias, and a parameter that never gets a gradient.
  const std::vector<std::vector<int64_t>> shapes = {{300, 70}, {17}, {128, 256}, {9, 3}};
  std::vector<torch::Tensor> ref, fused;
  for (const auto& shape : shapes) {
    ref.push_back(torch::randn(shape).requires_grad_());
    fused.push_back(ref.back().detach().clone().requires_grad_());
  }
  const auto options = torch::optim::AdamWOptions(2e-3).weight_decay(0.05);
  torch::optim::AdamW libtorch(ref, options);
  FusedAdamW ours(fused, options);
  const double max_norm = 2.0;
  bool clipped = false, unclipped = false;
  for (int step = 0; step < 6; ++step) {
    for (size_t i = 0; i + 1 < shapes.size(); ++i) {
      // Gradient norms from about 0.1 to 20: some steps clip, some do not.
      const torch::Tensor g = torch::randn(shapes[i]) * (step % 2 ? 0.001 : 0.1);
      ref[i].mutable_grad() = g.clone();
      fused[i].mutable_grad() = g.clone();
    }
    const double coef = clip_coefficient(fused, max_norm);
    (coef < 1 ? clipped : unclipped) = true;
    torch::nn::utils::clip_grad_norm_(ref, max_norm);
    libtorch.step();
    ours.step_scaled(coef);
    ours.release_grads();
    for (const auto& p : fused) EXPECT_FALSE(p.grad().defined());
    for (size_t i = 0; i < shapes.size(); ++i) {
      EXPECT_TRUE(torch::allclose(fused[i], ref[i], 1e-5, 1e-7)) << "step " << step << ", parameter " << i << ": "
          << (fused[i] - ref[i]).abs().max().item<float>();
    }
  }
  EXPECT_TRUE(clipped && unclipped);
  for (size_t i = 0; i < shapes.size(); ++i) {
    auto* a = adamw_state(libtorch, ref[i]);
    auto* b = adamw_state(ours, fused[i]);
    ASSERT_EQ(a == nullptr, b == nullptr);
    if (!a) continue;  // the parameter without a gradient: no state, and unchanged (checked above)
    EXPECT_EQ(a->step(), b->step());
    EXPECT_TRUE(torch::allclose(a->exp_avg(), b->exp_avg(), 1e-5, 1e-9));
    EXPECT_TRUE(torch::allclose(a->exp_avg_sq(), b->exp_avg_sq(), 1e-5, 1e-12));
  }
  EXPECT_EQ(adamw_state(ours, fused.back()), nullptr);
  EXPECT_DOUBLE_EQ(clip_coefficient(fused, max_norm), 1.0);  // no gradient defined
}

TEST(Epochs, StepsCoverTheRequestedPasses) {
  EXPECT_EQ(steps_for_epochs(1, 100, 32), 4);  // 4 batches make one pass over 100 examples
  EXPECT_EQ(steps_for_epochs(2.5, 100, 32), 10);
  EXPECT_EQ(steps_for_epochs(0.01, 100, 32), 1);
  EXPECT_EQ(steps_for_epochs(5, 94030, 32), 14695);
  expect_error([] { steps_for_epochs(0, 100, 32); }, {"epochs must be positive"});
}

TEST(Recipe, KeepsThePresetWhereNothingIsSetAndAppliesWhatIs) {
  const SearchSpace space(tiny_space());
  const TrainConfig preset = train_preset("default");
  const TrainConfig plain = recipe("default", Objective::Classify, RecipeOverrides{}, 100, space);
  EXPECT_EQ(plain.lr, preset.lr);
  EXPECT_EQ(plain.batch_size, preset.batch_size);
  EXPECT_EQ(plain.steps, steps_for_epochs(preset.epochs, 100, preset.batch_size));

  RecipeOverrides o;
  o.epochs = 2;
  o.batch_size = 10;
  o.lr = 5e-4;
  o.no_bf16 = true;
  o.seed = 7;
  o.teacher = true;
  const TrainConfig set = recipe("default", Objective::Classify, o, 100, space);
  EXPECT_EQ(set.steps, 20);  // 2 passes over 100 examples in batches of 10
  EXPECT_EQ(set.lr, 5e-4);
  EXPECT_FALSE(set.bf16_autocast);
  EXPECT_EQ(set.seed, 7u);
  EXPECT_EQ(set.teacher_arch, to_string(space.largest()));

  o.steps = 3;  // steps win over epochs, and the config no longer claims epochs
  const TrainConfig by_steps = recipe("default", Objective::Classify, o, 100, space);
  EXPECT_EQ(by_steps.steps, 3);
  EXPECT_EQ(by_steps.epochs, 0);
  o.steps = -1;
  expect_error([&] { recipe("default", Objective::Classify, o, 100, space); }, {"--steps must be >= 0"});
}

TEST(Recipe, PretrainingNeedsEpochsAndTrainsEverySubnetOnlyWhenAskedTo) {
  const SearchSpace space(tiny_space());
  expect_error([&] { recipe("quick", Objective::MaskedLm, RecipeOverrides{}, 100, space); },
               {"preset 'quick' does not pretrain"});
  const TrainConfig largest_alone = recipe("default", Objective::MaskedLm, RecipeOverrides{}, 100, space);
  EXPECT_EQ(largest_alone.fixed_arch, to_string(space.largest()));
  RecipeOverrides o;
  o.sandwich_start = 0.2;
  const TrainConfig sandwich = recipe("default", Objective::MaskedLm, o, 100, space);
  EXPECT_TRUE(sandwich.fixed_arch.empty());
  EXPECT_EQ(sandwich.sandwich_start, 0.2);
}

TEST(TrainConfigJson, RoundTripsAndReadsOlderCheckpoints) {
  TrainConfig c;
  c.epochs = 3;
  c.sandwich_start = 0.4;
  c.reorder = true;  // not the default, so that the round trip shows it
  c.mask_fraction = 0.3;
  c.objective = Objective::MaskedLm;
  const TrainConfig back = train_config_from_json(to_json(c));
  EXPECT_EQ(to_json(back), to_json(c));
  // Before the sandwich start had its own setting, the importance reorder ended the warm-up.
  nlohmann::json old = to_json(TrainConfig{});
  old.erase("sandwich_start");
  old.erase("reorder");
  old.erase("objective");
  old.erase("epochs");
  old["reorder_fraction"] = 0.25;
  const TrainConfig read = train_config_from_json(old);
  EXPECT_DOUBLE_EQ(read.sandwich_start, 0.25);
  EXPECT_TRUE(read.reorder);
  EXPECT_EQ(read.objective, Objective::Classify);
  old["reorder_fraction"] = 0.0;
  EXPECT_FALSE(train_config_from_json(old).reorder);
  old["objective"] = "poetry";
  expect_error([&] { train_config_from_json(old); }, {"'poetry'", "classify, masked_lm"});
}

TEST(MaskTokens, ChoosesRealTokensOnlyAndDependsOnTheSeedAlone) {
  const EncodedSplit split = pattern_split(64, 3);
  std::vector<size_t> rows(64);
  std::iota(rows.begin(), rows.end(), 0);
  const Batch batch = make_batch(split, rows);
  std::vector<uint64_t> seeds;
  for (size_t i = 0; i < rows.size(); ++i) seeds.push_back(1000 + i);
  const MaskedBatch m = mask_tokens(batch, seeds, kMaskTokenId, kFirstOrdinaryTokenId, 40);
  const int64_t len = batch.ids.size(1);
  const int64_t real = (~batch.pad).sum().item<int64_t>() - batch.ids.size(0);  // without [CLS]
  ASSERT_GT(m.positions.size(0), 0);
  EXPECT_NEAR(double(m.positions.size(0)) / double(real), kMaskFraction, 0.06);
  const torch::Tensor flat_ids = batch.ids.reshape(-1), flat_pad = batch.pad.reshape(-1);
  int64_t masked = 0;
  for (int64_t k = 0; k < m.positions.size(0); ++k) {
    const int64_t i = m.positions[k].item<int64_t>();
    EXPECT_NE(i % len, 0) << "[CLS] is never chosen";
    EXPECT_FALSE(flat_pad[i].item<bool>()) << "padding is never chosen";
    EXPECT_EQ(m.targets[k].item<int64_t>(), flat_ids[i].item<int64_t>());
    masked += m.ids.reshape(-1)[i].item<int64_t>() == kMaskTokenId;
  }
  EXPECT_GT(masked, m.positions.size(0) / 2);  // 80% of the chosen become [MASK]
  // Every example with tokens has at least one chosen.
  const torch::Tensor rows_hit = torch::zeros({batch.ids.size(0)}, torch::kLong).index_add_(
      0, m.positions.div(len, "floor"), torch::ones({m.positions.size(0)}, torch::kLong));
  EXPECT_TRUE((rows_hit > 0).all().item<bool>());
  // An example's mask depends on its seed, not on its batch: row 5 alone gets the same tokens.
  const MaskedBatch alone = mask_tokens(make_batch(split, {5}), {seeds[5]}, kMaskTokenId, kFirstOrdinaryTokenId, 40);
  const int64_t alone_len = alone.ids.size(1);
  EXPECT_TRUE(alone.ids[0].equal(m.ids[5].narrow(0, 0, alone_len)));
  // Another fraction masks that share of the real tokens; 0 and 1 leave nothing to read or nothing to predict.
  const MaskedBatch more = mask_tokens(batch, seeds, kMaskTokenId, kFirstOrdinaryTokenId, 40, 0.3);
  EXPECT_NEAR(double(more.positions.size(0)) / double(real), 0.3, 0.06);
  for (double bad : {0.0, 1.0}) {
    expect_error([&] { mask_tokens(batch, seeds, kMaskTokenId, kFirstOrdinaryTokenId, 40, bad); },
                 {"masked fraction must be in (0, 1)"});
  }
}

// Resident memory of this process, in MB.
double resident_mb() {
  std::ifstream statm("/proc/self/statm");
  long pages = 0, resident = 0;
  statm >> pages >> resident;
  return double(resident) * double(sysconf(_SC_PAGESIZE)) / (1 << 20);
}

TEST(MaskedLmHead, GivesTheUnpaddedOutputsAndKeepsMemoryBoundedOverRowCounts) {
  torch::manual_seed(1);
  MaskedLmHead head(256, 300);
  const torch::Tensor embedding = torch::randn({300, 256});
  // The outputs of rows that are not a multiple of the bucket are exactly the plain computation's.
  const torch::Tensor hidden = torch::randn({MaskedLmHeadImpl::kRowBucket + 5, 256});
  const torch::Tensor plain =
      torch::matmul(head->norm(torch::gelu(head->transform(hidden))), embedding.t()) + head->bias;
  EXPECT_TRUE(torch::equal(head->forward(hidden, embedding), plain));
  // Every count of masked tokens from 200 to 599, forward and backward. LibTorch's GELU keeps oneDNN state per
  // tensor shape: without the buckets these 400 counts grew this process by 561 MB (AMD EPYC Zen 3); with them
  // the head's GELU sees 7 shapes (15 MB).
  const double before = resident_mb();
  for (int64_t rows = 200; rows < 600; ++rows) {
    head->forward(torch::randn({rows, 256}, torch::requires_grad()), embedding).sum().backward();
  }
  const double grown = resident_mb() - before;
  std::cout << fmt::format("resident memory grew {:.0f} MB over 400 row counts\n", grown);
  EXPECT_LT(grown, 120);
}

TrainConfig masked_lm_config(int64_t steps) {
  TrainConfig config;
  config.objective = Objective::MaskedLm;
  config.steps = steps;
  config.batch_size = 32;
  config.lr = 5e-3;
  config.sandwich_start = 0;
  config.reorder = false;
  config.checkpoint_every = 1000;
  config.seed = 4;
  return config;
}

TEST(Pretraining, MaskedTokensAreLearnedByTheLargestAndTheSmallest) {
  const SpaceConfig space = tiny_space();
  const EncodedSplit train = pattern_split(400, 1), val = pattern_split(100, 2);
  torch::manual_seed(2);
  Trainer trainer(Supernet(space, 0.0), masked_lm_config(250), meta_of(space));
  Supernet net = trainer.net();
  MaskedLmHead head = trainer.mlm_head();
  ASSERT_TRUE(head);
  const double before = masked_token_accuracy(net, head, val, net->space().largest(), 0);
  trainer.run(train, val, scratch("mlm_learns.pt").string());
  const double after = masked_token_accuracy(net, head, val, net->space().largest(), 0);
  const double smallest = masked_token_accuracy(net, head, val, net->space().smallest(), 0);
  std::cout << fmt::format("masked-token accuracy {:.3f} -> {:.3f}, smallest {:.3f} (chance 1/32)\n", before, after,
                           smallest);
  EXPECT_GT(after, 0.5);
  EXPECT_GT(smallest, 0.15) << "the students learned too";
}

TEST(Pretraining, ResumeGivesTheSameWeightsAndHeadAsAnUninterruptedRun) {
  const SpaceConfig space = tiny_space();
  const EncodedSplit train = pattern_split(200, 1), val = pattern_split(50, 2);
  TrainConfig config = masked_lm_config(12);
  config.checkpoint_every = 6;
  torch::manual_seed(2);
  const double dropout = 0.1;  // the dropout masks must resume too
  Trainer straight(Supernet(space, dropout), config, meta_of(space, dropout));
  straight.run(train, val, scratch("mlm_straight.pt").string());
  torch::manual_seed(2);
  const std::string path = scratch("mlm_interrupted.pt").string();
  {
    Trainer first(Supernet(space, dropout), config, meta_of(space, dropout));
    TrainCallbacks crash;
    crash.on_step = [](const TrainStatus& s) {
      if (s.step == 8) throw std::runtime_error("simulated crash");
    };
    EXPECT_THROW(first.run(train, val, path, crash), std::runtime_error);
  }
  torch::manual_seed(99);  // the resumed run must not depend on the process's random state
  Trainer resumed(load_checkpoint(path));
  EXPECT_EQ(resumed.step(), 6);
  ASSERT_TRUE(resumed.mlm_head());
  resumed.run(train, val, path);
  auto expected = straight.net()->named_parameters();
  for (const auto& p : resumed.net()->named_parameters()) {
    EXPECT_TRUE(torch::allclose(p.value(), expected[p.key()], 1e-5, 1e-6)) << p.key();
  }
  auto expected_head = straight.mlm_head()->named_parameters();
  for (const auto& p : resumed.mlm_head()->named_parameters()) {
    EXPECT_TRUE(torch::allclose(p.value(), expected_head[p.key()], 1e-5, 1e-6)) << p.key();
  }
}

TEST(Pretraining, InitTakesEveryWeightButTheClassifierAndRefusesAnotherTokenizer) {
  const SpaceConfig space = tiny_space();
  torch::manual_seed(5);
  Supernet pretrained(space, 0.0);
  const std::string path = scratch("pretrained.pt").string();
  save_checkpoint(path, pretrained, meta_of(space), nullptr);
  const LoadedCheckpoint loaded = load_checkpoint(path);
  torch::manual_seed(6);
  Supernet net(space, 0.0);
  const torch::Tensor classifier_before = net->classifier->weight.clone();
  init_from_pretrained(net, "tok", loaded);
  auto source = pretrained->named_parameters();
  for (const auto& p : net->named_parameters()) {
    if (p.key().rfind("classifier.", 0) == 0) continue;
    EXPECT_TRUE(p.value().equal(source[p.key()])) << p.key();
  }
  EXPECT_TRUE(net->classifier->weight.equal(classifier_before));
  expect_error([&] { init_from_pretrained(net, "other", loaded); }, {"another tokenizer"});
  SpaceConfig wider = space;
  wider.hidden = 48;
  wider.head_dim = 24;
  Supernet other(wider, 0.0);
  expect_error([&] { init_from_pretrained(other, "tok", loaded); }, {"another search space"});
  // The pooling is the classifier's input: a [CLS]-pooled pretraining starts a mean-pooled supernet.
  SpaceConfig mean = space;
  mean.pooling = Pooling::Mean;
  Supernet pooled(mean, 0.0);
  init_from_pretrained(pooled, "tok", loaded);
  EXPECT_TRUE(pooled->tok_embedding->weight.equal(pretrained->tok_embedding->weight));
}

TEST(Trainer, TheLargestTrainsAloneUntilTheSandwichStart) {
  // Before the sandwich start only the largest subnet's loss is backpropagated: a run with random subnets gives
  // the very weights of a run without them. After it, the students' gradients join and the runs part.
  const SpaceConfig space = tiny_space();
  const EncodedSplit train = synthetic_split(256, 4), val = synthetic_split(64, 5);
  auto run = [&](int random_subnets, double sandwich_start, int64_t steps) {
    TrainConfig config;
    config.steps = 20;
    config.batch_size = 16;
    config.sandwich_start = sandwich_start;
    config.reorder = false;
    config.random_subnets = random_subnets;
    config.bf16_autocast = false;
    config.checkpoint_every = 1000;
    torch::manual_seed(3);
    Trainer trainer(Supernet(space, 0.0), config, meta_of(space));
    for (int64_t s = 0; s < steps; ++s) {
      const auto batches = epoch_batches(train, 16, 0, 0);
      trainer.step_on(make_batch(train, batches[size_t(s) % batches.size()]));
    }
    return trainer.net();
  };
  auto same = [](const Supernet& a, const Supernet& b) {
    auto pb = b->named_parameters();
    for (const auto& p : a->named_parameters()) {
      if (!p.value().equal(pb[p.key()])) return false;
    }
    return true;
  };
  EXPECT_TRUE(same(run(0, 0.5, 10), run(2, 0.5, 10))) << "students trained before the sandwich start";
  EXPECT_FALSE(same(run(0, 0.5, 12), run(2, 0.5, 12))) << "no students after the sandwich start";
}

TEST(Trainer, TheSandwichDistillsFromAFrozenTeacherWhenGiven) {
  torch::manual_seed(12);
  const SpaceConfig space = tiny_space();
  const EncodedSplit train = synthetic_split(512, 4), val = synthetic_split(256, 5);
  TrainConfig pre;
  pre.steps = 60;
  pre.lr = 3e-3;
  pre.fixed_arch = to_string(SearchSpace(space).largest());
  pre.checkpoint_every = 1000;
  const std::string teacher_path = scratch("teacher.pt").string();
  Trainer(Supernet(space, 0.0), pre, meta_of(space)).run(train, val, teacher_path);
  Supernet teacher = load_checkpoint(teacher_path).net;
  std::vector<torch::Tensor> teacher_before;
  for (const auto& p : teacher->parameters()) teacher_before.push_back(p.clone());

  TrainConfig config;
  config.steps = 60;
  config.lr = 3e-3;
  config.sandwich_start = 0;
  config.teacher_arch = to_string(SearchSpace(space).largest());
  config.checkpoint_every = 1000;
  torch::manual_seed(13);
  Trainer trainer(Supernet(space, 0.0), config, meta_of(space));
  expect_internal_error([&] { trainer.run(train, val, scratch("distilled.pt").string()); }, {"set_teacher"});
  trainer.set_teacher(teacher);
  trainer.run(train, val, scratch("distilled.pt").string());
  Supernet net = trainer.net();
  EXPECT_GT(evaluate(net, val, net->space().largest()).accuracy, 0.6);
  EXPECT_GT(evaluate(net, val, net->space().smallest()).accuracy, 0.45);
  const auto after = teacher->parameters();
  for (size_t i = 0; i < after.size(); ++i) EXPECT_TRUE(torch::equal(after[i], teacher_before[i]));  // frozen
}
