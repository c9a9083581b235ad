// Whitespace rules of the text readers (WordNet's files, the user's TSV/CSV/JSON files): in one place so that
// every reader trims alike.
#pragma once

#include <string_view>

namespace qtnas {

// ASCII whitespace, as <cctype>'s isspace in the C locale (without its locale lookup).
inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

// `s` without leading and trailing whitespace; a view into `s`.
inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace qtnas
