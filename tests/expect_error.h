// A GoogleTest helper shared by the test files: expects a call to throw qtnas::Error with a one-line message.
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

}  // namespace qtnas::testing
