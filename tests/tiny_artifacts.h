// Tiny artifacts as `qtnas train` and `qtnas profile` would leave them, for the tests that run `qtnas` on a trained
// supernet: a TSV task whose label is a marker word, its tokenizer, a briefly-initialized supernet, a latency
// model.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/labeled_files.h"
#include "space/hash.h"
#include "supernet/checkpoint.h"
#include "tests/fixtures.h"
#include "tests/toy_latency.h"

namespace qtnas::testing {

struct TinyArtifacts {
  std::filesystem::path data, supernet, model;
  std::string task;  // the task options naming `data`
};

inline TinyArtifacts make_tiny_artifacts(const std::filesystem::path& dir) {
  TinyArtifacts a;
  a.data = dir / "task.tsv";
  Rng rng(1);
  const std::vector<std::string> words = {"stone", "river", "cloud", "paper", "green", "quiet", "metal", "light",
                                          "small", "round", "sharp", "sweet", "north", "early", "plain"};
  const std::vector<std::string> labels = {"animal", "plant", "tool"};
  std::ofstream out(a.data);
  out << "text\tlabel\n";
  for (int i = 0; i < 900; ++i) {
    const size_t label = rng.uniform(3);
    std::string text;
    for (int w = 0; w < 6; ++w) text += words[rng.uniform(words.size())] + " ";
    out << text << labels[label] << "ish\t" << labels[label] << "\n";
  }
  out.close();
  a.task = "--task tsv --data " + a.data.string();
  const Dataset data = load_labeled_file_split(FileFormat::TSV, a.data.string());
  std::vector<std::string> texts;
  for (const auto& e : data.train) texts.push_back(e.text);
  const Tokenizer tok = Tokenizer::train(texts, 60, (dir / "tokenizer.model").string());
  SpaceConfig sc = tiny_space(3, {0, 50});
  sc.vocab_size = tok.vocab_size();
  sc.num_classes = 3;
  torch::manual_seed(0);
  Supernet net(sc, 0.0);
  a.supernet = dir / "supernet.pt";
  save_checkpoint(a.supernet.string(), net, {sc, 0.0, data.label_names, hash_hex(stable_hash(tok.serialized())), {}},
                  nullptr);
  // Latency: a made-up table under this machine's environment with 1 thread (the tests run --threads 1).
  a.model = dir / "latency.json";
  std::ofstream(a.model) << toy_latency_model(SearchSpace(sc), 1).to_json().dump(2);
  return a;
}

}  // namespace qtnas::testing
