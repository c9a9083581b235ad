#include "space/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

namespace qtnas {

std::string format_duration(double seconds) {
  const int64_t s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}h{:02}m", s / 3600, (s % 3600) / 60);
  if (s >= 60) return fmt::format("{}m{:02}s", s / 60, s % 60);
  return fmt::format("{}s", s);
}

Progress::Progress(std::string what, int64_t total, int64_t already_done)
    : what_(std::move(what)),
      total_(total),
      start_done_(already_done),
      tty_(isatty(STDERR_FILENO)),
      start_(std::chrono::steady_clock::now()),
      last_print_(start_) {}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

void Progress::update(int64_t done, const std::string& note) {
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_print_).count();
  if (since < (tty_ ? 1.0 : 10.0) && done < total_) return;
  last_print_ = now;
  print(done, note, false);
}

void Progress::finish(const std::string& note) { print(total_, note, true); }

void Progress::print(int64_t done, const std::string& note, bool final) {
  const double elapsed = elapsed_seconds();
  const int64_t here = done - start_done_;
  std::string line;
  if (final) {
    line = fmt::format("{}: done {}/{} in {}", what_, done, total_, format_duration(elapsed));
  } else {
    const double rate = here > 0 ? here / elapsed : 0;
    const std::string eta = rate > 0 ? format_duration((total_ - done) / rate) : "?";
    line = fmt::format("{}: {}/{} ({:.0f}%) {:.2f}/s ETA {}", what_, done, total_, 100.0 * done / total_, rate, eta);
  }
  if (!note.empty()) line += "  " + note;
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s%s", line.c_str(), final ? "\n" : "");
  } else {
    std::fprintf(stderr, "%s\n", line.c_str());
  }
  std::fflush(stderr);
}

}  // namespace qtnas
