// Tests of data/: the hash split, the WordNet loader (incl. every kind of bad input), the SentencePiece tokenizer
// (save/load, reuse, refusal, the cut of a pair) and the dataset statistics. A user's files: labeled_files_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <set>
#include <thread>

#include "data/dataset.h"
#include "data/labeled_files.h"
#include "data/stats.h"
#include "data/task.h"
#include "data/tokenizer.h"
#include "data/wordnet.h"
#include "space/error.h"
#include "tests/data_fixture.h"
#include "tests/expect_error.h"
#include "tests/files.h"

namespace fs = std::filesystem;
using namespace qtnas;

using qtnas::testing::DataTest;
using qtnas::testing::expect_error;
using qtnas::testing::make_corpus;
using qtnas::testing::read_file;

// ---------------------------------------------------------------- split

TEST(Split, DeterministicAndProportional) {
  EXPECT_EQ(split_of("00001740-a"), split_of("00001740-a"));
  int counts[3] = {0, 0, 0};
  for (int i = 0; i < 10000; ++i) {
    const std::string key = "key-" + std::to_string(i);
    const Split s = split_of(key);
    ASSERT_EQ(s, split_of(key));
    ++counts[static_cast<int>(s)];
  }
  EXPECT_NEAR(counts[0], 8000, 200);
  EXPECT_NEAR(counts[1], 1000, 120);
  EXPECT_NEAR(counts[2], 1000, 120);
}

// ---------------------------------------------------------------- wordnet

TEST_F(DataTest, WordNetFixtureParsed) {
  const std::string license = "  1 This software and database is being provided to you  \n  2 Princeton  \n";
  write("data.noun", license +
                         "00001740 03 n 01 entity 0 003 ~ 00001930 n 0000 | that which is perceived to exist  \n"
                         "00015388 05 n 01 animal 0 001 @ 00004475 n 0000 | a living organism; \"a zoo animal\"\n");
  write("data.verb",
        license + "00001740 29 v 04 breathe 0 001 @ 02 + 00 00 | draw air into, and expel out of, the lungs  \n");
  write("data.adj", license + "00001740 00 a 01 able 0 000 | having the necessary means\n"
                              "00003553 00 s 02 emergent 0 emerging 0 000 |  coming into existence   \n");
  write("data.adv", license + "00001740 02 r 01 a_cappella 0 000 | without musical accompaniment\n");
  const Dataset d = load_wordnet(dir_.string());
  EXPECT_EQ(d.name, "wordnet");
  ASSERT_EQ(d.num_classes(), 45);
  EXPECT_EQ(d.label_names[0], "adj.all");
  EXPECT_EQ(d.label_names[3], "noun.Tops");
  EXPECT_EQ(d.label_names[28], "noun.time");
  EXPECT_EQ(d.label_names[29], "verb.body");
  EXPECT_EQ(d.label_names[43], "verb.weather");
  EXPECT_EQ(d.label_names[44], "adj.ppl");

  std::map<std::string, int> text_to_label;
  for (const auto* part : {&d.train, &d.val, &d.test})
    for (const auto& e : *part) text_to_label[e.text] = e.label;
  const std::map<std::string, int> expected = {
      {"that which is perceived to exist", 3},
      {"a living organism; \"a zoo animal\"", 5},
      {"draw air into, and expel out of, the lungs", 29},
      {"having the necessary means", 0},
      {"coming into existence", 0},
      {"without musical accompaniment", 2}};
  EXPECT_EQ(text_to_label, expected);
  // Same offset, different ss_type: the split key includes the type as written ('s' stays 's').
  auto split_holds = [&](Split s, const std::string& text) {
    const auto& v = s == Split::Train ? d.train : s == Split::Val ? d.val : d.test;
    return std::any_of(v.begin(), v.end(), [&](const Example& e) { return e.text == text; });
  };
  EXPECT_TRUE(split_holds(split_of("00003553-s"), "coming into existence"));
  EXPECT_TRUE(split_holds(split_of("00001740-r"), "without musical accompaniment"));
  EXPECT_TRUE(split_holds(split_of("00001740-v"), "draw air into, and expel out of, the lungs"));
}

TEST_F(DataTest, WordNetMissingData) {
  expect_error([&] { load_wordnet(path("nowhere")); },
               {"WordNet data not found: cannot open '", "nowhere/data.noun'",
                "install the Debian package wordnet-base"});
  write("data.noun", "00001740 03 n 01 entity 0 000 | that which is perceived to exist\n");
  expect_error([&] { load_wordnet(dir_.string()); }, {"WordNet data not found", "data.verb"});
}

TEST_F(DataTest, WordNetMalformedLines) {
  const std::string good = "00001740 02 r 01 a_cappella 0 000 | without musical accompaniment\n";
  write("data.verb", good);
  write("data.adj", good);
  write("data.adv", good);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"00001740 03 n 01 entity 0 000 no gloss here\n", "no gloss"},
      {"00001740 45 n 01 entity 0 000 | gloss\n", "lexicographer file number"},
      {"0000x740 03 n 01 entity 0 000 | gloss\n", "synset offset"},
      {"00001740 03 q 01 entity 0 000 | gloss\n", "synset type"},
      {"00001740 03 n 01 entity 0 000 |    \n", "empty gloss"}};
  for (const auto& [line, what] : bad) {
    write("data.noun", "  1 license  \n" + good + line);
    expect_error([&] { load_wordnet(dir_.string()); }, {path("data.noun") + ":3:", what});
  }
}

TEST(WordNet, RealInstallGivesTheReadmeCounts) {
  if (!fs::exists("/usr/share/wordnet/data.noun")) {
    GTEST_SKIP() << "/usr/share/wordnet/data.noun is missing: the Debian package wordnet-base is not installed";
  }
  const Dataset d = load_wordnet();
  // The README promises these counts: the split is a stable hash of each synset, so they never change.
  EXPECT_EQ(d.train.size(), 94030u);
  EXPECT_EQ(d.val.size(), 11750u);
  EXPECT_EQ(d.test.size(), 11879u);
  ASSERT_EQ(d.num_classes(), 45);
  std::set<int> train_labels;
  for (const auto& e : d.train) train_labels.insert(e.label);
  EXPECT_EQ(train_labels.size(), 45u);
  for (const auto* part : {&d.train, &d.val, &d.test})
    for (const auto& e : *part) ASSERT_FALSE(e.text.empty());
}

// ---------------------------------------------------------------- tokenizer

TEST_F(DataTest, TokenizerTrainSaveLoad) {
  const auto corpus = make_corpus(400, 1);
  const auto model = path("tok/spm.model");
  const Tokenizer trained = Tokenizer::train(corpus, 200, model);
  EXPECT_GT(trained.vocab_size(), 50);
  EXPECT_LE(trained.vocab_size(), 200);
  EXPECT_TRUE(fs::exists(model));
  std::ifstream sidecar(model + ".json");
  const auto json = nlohmann::json::parse(sidecar);
  EXPECT_EQ(json.at("vocab_size_requested"), 200);
  EXPECT_EQ(json.at("fingerprint"), Tokenizer::fingerprint(corpus, 200));

  const Tokenizer loaded = Tokenizer::load(model);
  const Tokenizer copied = Tokenizer::from_serialized(trained.serialized());
  EXPECT_EQ(loaded.vocab_size(), trained.vocab_size());
  for (const auto& text : make_corpus(50, 99)) {
    const auto ids = trained.encode(text, 512);
    EXPECT_EQ(loaded.encode(text, 512), ids);
    EXPECT_EQ(copied.encode(text, 512), ids);
  }
  // Training is deterministic: the same corpus gives the same model bytes.
  EXPECT_EQ(Tokenizer::train(corpus, 200, path("again.model")).serialized(), trained.serialized());
  EXPECT_EQ(trained.piece(trained.cls_id()), "<s>");
  EXPECT_EQ(trained.piece(trained.pad_id()), "<pad>");
  EXPECT_EQ(trained.piece(trained.unk_id()), "<unk>");
  EXPECT_EQ(trained.piece(trained.eos_id()), "</s>");
}

TEST_F(DataTest, TokenizerEncodeAndTruncate) {
  const Tokenizer tok = Tokenizer::train(make_corpus(300, 2), 200, path("spm.model"));
  const std::string text = "the small dog runs quickly over the green garden with a friend";
  const auto full = tok.encode(text, 1000);
  ASSERT_GE(full.size(), 3u);
  EXPECT_EQ(full[0], tok.cls_id());
  EXPECT_EQ(tok.length(text), static_cast<int>(full.size()));
  for (size_t i = 1; i < full.size(); ++i) {
    EXPECT_GT(full[i], tok.eos_id());  // known words: no unk, no specials
    EXPECT_LT(full[i], tok.vocab_size());
  }
  const auto cut = tok.encode(text, 3);
  EXPECT_EQ(cut, std::vector<int>(full.begin(), full.begin() + 3));
  EXPECT_EQ(tok.encode(text, 1), std::vector<int>{tok.cls_id()});
  EXPECT_EQ(tok.encode("", 8), std::vector<int>{tok.cls_id()});
  EXPECT_EQ(tok.length(""), 1);
  // Unseen characters map to unk.
  const auto unseen = tok.encode("\xE2\x98\x83", 8);
  EXPECT_NE(std::find(unseen.begin(), unseen.end(), tok.unk_id()), unseen.end());
  expect_error([&] { tok.encode(text, 0); }, {"max_len"});

  // Copies share the processor and encode concurrently with the same result.
  const auto corpus = make_corpus(200, 3);
  std::vector<std::vector<int>> expected;
  for (const auto& t : corpus) expected.push_back(tok.encode(t, 64));
  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, copy = tok] {
      for (size_t i = 0; i < corpus.size(); ++i)
        if (copy.encode(corpus[i], 64) != expected[i]) ++mismatches;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(mismatches, 0);
}

TEST_F(DataTest, TokenizerTrainOrLoad) {
  const auto corpus = make_corpus(300, 4);
  const auto model = path("spm.model");
  bool reused = true;
  const Tokenizer first = Tokenizer::train_or_load(corpus, 200, model, &reused);
  EXPECT_FALSE(reused);
  const Tokenizer second = Tokenizer::train_or_load(corpus, 200, model, &reused);
  EXPECT_TRUE(reused);
  for (const auto& text : make_corpus(20, 5)) EXPECT_EQ(second.encode(text, 128), first.encode(text, 128));

  const std::string refusal = "tokenizer '" + model + "' was trained on other data or another vocabulary size";
  auto changed = corpus;
  changed.back() += " rain";
  const auto before = fs::last_write_time(model);
  expect_error([&] { Tokenizer::train_or_load(changed, 200, model); }, {refusal});
  expect_error([&] { Tokenizer::train_or_load(corpus, 150, model); }, {refusal});
  EXPECT_EQ(fs::last_write_time(model), before);  // nothing was overwritten

  // A fingerprint file cut short is named as not JSON, like every JSON file qtnas reads.
  const std::string sidecar = read_file(model + ".json");
  write("spm.model.json", sidecar.substr(0, sidecar.size() / 2));
  expect_error([&] { Tokenizer::train_or_load(corpus, 200, model); },
               {"tokenizer fingerprint file '" + model + ".json': not valid JSON"});
  fs::remove(model + ".json");
  expect_error([&] { Tokenizer::train_or_load(corpus, 200, model); }, {model, "fingerprint"});
}

// Unlabelled texts widen what a new tokenizer learns from, but the fingerprint stays the labelled texts': a
// later run on the same task without them reuses that tokenizer (a pretrained checkpoint's), not a refusal.
TEST_F(DataTest, TokenizerLearnsFromExtraTextsUnderTheLabelledFingerprint) {
  const auto labelled = make_corpus(200, 4);
  std::vector<std::string> extra;
  for (int i = 0; i < 300; ++i) extra.push_back("zyxwvut quorbl " + std::to_string(i % 7) + " zyxwvut quorbl");
  const auto model = path("extra.model");
  bool reused = true;
  const Tokenizer widened = Tokenizer::train_or_load(labelled, 200, model, &reused, extra);
  EXPECT_FALSE(reused);
  const Tokenizer plain = Tokenizer::train(labelled, 200, path("plain.model"));
  // Words seen only in the extra texts are whole pieces for the widened tokenizer, not for the plain one.
  EXPECT_LT(widened.length("zyxwvut quorbl"), plain.length("zyxwvut quorbl"));
  const Tokenizer again = Tokenizer::train_or_load(labelled, 200, model, &reused);
  EXPECT_TRUE(reused);
  EXPECT_EQ(again.serialized(), widened.serialized());
  EXPECT_EQ(nlohmann::json::parse(read_file(model + ".json")).at("extra_texts"), 300);
}

TEST_F(DataTest, TokenizerBadModelFiles) {
  expect_error([&] { Tokenizer::load(path("none.model")); }, {"none.model", "No such file"});
  const auto garbage = write("garbage.model", "this is not a sentencepiece model at all");
  expect_error([&] { Tokenizer::load(garbage); }, {"garbage.model"});
  const Tokenizer tok = Tokenizer::train(make_corpus(300, 6), 200, path("good.model"));
  const std::string bytes = tok.serialized();
  const auto truncated = write("truncated.model", bytes.substr(0, bytes.size() / 2));
  expect_error([&] { Tokenizer::load(truncated); }, {"truncated.model"});
  expect_error([&] { Tokenizer::from_serialized("\x01\x02garbage"); }, {"tokenizer"});
}

// ---------------------------------------------------------------- stats

TEST_F(DataTest, StatsCountsAndTruncation) {
  Dataset d;
  d.name = "toy";
  d.label_names = {"a", "b", "c"};
  const auto corpus = make_corpus(120, 8);
  for (size_t i = 0; i < corpus.size(); ++i) {
    auto& part = i % 10 < 8 ? d.train : i % 10 == 8 ? d.val : d.test;
    part.push_back({corpus[i], static_cast<int>(i % 3 == 2 ? 1 : 0)});
  }
  d.train[0].label = 2;
  const Tokenizer tok = Tokenizer::train(corpus, 200, path("spm.model"));
  const int max_len = 6;
  const DatasetStats s = compute_stats(d, tok, max_len);
  EXPECT_EQ(s.name, "toy");
  EXPECT_EQ(s.max_len, max_len);
  EXPECT_EQ(s.vocab_size, tok.vocab_size());
  ASSERT_EQ(s.splits.size(), 3u);
  const std::vector<const std::vector<Example>*> parts = {&d.train, &d.val, &d.test};
  for (size_t p = 0; p < 3; ++p) {
    const SplitStats& ss = s.splits[p];
    EXPECT_EQ(ss.examples, parts[p]->size());
    ASSERT_EQ(ss.class_counts.size(), 3u);
    EXPECT_EQ(ss.class_counts[0] + ss.class_counts[1] + ss.class_counts[2], ss.examples);
    int truncated = 0, max = 0;
    double sum = 0;
    for (const auto& e : *parts[p]) {
      const int len = tok.length(e.text);
      truncated += len > max_len;
      max = std::max(max, len);
      sum += len;
    }
    EXPECT_DOUBLE_EQ(ss.lengths.truncated_fraction, static_cast<double>(truncated) / ss.examples);
    EXPECT_EQ(ss.lengths.max, max);
    EXPECT_NEAR(ss.lengths.mean, sum / ss.examples, 1e-9);
    EXPECT_LE(ss.lengths.median, ss.lengths.p95);
    EXPECT_LE(ss.lengths.p95, ss.lengths.p99);
    EXPECT_LE(ss.lengths.p99, ss.lengths.max);
  }
  EXPECT_EQ(s.splits[0].class_counts[2], 1u);
  EXPECT_GT(s.splits[0].lengths.truncated_fraction, 0.0);
  EXPECT_EQ(compute_stats(d, tok, 1).splits[2].lengths.truncated_fraction, 1.0);
  EXPECT_EQ(compute_stats(d, tok, 10000).splits[2].lengths.truncated_fraction, 0.0);
  // Majority class of train is "a" (label 0); the baseline is its share of test.
  EXPECT_DOUBLE_EQ(s.majority_fraction_test,
                   static_cast<double>(s.splits[2].class_counts[0]) / s.splits[2].examples);

  const auto json = to_json(s);
  EXPECT_EQ(json.at("splits").size(), 3u);
  EXPECT_EQ(json.at("splits")[0].at("class_counts")[2], 1);
  EXPECT_EQ(json.at("label_names")[1], "b");
  const std::string table = to_table(s);
  EXPECT_NE(table.find("toy"), std::string::npos);
  EXPECT_NE(table.find("train"), std::string::npos);
  EXPECT_NE(table.find("\nc "), std::string::npos);
}

// The cut of a pair: a short text is kept whole, two long ones share the budget (a gets the odd piece).
TEST(Tokenizer, AssemblePairLongestFirst) {
  auto seq = [](int from, int n) {
    std::vector<int> v(static_cast<size_t>(n));
    std::iota(v.begin(), v.end(), from);
    return v;
  };
  // Fits: [CLS] a [SEP] b.
  EXPECT_EQ(Tokenizer::assemble_pair(seq(10, 2), seq(20, 3), 8), (std::vector<int>{2, 10, 11, 3, 20, 21, 22}));
  // Budget 6: b short (2) is kept, a is cut to 4.
  EXPECT_EQ(Tokenizer::assemble_pair(seq(10, 9), seq(20, 2), 8), (std::vector<int>{2, 10, 11, 12, 13, 3, 20, 21}));
  // a short (1), b cut to 5.
  EXPECT_EQ(Tokenizer::assemble_pair(seq(10, 1), seq(20, 9), 8), (std::vector<int>{2, 10, 3, 20, 21, 22, 23, 24}));
  // Both long, odd budget 5: a 3, b 2.
  EXPECT_EQ(Tokenizer::assemble_pair(seq(10, 9), seq(20, 9), 7), (std::vector<int>{2, 10, 11, 12, 3, 20, 21}));
  // As the loop the rule describes, for every pair of lengths.
  for (int la = 0; la < 12; ++la) {
    for (int lb = 0; lb < 12; ++lb) {
      int ka = la, kb = lb;
      while (ka + kb > 6) (ka > kb ? ka : kb) -= 1;
      const auto out = Tokenizer::assemble_pair(seq(100, la), seq(200, lb), 8);
      EXPECT_EQ(out.size(), size_t(ka + kb + 2)) << la << " " << lb;
      EXPECT_EQ(out[size_t(ka) + 1], 3) << la << " " << lb;
    }
  }
  expect_error([&] { Tokenizer::assemble_pair({1}, {2}, 2); }, {"at least 3"});
}
