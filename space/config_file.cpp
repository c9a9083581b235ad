#include "space/config_file.h"

#include <algorithm>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "space/error.h"

namespace qtnas {
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

}  // namespace

bool is_meta_option(const std::string& key) { return key == "help" || key == "config" || key == "dump-config"; }

std::vector<ConfigSetting> read_config_file(const std::string& path, const std::string& command,
                                            const std::function<bool(const std::string&)>& has_option,
                                            const std::function<bool(const std::string&)>& known_anywhere) {
  std::ifstream in(path);
  QTNAS_CHECK(in.good(), "cannot open config file '{}'", path);
  std::vector<ConfigSetting> settings;
  std::string section, line;
  std::set<std::string> seen;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    const auto comment = line.find_first_of("#;");
    line = trim(comment == std::string::npos ? line : line.substr(0, comment));
    if (line.empty()) continue;
    if (line.front() == '[') {
      QTNAS_CHECK(line.back() == ']' && line.size() > 2, "{}:{}: malformed section header '{}'", path, line_no, line);
      section = trim(line.substr(1, line.size() - 2));
      continue;
    }
    const auto eq = line.find('=');
    QTNAS_CHECK(eq != std::string::npos, "{}:{}: expected 'key = value', found '{}'", path, line_no, line);
    const std::string key = trim(line.substr(0, eq));
    const std::string value = trim(line.substr(eq + 1));
    QTNAS_CHECK(!key.empty(), "{}:{}: empty key", path, line_no);
    QTNAS_CHECK(!is_meta_option(key), "{}:{}: '{}' cannot be set in a config file", path, line_no, key);
    if (!section.empty() && section != command) continue;
    if (!has_option(key)) {
      QTNAS_CHECK(section.empty(), "{}:{}: 'qtnas {}' has no option '{}'", path, line_no, command, key);
      QTNAS_CHECK(known_anywhere(key), "{}:{}: no qtnas subcommand has an option '{}'", path, line_no, key);
      continue;
    }
    if (!section.empty()) {  // the command's own section overrides the top of the file
      settings.erase(std::remove_if(settings.begin(), settings.end(),
                                    [&](const ConfigSetting& s) { return s.key == key; }),
                     settings.end());
    } else if (seen.count(key)) {
      QTNAS_FAIL("{}:{}: '{}' is set twice", path, line_no, key);
    }
    seen.insert(key);
    settings.push_back({key, value});
  }
  return settings;
}

std::string config_section(const std::string& command,
                           const std::vector<std::pair<std::string, std::optional<std::string>>>& options) {
  std::string out = fmt::format("[{}]\n", command);
  for (const auto& [key, value] : options) {
    out += value ? fmt::format("{} = {}\n", key, *value) : fmt::format("# {} =\n", key);
  }
  return out;
}

}  // namespace qtnas
