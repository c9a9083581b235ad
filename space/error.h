// The one exception type of qtnas and a check macro. An Error means the input was bad (a file, an option,
// an arch string): `main` prints its message on one line and exits with code 2.
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace qtnas {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace qtnas

// QTNAS_CHECK(cond, "fmt {}", args...): throws qtnas::Error with the formatted message when cond is false.
#define QTNAS_CHECK(cond, ...)                                   \
  do {                                                           \
    if (!(cond)) throw ::qtnas::Error(::fmt::format(__VA_ARGS__)); \
  } while (0)

// QTNAS_FAIL("fmt {}", args...): throws qtnas::Error unconditionally.
#define QTNAS_FAIL(...) throw ::qtnas::Error(::fmt::format(__VA_ARGS__))
