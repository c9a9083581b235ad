// Tests of a user's own files (data/labeled_files.h, data/task.h): TSV, CSV and JSON, columns by name, sentence
// pairs, the same task from every format, and every kind of bad input.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "data/dataset.h"
#include "data/labeled_files.h"
#include "data/task.h"
#include "data/tokenizer.h"
#include "tests/data_fixture.h"
#include "tests/expect_error.h"

using namespace qtnas;
using qtnas::testing::DataTest;
using qtnas::testing::expect_error;
using qtnas::testing::labels_of;
using qtnas::testing::make_corpus;

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

