// The fixture of the data/ tests: a fresh scratch folder per test, a deterministic corpus, and labels of examples.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "data/dataset.h"
#include "tests/files.h"

namespace qtnas::testing {

// Every test gets a fresh scratch folder.
class DataTest : public ::testing::Test {
 protected:
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  std::string write(const std::string& name, const std::string& content) const {
    std::ofstream(path(name), std::ios::binary) << content;
    return path(name);
  }

  const std::filesystem::path dir_ = scratch_dir("qtnas_data_test");
};

// A deterministic corpus of simple sentences (no randomness from the platform).
inline std::vector<std::string> make_corpus(int n, uint32_t seed) {
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

inline std::vector<int> labels_of(const std::vector<Example>& examples) {
  std::vector<int> out;
  for (const auto& e : examples) out.push_back(e.label);
  return out;
}

}  // namespace qtnas::testing
