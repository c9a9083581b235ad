// A GoogleTest helper shared by the test files: expects a call to throw qtnas::Error with a one-line message.
#pragma once

#include <gtest/gtest.h>

#include <initializer_list>
#include <string>

#include "space/error.h"

namespace qtnas::testing {

// Expects `fn` to throw qtnas::Error whose one-line message contains every string in `parts`.
template <typename Fn>
void expect_error(Fn fn, std::initializer_list<const char*> parts) {
  try {
    fn();
    FAIL() << "no error thrown";
  } catch (const Error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    for (const char* part : parts) EXPECT_NE(message.find(part), std::string::npos) << message << " lacks " << part;
  }
}

}  // namespace qtnas::testing
