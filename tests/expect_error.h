// GoogleTest helpers shared by the test files: a call that must throw qtnas::Error (bad input) or
// qtnas::InternalError (a broken invariant: a caller's bug), with a message naming the problem.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "space/error.h"

namespace qtnas::testing {

// Expects `fn` to throw qtnas::Error whose message is one line and contains every string in `parts`.
template <typename Fn>
void expect_error(Fn fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no qtnas::Error thrown; expected one mentioning '" << (parts.empty() ? "" : parts[0]) << "'";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
  }
}

// Expects `fn` to throw qtnas::InternalError (and not qtnas::Error: it is no bad input) whose message contains
// every string in `parts`.
template <typename Fn>
void expect_internal_error(Fn fn, const std::vector<std::string>& parts) {
  try {
    fn();
    ADD_FAILURE() << "no qtnas::InternalError thrown; expected one mentioning '" << (parts.empty() ? "" : parts[0]) << "'";
  } catch (const InternalError& e) {
    const std::string message = e.what();
    for (const std::string& part : parts) {
      EXPECT_NE(message.find(part), std::string::npos) << "'" << part << "' not in: " << message;
    }
  }
}

}  // namespace qtnas::testing
