// Tests of space/: arch text round trip, ids, validation messages, sampling operators, sizes, Rng state, and the
// one message for JSON that is not JSON.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <set>

#include "space/arch.h"
#include "space/config_file.h"
#include "space/error.h"
#include "space/hash.h"
#include "space/json_text.h"
#include "space/progress.h"
#include "space/rng.h"
#include "space/search_space.h"
#include "space/space_json.h"
#include "tests/expect_error.h"
#include "tests/files.h"

using namespace qtnas;

namespace {

using qtnas::testing::expect_error;

}  // namespace

TEST(Arch, ParsesTheDocumentedForm) {
  const Arch a = parse_arch("h4-f1024-s0-fp32, h2-f512-s50-int8 ,skip,h0-f256-s90-BF16");
  ASSERT_EQ(a.layers.size(), 4u);
  EXPECT_EQ(a.layers[0], (LayerArch{4, 1024, 0, Precision::FP32}));
  EXPECT_EQ(a.layers[1], (LayerArch{2, 512, 50, Precision::INT8}));
  EXPECT_TRUE(a.layers[2].skipped());
  EXPECT_EQ(a.layers[3], (LayerArch{0, 256, 90, Precision::BF16}));
  EXPECT_EQ(a.active_layers(), 3);
  EXPECT_EQ(to_string(a), "h4-f1024-s0-fp32,h2-f512-s50-int8,skip,h0-f256-s90-bf16");
}

TEST(Arch, SkippedLayersNormalize) {
  const Arch a = parse_arch("h0-f0-s75-int8,h1-f0-s0-fp32");
  EXPECT_EQ(to_string(a), "skip,h1-f0-s0-fp32");
  EXPECT_EQ(a.layers[0], LayerArch{});
}

TEST(Arch, RoundTripOnThousandsOfRandomArchs) {
  SpaceConfig config;
  config.layers = 8;
  config.skip_probability = 0.3;
  const SearchSpace space(config);
  Rng rng(7);
  std::set<uint64_t> ids;
  std::set<std::string> strings;
  for (int i = 0; i < 5000; ++i) {
    const Arch a = space.sample(rng);
    const std::string text = to_string(a);
    const Arch back = parse_arch(text);
    ASSERT_EQ(back, a) << text;
    ASSERT_EQ(to_string(back), text);
    ASSERT_EQ(arch_id(back), arch_id(a));
    ids.insert(arch_id(a));
    strings.insert(text);
  }
  EXPECT_EQ(ids.size(), strings.size()) << "distinct canonical strings must have distinct ids";
  EXPECT_GT(strings.size(), 4900u);
}

TEST(Arch, IdIsStable) {
  // The id of every arch stored in a run database or an exported model, the space hash and the data split are
  // stable_hash values: they must never change between versions or machines.
  EXPECT_EQ(hash_hex(arch_id(parse_arch("h4-f1024-s0-fp32,skip"))), hash_hex(stable_hash("h4-f1024-s0-fp32,skip")));
  // Golden values, computed once by an independent Python implementation of the definition in space/hash.h.
  EXPECT_EQ(hash_hex(stable_hash("")), "c3817c016ba4ff30");
  EXPECT_EQ(hash_hex(arch_id(parse_arch("h4-f1024-s0-fp32,skip"))), "e3c87288846869cb");
  EXPECT_EQ(hash_hex(stable_hash("qtnas")), "cac8c4e558bd47fa");
  EXPECT_EQ(hash_hex(stable_hash(std::string("\xff\x00", 2))), "bb3e17d51de2a64b");  // bytes are unsigned; NUL counts
  EXPECT_NE(stable_hash("a"), stable_hash("b"));
}

TEST(Arch, KeepRatioIsAFifthFieldWrittenOnlyBelow100) {
  const Arch a = parse_arch("h4-f1024-s0-fp32-k75,skip,h2-f512-s50-int8-k25");
  EXPECT_EQ(a.layers[0].keep_pct, 75);
  EXPECT_EQ(a.layers[1].keep_pct, 75) << "a skipped layer passes the tokens on";
  EXPECT_EQ(a.layers[2].keep_pct, 25);
  EXPECT_EQ(to_string(a), "h4-f1024-s0-fp32-k75,skip,h2-f512-s50-int8-k25");
  EXPECT_EQ(parse_arch(to_string(a)), a);
  // Keep 100 is the old meaning of a four-field layer: the same string, the same id.
  const Arch old = parse_arch("h4-f1024-s0-fp32,skip");
  EXPECT_EQ(parse_arch("h4-f1024-s0-fp32-k100,skip"), old);
  EXPECT_EQ(to_string(parse_arch("h4-f1024-s0-fp32-k100,skip")), "h4-f1024-s0-fp32,skip");
  EXPECT_EQ(hash_hex(arch_id(parse_arch("h4-f1024-s0-fp32-k100,skip"))), "e3c87288846869cb");
  EXPECT_NE(arch_id(parse_arch("h4-f1024-s0-fp32-k50,skip")), arch_id(old));
}

TEST(Arch, SyntaxErrorsNameTheLayerAndToken) {
  expect_error([] { parse_arch(""); }, {"empty arch"});
  expect_error([] { parse_arch("h4-f1024-s0"); }, {"layer 0", "3 fields"});
  expect_error([] { parse_arch("h4-f1024-s0-fp32,,skip"); }, {"layer 1 is empty"});
  expect_error([] { parse_arch("skip,x4-f1024-s0-fp32"); }, {"layer 1", "'x4'", "h<heads>"});
  expect_error([] { parse_arch("h4-f1k-s0-fp32"); }, {"layer 0", "'f1k'"});
  expect_error([] { parse_arch("h4-f10-s-1-fp32"); }, {"layer 0", "'s'", "s<sparsity percent>"});
  expect_error([] { parse_arch("h4-f10-s0-fp32-k50-x"); }, {"layer 0", "6 fields"});
  expect_error([] { parse_arch("h4-f10-s0-fp32-50"); }, {"layer 0", "'50'", "k<keep percent>"});
  expect_error([] { parse_arch("h4-f10-s0-fp32-k0"); }, {"layer 0", "keep 0%", "1..100"});
  expect_error([] { parse_arch("skip,h4-f10-s0-fp32-k101"); }, {"layer 1", "keep 101%"});
  expect_error([] { parse_arch("h4-f10-s100-fp32"); }, {"layer 0", "below 100"});
  expect_error([] { parse_arch("h4-f10-s0-fp16"); }, {"layer 0", "'fp16'", "fp32, bf16, int8"});
  expect_error([] { parse_arch("h-1-f10-s0-fp32"); }, {"layer 0"});
}

TEST(SearchSpace, ValidationNamesLayerAndAllowedValues) {
  const SearchSpace space{SpaceConfig{}};
  expect_error([&] { space.validate(parse_arch("h4-f1024-s0-fp32")); }, {"1 layers", "the space has 6"});
  expect_error([&] { space.validate(parse_arch("h5-f1024-s0-fp32,skip,skip,skip,skip,skip")); },
               {"layer 0", "5 heads", "0..4"});
  expect_error([&] { space.validate(parse_arch("skip,h4-f300-s0-fp32,skip,skip,skip,skip")); },
               {"layer 1", "ffn width 300", "0,256,512,768,1024"});
  expect_error([&] { space.validate(parse_arch("skip,skip,h4-f256-s60-fp32,skip,skip,skip")); },
               {"layer 2", "sparsity 60%", "0,50,75,90"});
  expect_error([&] { space.validate(parse_arch("skip,skip,skip,skip,skip,skip")); },
               {"0 active layers", "at least 1"});
  SpaceConfig no_bf16;
  no_bf16.precisions = {Precision::FP32, Precision::INT8};
  const SearchSpace small(no_bf16);
  expect_error([&] { small.validate(parse_arch("h1-f256-s0-bf16,skip,skip,skip,skip,skip")); },
               {"layer 0", "precision bf16", "fp32,int8"});
  // Every problem is reported, not just the first.
  const auto problems = space.problems(parse_arch("h9-f1-s1-fp32,skip,skip,skip,skip,skip"));
  EXPECT_EQ(problems.size(), 3u);
  EXPECT_TRUE(space.problems(space.largest()).empty());
  EXPECT_TRUE(space.problems(space.smallest(Precision::INT8)).empty());
}

TEST(SearchSpace, ConfigErrorsAndListParsing) {
  SpaceConfig bad;
  bad.sparsity_pct_choices = {0, 120};
  expect_error([&] { SearchSpace s(bad); }, {"sparsity 120%"});
  EXPECT_EQ(parse_sparsity_list("0, 0.5,0.75,0.9"), (std::vector<int>{0, 50, 75, 90}));
  EXPECT_EQ(parse_sparsity_list("0,50"), (std::vector<int>{0, 50}));
  expect_error([] { parse_sparsity_list("0.875"); }, {"whole percent"});
  expect_error([] { parse_sparsity_list("100"); }, {"'100'", "whole percent in [0, 99]"});
  // Keeps: a value up to 1 is a fraction of the tokens, so "1" is every token.
  EXPECT_EQ(parse_keep_list("1,0.75,0.5,0.25"), (std::vector<int>{100, 75, 50, 25}));
  EXPECT_EQ(parse_keep_list("100,50"), (std::vector<int>{100, 50}));
  expect_error([] { parse_keep_list("1,0"); }, {"keep list", "'0'", "whole percent in [1, 100]"});
  expect_error([] { parse_keep_list("1,150"); }, {"'150'"});
  expect_error([] { parse_keep_list("1,half"); }, {"'half'", "not a number"});
  expect_error([] { parse_int_list("0,256,abc", "ffn"); }, {"'abc'", "not an integer"});
  expect_error([] { parse_precision_list("fp32,int4"); }, {"'int4'"});
  // Unsorted lists are canonicalized, so the space hash does not depend on the order given.
  SpaceConfig shuffled;
  shuffled.ffn_choices = {1024, 0, 512, 256, 768};
  EXPECT_EQ(SearchSpace(shuffled).hash(), SearchSpace(SpaceConfig{}).hash());
  SpaceConfig other;
  other.num_classes = 3;
  EXPECT_NE(SearchSpace(other).hash(), SearchSpace(SpaceConfig{}).hash());
}

TEST(SearchSpace, SampleMutateCrossoverStayValid) {
  const SearchSpace space{SpaceConfig{}};
  Rng rng(1);
  std::set<int> depths;
  std::set<Precision> precisions;
  for (int i = 0; i < 2000; ++i) {
    const Arch a = space.sample(rng);
    const Arch b = space.sample(rng);
    ASSERT_TRUE(space.problems(a).empty()) << to_string(a);
    const Arch m = space.mutate(a, rng, 0.1);
    ASSERT_TRUE(space.problems(m).empty()) << to_string(m);
    ASSERT_NE(m, a);
    ASSERT_EQ(m, normalized(m));
    const Arch c = space.crossover(a, b, rng);
    ASSERT_TRUE(space.problems(c).empty()) << to_string(c);
    for (size_t l = 0; l < c.layers.size(); ++l) ASSERT_TRUE(c.layers[l] == a.layers[l] || c.layers[l] == b.layers[l]);
    depths.insert(a.active_layers());
    for (const auto& layer : a.layers) precisions.insert(layer.precision);
  }
  EXPECT_GE(depths.size(), 5u) << "sampling must cover elastic depth";
  EXPECT_EQ(precisions.size(), 3u);
}

SpaceConfig space_with_keeps() {
  SpaceConfig c;
  c.keep_pct_choices = {25, 50, 100};
  return c;
}

TEST(SearchSpace, KeepRatioGeneIsCheckedAndNeverIncreases) {
  const SearchSpace plain{SpaceConfig{}};
  EXPECT_EQ(to_string(SpaceConfig{}).find("keep"), std::string::npos) << "the default space keeps its old hash";
  expect_error([&] { plain.validate(parse_arch("h4-f1024-s0-fp32-k50,skip,skip,skip,skip,skip")); },
               {"layer 0", "keep 50%", "not one of 100"});
  const SearchSpace space(space_with_keeps());
  EXPECT_NE(space.hash(), plain.hash());
  EXPECT_NE(to_string(space.config()).find("keep_pct=25,50,100"), std::string::npos);
  EXPECT_TRUE(space.problems(parse_arch("h4-f1024-s0-fp32,h4-f1024-s0-fp32-k50,skip,h1-f256-s0-int8-k25,skip,skip")).empty());
  expect_error([&] { space.validate(parse_arch("h4-f1024-s0-fp32-k50,skip,h4-f1024-s0-fp32,skip,skip,skip")); },
               {"layer 2", "keep 100%", "above the previous layer's 50%"});
  expect_error([&] { space.validate(parse_arch("h4-f1024-s0-fp32-k75,skip,skip,skip,skip,skip")); },
               {"layer 0", "keep 75%", "25,50,100"});
  SpaceConfig without_100;
  without_100.keep_pct_choices = {50};
  expect_error([&] { SearchSpace s(without_100); }, {"must include 100"});
  EXPECT_EQ(space.smallest().layers[0].keep_pct, 25);
  EXPECT_EQ(space.largest().layers[5].keep_pct, 100);

  Rng rng(3);
  std::set<int> keeps;
  for (int i = 0; i < 2000; ++i) {
    const Arch a = space.sample(rng);
    const Arch b = space.sample(rng);
    const Arch m = space.mutate(a, rng, 0.1);
    const Arch c = space.crossover(a, b, rng);
    for (const Arch* arch : {&a, &m, &c}) {
      ASSERT_TRUE(space.problems(*arch).empty()) << to_string(*arch);
      ASSERT_EQ(*arch, normalized(*arch));
      ASSERT_EQ(parse_arch(to_string(*arch)), *arch);
      for (const auto& layer : arch->layers) keeps.insert(layer.keep_pct);
    }
  }
  EXPECT_EQ(keeps, (std::set<int>{25, 50, 100}));
}

TEST(SearchSpace, KeepChoicesAreStoredOnlyWhenTheSpaceHasThem) {
  const nlohmann::json plain = to_json(SpaceConfig{});
  EXPECT_FALSE(plain.contains("keep_pct_choices")) << "files written before the gene read the same";
  EXPECT_EQ(space_config_from_json(plain).keep_pct_choices, std::vector<int>{100});
  const nlohmann::json with = to_json(space_with_keeps());
  EXPECT_EQ(space_config_from_json(with).keep_pct_choices, (std::vector<int>{25, 50, 100}));
  nlohmann::json bad = with;
  bad["keep_pct_choices"] = {50};
  expect_error([&] { space_config_from_json(bad); }, {"must include 100"});
}

TEST(SearchSpace, MeanPoolingIsNamedOnlyWhenChosen) {
  SpaceConfig cls;
  SpaceConfig mean;
  mean.pooling = parse_pooling("mean");
  EXPECT_EQ(to_string(cls).find("pooling"), std::string::npos) << "a [CLS] space keeps the text and hash it had";
  EXPECT_NE(to_string(mean).find(";pooling=mean"), std::string::npos);
  EXPECT_NE(SearchSpace(cls).hash(), SearchSpace(mean).hash());
  EXPECT_FALSE(to_json(cls).contains("pooling")) << "files written before the choice read as [CLS]";
  EXPECT_EQ(space_config_from_json(to_json(cls)).pooling, Pooling::Cls);
  EXPECT_EQ(space_config_from_json(to_json(mean)).pooling, Pooling::Mean);
  nlohmann::json bad = to_json(mean);
  bad["pooling"] = "max";
  expect_error([&] { space_config_from_json(bad); }, {"unknown pooling 'max'", "cls, mean"});
}

TEST(SearchSpace, CardinalityCountsMonotoneKeepsExactly) {
  SpaceConfig c;
  c.layers = 3;
  c.max_heads = 1;
  c.ffn_choices = {0, 8};
  c.sparsity_pct_choices = {0};
  c.precisions = {Precision::FP32};
  c.keep_pct_choices = {50, 100};
  const SearchSpace space(c);
  // Every combination of the per-layer genes, normalized, kept when valid: the distinct ones are the space.
  std::set<std::string> distinct;
  const std::vector<LayerArch> layer_choices = {
      LayerArch{}, {1, 0, 0, Precision::FP32, 50}, {1, 0, 0, Precision::FP32, 100}, {0, 8, 0, Precision::FP32, 50},
      {0, 8, 0, Precision::FP32, 100}, {1, 8, 0, Precision::FP32, 50}, {1, 8, 0, Precision::FP32, 100}};
  for (const auto& l0 : layer_choices) {
    for (const auto& l1 : layer_choices) {
      for (const auto& l2 : layer_choices) {
        const Arch arch = normalized(Arch{{l0, l1, l2}});
        if (space.problems(arch).empty()) distinct.insert(to_string(arch));
      }
    }
  }
  EXPECT_NEAR(space.log10_cardinality(), std::log10(double(distinct.size())), 1e-9) << distinct.size() << " archs";
  c.keep_pct_choices = {100};
  EXPECT_NEAR(SearchSpace(c).log10_cardinality(), std::log10(4.0 * 4 * 4 - 1), 1e-9);
}

TEST(SearchSpace, SamplingIsDeterministicPerSeed) {
  const SearchSpace space{SpaceConfig{}};
  Rng a(42), b(42), c(43);
  EXPECT_EQ(space.sample(a), space.sample(b));
  EXPECT_NE(to_string(space.sample(a)), to_string(space.sample(c)));
}

TEST(SpaceJson, ArchQueryAsksExactlyOneThing) {
  const SearchSpace space{SpaceConfig{}};
  ArchQuery random;
  random.random = 3;
  random.seed = 5;
  const std::vector<nlohmann::json> rows = arch_rows(space, random);
  ASSERT_EQ(rows.size(), 3u);
  Rng rng(5);
  EXPECT_EQ(rows[0]["arch"], to_string(space.sample(rng)));
  EXPECT_EQ(arch_rows(space, random), rows);

  ArchQuery largest;
  largest.largest = true;
  largest.precision = Precision::INT8;
  EXPECT_EQ(arch_rows(space, largest).at(0)["arch"], to_string(space.largest(Precision::INT8)));
  ArchQuery check;
  check.check = "h1-f256-s50-int8,skip,skip,skip,skip,skip";
  EXPECT_EQ(arch_rows(space, check).at(0)["arch"], *check.check);

  const std::string one_thing = "qtnas arch needs exactly one of --random N, --check STR, --largest, --smallest";
  expect_error([&] { arch_rows(space, ArchQuery{}); }, {one_thing});
  ArchQuery two = largest;
  two.smallest = true;
  expect_error([&] { arch_rows(space, two); }, {one_thing});
  ArchQuery none = random;
  none.random = 0;
  expect_error([&] { arch_rows(space, none); }, {"--random must be at least 1, got 0"});
  check.check = "h1-f256-s50-int8";
  expect_error([&] { arch_rows(space, check); }, {"the arch has 1 layers; the space has 6"});
}

TEST(SearchSpace, SizesFollowPrecisionAndSparsity) {
  SpaceConfig config;
  config.layers = 1;
  config.hidden = 8;
  config.max_heads = 1;
  config.head_dim = 8;
  config.ffn_choices = {0, 16};
  config.vocab_size = 10;
  config.max_seq_len = 4;
  config.num_classes = 2;
  const SearchSpace space(config);
  // Fixed part: embeddings 10*8 + 4*8 + 2*8 = 128, final LN 16, classifier 8*2 + 2 = 18 -> 162 fp32 values.
  const int64_t fixed = 162;
  const ArchSize attn = space.size(parse_arch("h1-f0-s0-fp32"));
  EXPECT_EQ(attn.params, fixed + 4 * 64 + 3 * 8 + 8 + 16);
  EXPECT_EQ(attn.size_bytes, 4 * attn.params);
  const ArchSize ffn = space.size(parse_arch("h0-f16-s0-int8"));
  EXPECT_EQ(ffn.params, fixed + 2 * 128 + 16 + 8 + 16);
  // int8 weights: 256 bytes + one fp32 scale per output row (16 + 8 rows).
  EXPECT_EQ(ffn.size_bytes, 4 * (fixed + 40) + 256 + 4 * 24);
  const ArchSize sparse = space.size(parse_arch("h0-f16-s50-bf16"));
  EXPECT_EQ(sparse.params, ffn.params);
  // fc1 [16, 8]: 4 kept per row; fc2 [8, 16]: 8 kept per row; 2 bytes each, plus a 16-byte bitmap each.
  EXPECT_EQ(sparse.nonzeros, fixed + 40 + 16 * 4 + 8 * 8);
  EXPECT_EQ(sparse.size_bytes, 4 * (fixed + 40) + 2 * (64 + 64) + 16 + 16);
  EXPECT_EQ(kept_per_row(256, 90), 26);
  EXPECT_EQ(kept_per_row(256, 0), 256);
  // Default space: the largest arch is about 4.9M parameters, smaller in int8.
  const SearchSpace def{SpaceConfig{}};
  EXPECT_LT(def.size(def.largest(Precision::INT8)).size_bytes, def.size(def.largest()).size_bytes / 2);
  EXPECT_GT(def.log10_cardinality(), 10);
}

TEST(Rng, StateRoundTripResumesTheSameStream) {
  Rng a(123);
  for (int i = 0; i < 10; ++i) a.next_u64();
  Rng b(0);
  b.set_state(a.state());
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a.next_u64(), b.next_u64());
  for (int i = 0; i < 1000; ++i) {
    const auto v = a.uniform(7);
    ASSERT_LT(v, 7u);
    const double u = a.uniform01();
    ASSERT_TRUE(u >= 0 && u < 1);
  }
  expect_error([&] { b.set_state("1 2 3"); }, {"bad random generator state"});
  expect_error([&] { b.set_state("0 0 0 0"); }, {"all zero"});
}

TEST(JsonText, TextThatIsNotJsonIsRefusedOnOneLineNamingWhereItCameFrom) {
  EXPECT_EQ(parse_json_text(R"({"a": [1, 2]})", "x"), (nlohmann::json{{"a", {1, 2}}}));
  for (const char* bad : {R"({"a": [1, 2)", "", "{\"a\":\n\n 1,}", "nul", "{} trailing"}) {
    expect_error([&] { parse_json_text(bad, "latency model 'm.json'"); },
                 {"latency model 'm.json': not valid JSON: parse error at line "});
  }
}

TEST(JsonText, FileIsReadOrRefusedNamingIt) {
  const auto dir = qtnas::testing::scratch_dir("qtnas_space_test");
  const std::string good = (dir / "good.json").string(), cut = (dir / "cut.json").string();
  std::ofstream(good) << R"({"fingerprint": "f00d"})";
  std::ofstream(cut) << R"({"fingerprint": "f0)";
  EXPECT_EQ(parse_json_file(good, "fingerprint file").at("fingerprint"), "f00d");
  expect_error([&] { parse_json_file(cut, "fingerprint file"); },
               {"fingerprint file '" + cut + "': not valid JSON: parse error at line 1, column "});
  expect_error([&] { parse_json_file((dir / "none.json").string(), "latency model"); },
               {"cannot open latency model '", "none.json': No such file or directory"});
  expect_error([&] { parse_json_file(dir.string(), "latency model"); }, {"'" + dir.string() + "': Is a directory"});
}

// The config file: a [command] section overrides the top of the file and other sections are ignored; each
// mistake is refused naming the file and line.
TEST(ConfigFile, SectionsApplyToTheirCommandAndMistakesNameTheLine) {
  const auto dir = qtnas::testing::scratch_dir("qtnas_space_test");
  const auto write = [&](const std::string& name, const std::string& text) {
    std::ofstream((dir / name).string()) << text;
    return (dir / name).string();
  };
  const std::set<std::string> ours = {"seed", "layers", "random"}, anywhere = {"seed", "layers", "random", "task"};
  const auto has = [&](const std::string& k) { return ours.count(k) > 0; };
  const auto known = [&](const std::string& k) { return anywhere.count(k) > 0; };
  const std::string ini = write("q.ini", "seed = 9   # comment\ntask = tsv\nlayers=4\n[data]\nlayers = 1\n"
                                         "[arch]\n; comment\nlayers = 3\nrandom = 2\n");
  const std::vector<ConfigSetting> s = read_config_file(ini, "arch", has, known);
  ASSERT_EQ(s.size(), 3u);  // task is another command's; [data] is not read
  EXPECT_EQ(s[0].key + "=" + s[0].value, "seed=9");
  EXPECT_EQ(s[1].key + "=" + s[1].value, "layers=3");
  EXPECT_EQ(s[2].key + "=" + s[2].value, "random=2");
  const auto refused = [&](const std::string& name, const std::string& text, const std::string& what) {
    const std::string path = write(name, text);
    expect_error([&] { read_config_file(path, "arch", has, known); }, {path, what});
  };
  refused("twice.ini", "seed = 1\nseed = 2\n", ":2: 'seed' is set twice");
  refused("typo.ini", "[arch]\nsed = 1\n", ":2: 'qtnas arch' has no option 'sed'");
  refused("nowhere.ini", "nonsense = 1\n", ":1: no qtnas subcommand has an option 'nonsense'");
  refused("noeq.ini", "[arch]\nrandom\n", ":2: expected 'key = value'");
  refused("header.ini", "[arch\n", ":1: malformed section header");
  refused("meta.ini", "config = x.ini\n", ":1: 'config' cannot be set");
  expect_error([&] { read_config_file((dir / "none.ini").string(), "arch", has, known); }, {"none.ini"});
  EXPECT_EQ(config_section("arch", {{"seed", "9"}, {"out", std::nullopt}}), "[arch]\nseed = 9\n# out =\n");
}

// The progress line of long work: durations as a person reads them, and a last line with the count and the time
// whatever the rate limit held back (an update in the first second of a non-terminal run prints nothing).
TEST(Progress, FormatsDurationsAndAlwaysPrintsTheLastLine) {
  EXPECT_EQ(format_duration(12.4), "12s");
  EXPECT_EQ(format_duration(187), "3m07s");
  EXPECT_EQ(format_duration(3725), "1h02m");
  ::testing::internal::CaptureStderr();
  Progress progress("work", 10, 2);
  progress.update(5, "halfway");
  progress.finish();
  const std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("work: done 10/10 in 0s"), std::string::npos) << err;
  EXPECT_EQ(err.find("halfway"), std::string::npos) << err;
}
