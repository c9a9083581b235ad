// The default task: classify a WordNet 3.0 gloss into its lexicographer file (45 classes, e.g. noun.animal).
// Reads the Debian package wordnet-base; no network, no download.
#pragma once

#include <string>
#include <vector>

#include "data/dataset.h"

namespace qtnas {

// The 45 lexicographer file names of lexnames(5WN), index = lexicographer file number (00 adj.all ... 44 adj.ppl).
const std::vector<std::string>& wordnet_lexnames();

// Where Debian's wordnet-base installs WordNet 3.0's dict folder.
inline constexpr const char* kWordnetDir = "/usr/share/wordnet";

// Reads dir/data.noun, data.verb, data.adj and data.adv (in that order). Each synset is one example:
// text = its gloss (after " | ", whitespace-trimmed), label = its lexicographer file number, split =
// split_of(offset + "-" + ss_type), e.g. "00001740-a". Name "wordnet"; label_names = wordnet_lexnames().
// Throws Error "WordNet data not found: cannot open '<dir>/data.noun' (install the Debian package wordnet-base)"
// when a file is missing, and "<file>:<line>: ..." for a malformed line.
Dataset load_wordnet(const std::string& dir = kWordnetDir);

}  // namespace qtnas
