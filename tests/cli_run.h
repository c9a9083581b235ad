// Running the `qtnas` executable from tests (for a test target compiled with QTNAS_BIN): a scratch folder per
// test process, blocking and background runs, and tiny artifacts as `qtnas train` and `qtnas profile` would
// leave them (a TSV task whose label is a marker word, its tokenizer, a briefly-initialized supernet, a
// latency model).
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "data/labeled_files.h"
#include "space/hash.h"
#include "supernet/checkpoint.h"
#include "tests/files.h"
#include "tests/fixtures.h"
#include "tests/toy_latency.h"

namespace qtnas::testing {

// <temp>/<prefix>_<pid>, fresh: ctest runs each test of a file in its own process, in parallel.
inline const std::filesystem::path& scratch_dir(const std::string& prefix) {
  static const std::filesystem::path d = [&] {
    const auto p = std::filesystem::temp_directory_path() / (prefix + "_" + std::to_string(getpid()));
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    return p;
  }();
  return d;
}

struct CliResult {
  int code = -1;
  std::string out, err;
};

// Runs `qtnas args` to completion, its output captured in files of `dir`, with `env` ("NAME=value ...") added
// to its environment.
inline CliResult run_qtnas(const std::filesystem::path& dir, const std::string& args, const std::string& env = "") {
  static int n = 0;
  const auto out = dir / fmt::format("out{}", n), err = dir / fmt::format("err{}", n);
  ++n;
  const std::string command = (env.empty() ? "" : "env " + env + " ") + std::string(QTNAS_BIN) + " " + args + " >" +
                              out.string() + " 2>" + err.string();
  const int status = std::system(command.c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
}

// Starts `qtnas args` in the background, output to `log` (both streams), with `env` ("NAME=value ...") added to
// its environment; returns its pid.
inline pid_t spawn_qtnas(const std::string& args, const std::string& log = "/dev/null", const std::string& env = "") {
  const pid_t pid = fork();
  if (pid == 0) {
    const std::string cmd =
        std::string("exec ") + (env.empty() ? "" : "env " + env + " ") + QTNAS_BIN + " " + args + " >" + log + " 2>&1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  return pid;
}

// The exit code of a background run (-signal if a signal ended it).
inline int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

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
