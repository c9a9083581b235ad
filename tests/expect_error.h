// GoogleTest helpers shared by the test files: a call that must throw qtnas::Error (bad input) or
// qtnas::InternalError (a broken invariant: a caller's bug), with a message naming the problem.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "space/error.h"

namespace qtnas::testing {

// Expects `fn` to throw an `E` whose message contains every string in `parts` (and is one line if asked).
// Another exception type propagates, and fails the test.
template <typename E, typename Fn>
void expect_throw_of(Fn fn, const std::vector<std::string>& parts, const char* type_name, bool one_line) {
  try {
    fn();
    ADD_FAILURE() << "no " << type_name << " thrown; expected one mentioning '" << (parts.empty() ? "" : parts[0]) << "'";
  } catch (const E& e) {
    const std::string message = e.what();
    if (one_line) {
      EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    }
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
  }
}

// Expects `fn` to throw qtnas::Error whose message is one line and contains every string in `parts`.
template <typename Fn>
void expect_error(Fn fn, const std::vector<std::string>& parts) {
  expect_throw_of<Error>(fn, parts, "qtnas::Error", /*one_line=*/true);
}

// Expects `fn` to throw qtnas::InternalError (which is no qtnas::Error: it is no bad input) whose message
// contains every string in `parts`.
template <typename Fn>
void expect_internal_error(Fn fn, const std::vector<std::string>& parts) {
  expect_throw_of<InternalError>(fn, parts, "qtnas::InternalError", /*one_line=*/false);
}

}  // namespace qtnas::testing
