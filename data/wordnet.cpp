#include "data/wordnet.h"

#include <filesystem>
#include <fstream>

#include "data/text.h"
#include "space/error.h"

namespace qtnas {
namespace {

// Splits off the next space-delimited field; empty when the line has no more fields.
std::string_view next_field(std::string_view& rest) {
  const size_t end = rest.find(' ');
  std::string_view field = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
  return field;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

void read_data_file(const std::string& path, Dataset& dataset) {
  // Debian's wordnet-base ships no lexnames file and must be present as a whole, so any missing file
  // points at the package rather than at a typo in one name.
  std::ifstream in(path, std::ios::binary);
  QTNAS_CHECK(in && !std::filesystem::is_directory(path),
              "WordNet data not found: cannot open '{}' (install the Debian package wordnet-base)", path);
  const int num_labels = static_cast<int>(wordnet_lexnames().size());
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (line.rfind("  ", 0) == 0) continue;  // license header
    if (trim(line).empty()) continue;
    std::string_view rest = line;
    const std::string_view offset = next_field(rest);
    const std::string_view lex_filenum = next_field(rest);
    const std::string_view ss_type = next_field(rest);
    QTNAS_CHECK(all_digits(offset), "{}:{}: expected a synset offset (digits) as field 1, found '{}'", path,
                line_no, offset);
    QTNAS_CHECK(all_digits(lex_filenum) && lex_filenum.size() <= 2 && std::stoi(std::string(lex_filenum)) < num_labels,
                "{}:{}: expected a lexicographer file number 00..{} as field 2, found '{}'", path, line_no,
                num_labels - 1, lex_filenum);
    QTNAS_CHECK(ss_type.size() == 1 && std::string_view("nvasr").find(ss_type[0]) != std::string_view::npos,
                "{}:{}: expected a synset type (n, v, a, s or r) as field 3, found '{}'", path, line_no, ss_type);
    const size_t bar = line.find(" | ");
    QTNAS_CHECK(bar != std::string::npos, "{}:{}: no gloss (missing \" | \")", path, line_no);
    const std::string_view gloss = trim(std::string_view(line).substr(bar + 3));
    QTNAS_CHECK(!gloss.empty(), "{}:{}: empty gloss after \" | \"", path, line_no);

    Example example{std::string(gloss), std::stoi(std::string(lex_filenum))};
    const std::string key = std::string(offset) + "-" + std::string(ss_type);
    switch (split_of(key)) {
      case Split::Train: dataset.train.push_back(std::move(example)); break;
      case Split::Val: dataset.val.push_back(std::move(example)); break;
      case Split::Test: dataset.test.push_back(std::move(example)); break;
    }
  }
  QTNAS_CHECK(!in.bad(), "{}: read error", path);
}

}  // namespace

const std::vector<std::string>& wordnet_lexnames() {
  static const std::vector<std::string> names = {
      "adj.all",          "adj.pert",          "adv.all",           "noun.Tops",         "noun.act",
      "noun.animal",      "noun.artifact",     "noun.attribute",    "noun.body",         "noun.cognition",
      "noun.communication", "noun.event",      "noun.feeling",      "noun.food",         "noun.group",
      "noun.location",    "noun.motive",       "noun.object",       "noun.person",       "noun.phenomenon",
      "noun.plant",       "noun.possession",   "noun.process",      "noun.quantity",     "noun.relation",
      "noun.shape",       "noun.state",        "noun.substance",    "noun.time",         "verb.body",
      "verb.change",      "verb.cognition",    "verb.communication", "verb.competition", "verb.consumption",
      "verb.contact",     "verb.creation",     "verb.emotion",      "verb.motion",       "verb.perception",
      "verb.possession",  "verb.social",       "verb.stative",      "verb.weather",      "adj.ppl",
  };
  return names;
}

Dataset load_wordnet(const std::string& dir) {
  Dataset dataset;
  dataset.name = "wordnet";
  dataset.label_names = wordnet_lexnames();
  for (const char* pos : {"noun", "verb", "adj", "adv"})
    read_data_file((std::filesystem::path(dir) / (std::string("data.") + pos)).string(), dataset);
  return dataset;
}

}  // namespace qtnas
