// Running the `qtnas` executable from tests (for a test target compiled with QTNAS_BIN): blocking and
// background runs, and the check of a refusal of bad input. No LibTorch: tests/tiny_artifacts.h makes the files
// that the commands which need a trained supernet read.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "tests/files.h"

namespace qtnas::testing {

struct CliResult {
  int code = -1;
  std::string out, err;
};

// Runs a shell command to completion, its output captured in files of `dir`.
inline CliResult run_command(const std::filesystem::path& dir, const std::string& command) {
  static int n = 0;
  const auto out = dir / fmt::format("out{}", n), err = dir / fmt::format("err{}", n);
  ++n;
  const int status = std::system((command + " >" + out.string() + " 2>" + err.string()).c_str());
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, read_file(out), read_file(err)};
}

// Runs `qtnas args` to completion (run_command), with `env` ("NAME=value ...") added to its environment.
inline CliResult run_qtnas(const std::filesystem::path& dir, const std::string& args, const std::string& env = "") {
  return run_command(dir, (env.empty() ? "" : "env " + env + " ") + std::string(QTNAS_BIN) + " " + args);
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

// Bad input as `main` reports it: exit code 2 and exactly one line on stderr, which contains every string in
// `parts`. `context` (the command, say) is printed with any failure.
inline void expect_bad_input(const CliResult& r, const std::vector<std::string>& parts, const std::string& context) {
  EXPECT_EQ(r.code, 2) << context << "\n" << r.err;
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << context << "\n" << r.err;
  for (const std::string& part : parts) {
    EXPECT_NE(r.err.find(part), std::string::npos) << context << "\n'" << part << "' not in: " << r.err;
  }
}

}  // namespace qtnas::testing
