// Progress of long work on stderr: done/total, rate, ETA, and a caller's note; at most one line per second
// (redrawn in place on a terminal, a new line every 10 s otherwise, e.g. in CI logs).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace qtnas {

class Progress {
 public:
  Progress(std::string what, int64_t total, int64_t already_done = 0);
  void update(int64_t done, const std::string& note = "");
  // Ends the line (on a terminal) and prints the total time.
  void finish(const std::string& note = "");
  double elapsed_seconds() const;

 private:
  void print(int64_t done, const std::string& note, bool final);

  std::string what_;
  int64_t total_, start_done_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_print_;
};

std::string format_duration(double seconds);  // "1h02m", "3m07s", "12s"

}  // namespace qtnas
