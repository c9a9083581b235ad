#include "space/json_text.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "space/error.h"

namespace qtnas {

nlohmann::json parse_json_text(const std::string& text, const std::string& where) {
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    // Drop nlohmann's "[json.exception.parse_error.101] " tag: the reader wants the position and the cause.
    std::string cause = e.what();
    if (const size_t tag_end = cause.find("] "); cause.rfind("[json.exception", 0) == 0 && tag_end != std::string::npos)
      cause.erase(0, tag_end + 2);
    QTNAS_FAIL("{}: not valid JSON: {}", where, cause);
  }
}

nlohmann::json parse_json_file(const std::string& path, const std::string& what) {
  // Opening a directory succeeds on Linux and reads nothing: it would pass for an empty, truncated file.
  std::error_code ec;
  QTNAS_CHECK(!std::filesystem::is_directory(path, ec), "cannot open {} '{}': Is a directory", what, path);
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    QTNAS_FAIL("cannot open {} '{}': {}", what, path, err != 0 ? std::strerror(err) : "unreadable");
  }
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  QTNAS_CHECK(!in.bad(), "cannot read {} '{}'", what, path);
  return parse_json_text(text, fmt::format("{} '{}'", what, path));
}

}  // namespace qtnas
