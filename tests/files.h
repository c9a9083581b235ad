// File helpers shared by the tests: a scratch folder of the running test, and a file's bytes.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

namespace qtnas::testing {

// <temporary directory>/<prefix>_<pid>/<suite>.<test> for the running test (<prefix>_<pid> itself outside a
// test), empty when the test first asks for it. The pid keeps apart the processes ctest runs in parallel and the
// same tests run from another checkout at the same time; the test's name keeps apart the tests of one process
// (a binary run by hand). Each <prefix>_<pid> folder is removed when the process exits normally. Not thread-safe.
inline std::filesystem::path scratch_dir(const std::string& prefix) {
  namespace fs = std::filesystem;
  struct Created {
    std::set<fs::path> roots, dirs;
    ~Created() {
      std::error_code ec;
      for (const fs::path& root : roots) fs::remove_all(root, ec);
    }
  };
  static Created created;
  const fs::path root = fs::temp_directory_path() / (prefix + "_" + std::to_string(getpid()));
  fs::path dir = root;
  if (const auto* test = ::testing::UnitTest::GetInstance()->current_test_info()) {
    std::string name = std::string(test->test_suite_name()) + "." + test->name();
    for (char& c : name) c = c == '/' ? '_' : c;  // parameterised tests are named Prefix/Suite.Test/Case
    dir /= name;
  }
  if (created.dirs.insert(dir).second) {
    fs::remove_all(dir);
    fs::create_directories(dir);
    created.roots.insert(root);
  }
  return dir;
}

// The whole file, byte for byte (empty if it cannot be read).
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Debian's interpreter, where python3-torch and python3-sentencepiece install (a python3 earlier on PATH may be
// another one), if it imports every module of `modules` ("torch, sentencepiece"); else empty.
inline std::string python_importing(const std::string& modules) {
  const std::string python = std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  return std::system((python + " -c 'import " + modules + "' >/dev/null 2>&1").c_str()) == 0 ? python : "";
}

}  // namespace qtnas::testing
