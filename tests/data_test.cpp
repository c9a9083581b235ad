// Tests of data/: the hash split, the WordNet and TSV/JSONL loaders (incl. every kind of bad input), the
// SentencePiece tokenizer (save/load, reuse, refusal) and the dataset statistics.
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
#include "tests/expect_error.h"
#include "tests/files.h"

namespace fs = std::filesystem;
using namespace qtnas;

namespace {

using qtnas::testing::expect_error;
using qtnas::testing::read_file;

// Every test gets a fresh scratch folder.
class DataTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path(name), std::ios::binary) << content;
    return path(name);
  }

  const fs::path dir_ = qtnas::testing::scratch_dir("qtnas_data_test");
};

// A deterministic corpus of simple sentences (no randomness from the platform).
std::vector<std::string> make_corpus(int n, uint32_t seed) {
  static const char* words[] = {"the", "cat", "dog", "runs", "quickly", "over", "a", "lazy", "fox", "jumps",
                                "small", "house", "river", "mountain", "green", "blue", "reads", "book", "under",
                                "tree", "bright", "morning", "evening", "walks", "slowly", "with", "friend",
                                "garden", "flowers", "grow", "tall", "bird", "sings", "song", "quietly", "near",
                                "window", "children", "play", "football", "teacher", "explains", "lesson",
                                "students", "listen", "carefully", "weather", "changes", "rain", "falls"};
  std::vector<std::string> corpus;
  uint32_t state = seed;
  auto next = [&]() { return state = state * 1664525u + 1013904223u, state >> 8; };
  for (int i = 0; i < n; ++i) {
    std::string s;
    const int len = 4 + static_cast<int>(next() % 12);
    for (int w = 0; w < len; ++w) s += (w ? " " : "") + std::string(words[next() % std::size(words)]);
    corpus.push_back(s);
  }
  return corpus;
}

std::vector<int> labels_of(const std::vector<Example>& examples) {
  std::vector<int> out;
  for (const auto& e : examples) out.push_back(e.label);
  return out;
}

}  // namespace

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

// ---------------------------------------------------------------- labeled files

TEST(LabeledFiles, ParseFileFormat) {
  EXPECT_EQ(parse_file_format("tsv"), FileFormat::TSV);
  EXPECT_EQ(parse_file_format("csv"), FileFormat::CSV);
  EXPECT_EQ(parse_file_format("json"), FileFormat::JSON);
  EXPECT_EQ(parse_file_format("jsonl"), FileFormat::JSON);
  expect_error([] { parse_file_format("xlsx"); }, {"'xlsx'", "tsv", "csv", "jsonl"});
  EXPECT_EQ(format_from_extension("dir/a.TSV"), FileFormat::TSV);
  EXPECT_EQ(format_from_extension("a.csv"), FileFormat::CSV);
  EXPECT_EQ(format_from_extension("a.json"), FileFormat::JSON);
  EXPECT_EQ(format_from_extension("a.jsonl"), FileFormat::JSON);
  expect_error([] { format_from_extension("dir/reviews.txt"); }, {"'dir/reviews.txt'", "'.txt'", "--format"});
}

TEST_F(DataTest, TsvThreeFiles) {
  // Extra columns, label before text, a blank line, Windows line ends.
  const auto train = write("train.tsv", "id\tlabel\ttext\n1\tpos\tgood film\r\n2\tneg\tbad film\n\n3\tpos\tgreat\n");
  const auto val = write("val.tsv", "text\tlabel\nnice\tpos\n");
  const auto test = write("test.tsv", "label\tsource\ttext\nneg\tweb\tawful\n");
  const Dataset d = load_labeled_files(FileFormat::TSV, train, val, test);
  EXPECT_EQ(d.name, "train.tsv");
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"neg", "pos"}));
  ASSERT_EQ(d.train.size(), 3u);
  EXPECT_EQ(d.train[0].text, "good film");
  EXPECT_EQ(labels_of(d.train), (std::vector<int>{1, 0, 1}));
  ASSERT_EQ(d.val.size(), 1u);
  EXPECT_EQ(d.val[0].text, "nice");
  ASSERT_EQ(d.test.size(), 1u);
  EXPECT_EQ(d.test[0].text, "awful");
  EXPECT_EQ(d.test[0].label, 0);
}

TEST_F(DataTest, IntegerLabelsSortNumerically) {
  const auto train = write("train.tsv", "text\tlabel\na\t10\nb\t2\nc\t-1\nd\t2\n");
  const auto other = write("other.tsv", "text\tlabel\ne\t10\n");
  const Dataset d = load_labeled_files(FileFormat::TSV, train, other, other);
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"-1", "2", "10"}));
  EXPECT_EQ(labels_of(d.train), (std::vector<int>{2, 1, 0, 1}));
  // One non-integer label: lexicographic order for all.
  const auto mixed = write("mixed.tsv", "text\tlabel\na\t10\nb\t2\nc\tx\n");
  EXPECT_EQ(load_labeled_files(FileFormat::TSV, mixed, other, other).label_names,
            (std::vector<std::string>{"10", "2", "x"}));
}

TEST_F(DataTest, JsonlThreeFiles) {
  const auto train = write("train.jsonl",
                           "{\"text\": \"good film\", \"label\": 1, \"id\": 7}\n"
                           "\n"
                           "{\"label\": 0, \"text\": \"bad film\"}\n"
                           "{\"text\": \"so-so\", \"label\": 12}\n");
  const auto val = write("val.jsonl", "{\"text\": \"fine\", \"label\": \"12\"}\n");
  const auto test = write("test.jsonl", "{\"text\": \"dull\", \"label\": 0}\n");
  const Dataset d = load_labeled_files(FileFormat::JSON, train, val, test);
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"0", "1", "12"}));
  EXPECT_EQ(labels_of(d.train), (std::vector<int>{1, 0, 2}));
  EXPECT_EQ(d.val[0].label, 2);  // the string "12" is the same label as the integer 12
  EXPECT_EQ(d.test[0].text, "dull");
}

// `qtnas data --write-split`: the files read back as the very same split, labels by name.
TEST_F(DataTest, WrittenSplitReadsBackAsTheSameSplit) {
  Dataset d;
  d.label_names = {"noun.animal", "verb.motion", "adj.all"};
  d.train = {{"a dog that \"barks\"", 0}, {"run fast", 1}, {"tab\there", 2}};
  d.val = {{"a cat", 0}};
  d.test = {{"walk slowly", 1}, {"green", 2}};
  write_split_jsonl(d, path("split"));
  const Dataset back = load_labeled_files(FileFormat::JSON, path("split/train.jsonl"), path("split/val.jsonl"),
                                          path("split/test.jsonl"));
  for (const auto& [mine, theirs] : {std::pair{&d.train, &back.train}, {&d.val, &back.val}, {&d.test, &back.test}}) {
    ASSERT_EQ(theirs->size(), mine->size());
    for (size_t i = 0; i < mine->size(); ++i) {
      EXPECT_EQ((*theirs)[i].text, (*mine)[i].text);
      EXPECT_EQ(back.label_names[(*theirs)[i].label], d.label_names[(*mine)[i].label]);
    }
  }
}

TEST_F(DataTest, SingleFileHashSplit) {
  std::string tsv = "label\ttext\n";
  const auto corpus = make_corpus(300, 7);
  std::set<std::string> texts(corpus.begin(), corpus.end());
  int i = 0;
  for (const auto& t : texts) tsv += (i++ % 3 == 0 ? "a\t" : "b\t") + t + "\n";
  const auto file = write("all.tsv", tsv);
  const Dataset d = load_labeled_file_split(FileFormat::TSV, file);
  EXPECT_EQ(d.name, "all.tsv");
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(d.train.size() + d.val.size() + d.test.size(), texts.size());
  for (const auto& e : d.train) EXPECT_EQ(split_of(e.text), Split::Train);
  for (const auto& e : d.val) EXPECT_EQ(split_of(e.text), Split::Val);
  for (const auto& e : d.test) EXPECT_EQ(split_of(e.text), Split::Test);
  // Deterministic: a second load gives the same split.
  EXPECT_EQ(load_labeled_file_split(FileFormat::TSV, file).test.size(), d.test.size());
}

TEST_F(DataTest, MissingAndEmptyFiles) {
  const auto good = write("good.tsv", "text\tlabel\na\tx\nb\ty\n");
  const auto missing = path("missing.tsv");
  expect_error([&] { load_labeled_files(FileFormat::TSV, missing, good, good); },
               {"cannot open '" + missing + "': No such file or directory"});
  expect_error([&] { load_labeled_files(FileFormat::TSV, good, missing, good); }, {"missing.tsv"});
  expect_error([&] { load_labeled_file_split(FileFormat::JSON, dir_.string()); }, {"cannot open", "directory"});
  const auto empty = write("empty.tsv", "");
  expect_error([&] { load_labeled_files(FileFormat::TSV, good, good, empty); }, {"empty.tsv", "empty file"});
  const auto header_only = write("header.tsv", "text\tlabel\n\n");
  expect_error([&] { load_labeled_files(FileFormat::TSV, good, header_only, good); }, {"header.tsv", "no examples"});
  const auto empty_jsonl = write("empty.jsonl", "\n  \n");
  expect_error([&] { load_labeled_file_split(FileFormat::JSON, empty_jsonl); }, {"empty.jsonl", "empty file"});
}

TEST_F(DataTest, TsvMalformed) {
  const auto good = write("good.tsv", "text\tlabel\na\tx\nb\ty\n");
  const auto no_label = write("nolabel.tsv", "text\tlabels\na\tx\n");
  expect_error([&] { load_labeled_files(FileFormat::TSV, no_label, good, good); },
               {"nolabel.tsv:1:", "no 'label' column", "'text', 'labels'"});
  const auto spaces = write("spaces.tsv", "text label\na x\n");
  expect_error([&] { load_labeled_files(FileFormat::TSV, spaces, good, good); }, {"spaces.tsv:1:", "'text'"});
  const auto fields = write("fields.tsv", "text\tlabel\na\tx\n\nb\ty\tz\n");
  expect_error([&] { load_labeled_files(FileFormat::TSV, good, fields, good); },
               {"fields.tsv:4:", "expected 2", "found 3"});
  const auto empty_text = write("emptytext.tsv", "label\ttext\nx\ta\ny\t  \n");
  expect_error([&] { load_labeled_files(FileFormat::TSV, good, good, empty_text); },
               {"emptytext.tsv:3:", "empty text"});
}

TEST_F(DataTest, JsonlMalformed) {
  const auto good = write("good.jsonl", "{\"text\": \"a\", \"label\": \"x\"}\n{\"text\": \"b\", \"label\": \"y\"}\n");
  const std::string first = "{\"text\": \"a\", \"label\": \"x\"}\n";
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"{\"text\": \"b\", \"label\": \"y\"\n", "not valid JSON"},
      {"[\"b\", \"y\"]\n", "expected a JSON object"},
      {"{\"label\": \"y\"}\n", "missing key \"text\""},
      {"{\"text\": \"b\"}\n", "missing key \"label\""},
      {"{\"text\": 5, \"label\": \"y\"}\n", "\"text\" must be a string"},
      {"{\"text\": \"b\", \"label\": 1.5}\n", "\"label\" must be a string or an integer"},
      {"{\"text\": \"b\", \"label\": [1]}\n", "\"label\" must be a string or an integer"},
      {"{\"text\": \"\", \"label\": \"y\"}\n", "empty text"},
      {"{\"text\": \"b\", \"label\": \"\"}\n", "empty label"}};
  for (const auto& [line, what] : bad) {
    const auto file = write("bad.jsonl", first + "\n" + line);
    expect_error([&] { load_labeled_files(FileFormat::JSON, good, file, good); }, {"bad.jsonl:3:", what});
  }
}

TEST_F(DataTest, OneClassOnly) {
  const auto good = write("good.tsv", "text\tlabel\na\tpos\n");
  const auto one = write("one.tsv", "text\tlabel\na\tpos\nb\tpos\n");
  expect_error([&] { load_labeled_files(FileFormat::TSV, one, good, good); },
               {"one.tsv", "found only 1 class ('pos'); a classification task needs at least two"});
}

TEST_F(DataTest, LabelUnseenInTrain) {
  const auto train =
      write("train.jsonl", "{\"text\": \"a\", \"label\": \"pos\"}\n{\"text\": \"b\", \"label\": \"neg\"}\n");
  const auto val = write("val.jsonl", "{\"text\": \"c\", \"label\": \"pos\"}\n{\"text\": \"d\", \"label\": \"meh\"}\n");
  expect_error([&] { load_labeled_files(FileFormat::JSON, train, val, train); }, {"val.jsonl:2:", "'meh'"});
}

TEST_F(DataTest, EmptySplitInSingleFile) {
  const auto tiny = write("tiny.tsv", "text\tlabel\nalpha\tx\nbeta\ty\n");
  expect_error([&] { load_labeled_file_split(FileFormat::TSV, tiny); }, {"tiny.tsv", "split empty"});
}

// A review export as spreadsheets write it: other column names, quoted fields holding commas, doubled quotes and
// line breaks, markup, a Windows line end.
TEST_F(DataTest, CsvWithQuotingAndColumnsByName) {
  const auto train = write("reviews.csv",
                           "product,review,score\r\n"
                           "lamp,\"Bright, cheap, \"\"great\"\"\",5\n"
                           "\n"
                           "chair,\"Broke after a week.<br />\nNever again\",1\n"
                           "desk,  Solid desk  ,5\n");
  const auto other = write("other.csv", "review,score\nok,1\n");
  const Columns columns{"review", "score", ""};
  const Dataset d = load_labeled_files(std::nullopt, train, other, other, columns);
  ASSERT_EQ(d.train.size(), 3u);
  EXPECT_EQ(d.train[0].text, "Bright, cheap, \"great\"");
  EXPECT_EQ(d.train[1].text, "Broke after a week.<br />\nNever again");
  EXPECT_EQ(d.train[2].text, "Solid desk");  // spaces around an unquoted field are not part of it
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"1", "5"}));
  EXPECT_FALSE(d.pairs);
  // Records are named by the line they start on, after a field that spans two lines.
  const auto bad = write("bad.csv", "product,review,score\nchair,\"two\nlines\",1\ndesk,,5\n");
  expect_error([&] { load_labeled_files(std::nullopt, bad, other, other, columns); }, {"bad.csv:4:", "empty text"});
  const auto short_row = write("short.csv", "product,review,score\nchair,\"a, b\"\n");
  expect_error([&] { load_labeled_files(std::nullopt, short_row, other, other, columns); },
               {"short.csv:2:", "expected 3 fields", "found 2"});
  const auto open_quote = write("open.csv", "review,score\n\"never closed,1\n");
  expect_error([&] { load_labeled_files(std::nullopt, open_quote, other, other, columns); },
               {"open.csv:2:", "malformed CSV", "never closed"});
  // A missing column lists the ones the file has.
  expect_error([&] { load_labeled_files(std::nullopt, train, other, other); },
               {"reviews.csv:1:", "no 'text' column", "'product', 'review', 'score'"});
  expect_error([&] { load_labeled_files(FileFormat::CSV, path("reviews.xlsx"), other, other); }, {"cannot open"});
}

TEST_F(DataTest, JsonArrayWithOtherKeysAndMixedLabels) {
  const auto train = write("export.json",
                           "[\n  {\"text\": \"good film\", \"class\": 0},\n"
                           "  {\"text\": \"a [bracketed] {brace} \\\"quote\\\"\",\n   \"class\": \"neutral\"},\n"
                           "  {\"text\": \"bad film\", \"class\": 1}\n]\n");
  const auto other = write("other.jsonl", "{\"text\": \"fine\", \"class\": \"0\"}\n");
  const Columns columns{"text", "class", ""};
  const Dataset d = load_labeled_files(std::nullopt, train, other, other, columns);
  ASSERT_EQ(d.train.size(), 3u);
  EXPECT_EQ(d.train[1].text, "a [bracketed] {brace} \"quote\"");
  // Integers and strings in one label column: all read as strings, sorted bytewise.
  EXPECT_EQ(d.label_names, (std::vector<std::string>{"0", "1", "neutral"}));
  EXPECT_EQ(d.val[0].label, 0);
  // Errors name the line where the element starts, and list the keys an element has.
  const auto bad = write("bad.json", "[{\"text\": \"a\", \"class\": 0},\n\n {\"body\": \"b\",\n  \"class\": 1}]");
  expect_error([&] { load_labeled_files(std::nullopt, bad, other, other, columns); },
               {"bad.json:3:", "missing key \"text\"", "\"body\", \"class\""});
  const auto not_objects = write("numbers.json", "[1, 2]");
  expect_error([&] { load_labeled_files(std::nullopt, not_objects, other, other, columns); },
               {"numbers.json:1:", "expected a JSON object"});
  const auto empty_array = write("none.json", " [ ] ");
  expect_error([&] { load_labeled_files(std::nullopt, empty_array, other, other, columns); }, {"none.json", "empty array"});
}

TEST_F(DataTest, SentencePairs) {
  const auto train = write("pairs.tsv",
                           "label\tpremise\thypothesis\n"
                           "yes\ta dog barks\tan animal makes a sound\n"
                           "no\ta dog barks\tthe sky is green\n");
  const auto val = write("val.tsv", "premise\thypothesis\tlabel\nrain falls\twater drops\tyes\n");
  const Columns columns{"premise", "label", "hypothesis"};
  const Dataset d = load_labeled_files(std::nullopt, train, val, val, columns);
  EXPECT_TRUE(d.pairs);
  ASSERT_EQ(d.train.size(), 2u);
  EXPECT_EQ(d.train[1].text, "a dog barks");
  EXPECT_EQ(d.train[1].text_pair, "the sky is green");
  EXPECT_EQ(d.val[0].text_pair, "water drops");
  // Both texts train the tokenizer; the split of a pair is keyed by both texts.
  EXPECT_EQ(training_texts(d),
            (std::vector<std::string>{"a dog barks", "a dog barks", "an animal makes a sound", "the sky is green"}));
  EXPECT_EQ(split_of(d.train[1]), split_of("a dog barks\x1fthe sky is green"));
  const auto empty_second = write("empty2.tsv", "premise\thypothesis\tlabel\na\tb\tyes\nc\t \tno\n");
  expect_error([&] { load_labeled_files(std::nullopt, train, empty_second, val, columns); },
               {"empty2.tsv:3:", "empty second text", "'hypothesis'"});
  expect_error([&] { load_labeled_files(std::nullopt, train, val, val, Columns{"premise", "label", "claim"}); },
               {"pairs.tsv:1:", "no 'claim' column", "'label', 'premise', 'hypothesis'"});
}

// The same small task from a CSV, a TSV with other column names and a JSON array: the same split, the same labels,
// the same tokenizer fingerprint, through the task options the commands pass.
TEST_F(DataTest, TheSameTaskFromCsvTsvAndJson) {
  const auto corpus = make_corpus(240, 11);
  std::set<std::string> texts(corpus.begin(), corpus.end());
  std::string csv = "text,label\n", tsv = "id\tsentence\tcategory\n", json = "[\n";
  int i = 0;
  for (const auto& t : texts) {
    const std::string label = i % 3 == 0 ? "sport" : i % 3 == 1 ? "news" : "arts";
    csv += "\"" + t + ", indeed\"," + label + "\n";
    tsv += std::to_string(i) + "\t" + t + ", indeed\t" + label + "\n";
    json += std::string(i ? ",\n" : "") + "{\"text\": \"" + t + ", indeed\", \"label\": \"" + label + "\"}";
    ++i;
  }
  write("task.csv", csv);
  write("task.tsv", tsv);
  write("task.json", json + "\n]\n");
  const Dataset from_csv = load_task({{"data", path("task.csv")}});
  const Dataset from_tsv =
      load_task({{"data", path("task.tsv")}, {"text-column", "sentence"}, {"label-column", "category"}});
  const Dataset from_json = load_task({{"task", "files"}, {"format", "json"}, {"data", path("task.json")}});
  for (const Dataset* d : {&from_tsv, &from_json}) {
    EXPECT_EQ(d->label_names, from_csv.label_names);
    for (const auto& [mine, theirs] : {std::pair{&from_csv.train, &d->train}, {&from_csv.val, &d->val},
                                       {&from_csv.test, &d->test}}) {
      ASSERT_EQ(theirs->size(), mine->size());
      for (size_t k = 0; k < mine->size(); ++k) {
        EXPECT_EQ((*theirs)[k].text, (*mine)[k].text);
        EXPECT_EQ((*theirs)[k].label, (*mine)[k].label);
      }
    }
    EXPECT_EQ(Tokenizer::fingerprint(training_texts(*d), 200), Tokenizer::fingerprint(training_texts(from_csv), 200));
  }
  expect_error([&] { load_task({{"task", "tsv"}, {"format", "csv"}, {"data", path("task.csv")}}); },
               {"--task tsv contradicts --format csv"});
  expect_error([&] { load_task({{"data", path("task.csv")}, {"text-column", "label"}}); }, {"different columns"});
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
