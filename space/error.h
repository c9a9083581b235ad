// qtnas's two kinds of failure, kept apart as faiss keeps FAISS_THROW_IF_NOT apart from FAISS_ASSERT:
// - qtnas::Error (QTNAS_CHECK, QTNAS_FAIL): the input was bad (a file, an option, an arch string). `main` prints
//   its message on one line and exits with code 2; the user can fix it.
// - qtnas::InternalError (QTNAS_ASSERT): an invariant of qtnas itself broke, a bug whatever the input. It is not
//   a qtnas::Error, so no handler of bad input swallows it; `main` reports it as an internal error (code 1).
#pragma once

#include <stdexcept>
#include <string>

#include <fmt/format.h>

namespace qtnas {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

class InternalError : public std::logic_error {
 public:
  explicit InternalError(const std::string& message) : std::logic_error(message) {}
};

}  // namespace qtnas

// QTNAS_CHECK(cond, "fmt {}", args...): throws qtnas::Error with the formatted message when cond is false.
#define QTNAS_CHECK(cond, ...)                                   \
  do {                                                           \
    if (!(cond)) throw ::qtnas::Error(::fmt::format(__VA_ARGS__)); \
  } while (0)

// QTNAS_FAIL("fmt {}", args...): throws qtnas::Error unconditionally.
#define QTNAS_FAIL(...) throw ::qtnas::Error(::fmt::format(__VA_ARGS__))

// QTNAS_ASSERT(cond, "fmt {}", args...): throws qtnas::InternalError naming the source line when cond is false.
#define QTNAS_ASSERT(cond, ...)                                                                          \
  do {                                                                                                  \
    if (!(cond))                                                                                        \
      throw ::qtnas::InternalError(::fmt::format("{}:{}: {}", __FILE__, __LINE__, ::fmt::format(__VA_ARGS__))); \
  } while (0)
