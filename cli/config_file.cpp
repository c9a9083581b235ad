#include "cli/config_file.h"

#include <fstream>
#include <set>

#include <fmt/format.h>

#include "space/error.h"

namespace qtnas::cli {
namespace po = boost::program_options;
namespace {

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// Options that steer the program itself rather than configure the work; never read from or dumped to a file.
bool is_meta_option(const std::string& key) { return key == "help" || key == "config" || key == "dump-config"; }

std::string value_text(const boost::any& value) {
  if (value.empty()) return "";
  if (auto v = boost::any_cast<std::string>(&value)) return *v;
  if (auto v = boost::any_cast<int>(&value)) return std::to_string(*v);
  if (auto v = boost::any_cast<int64_t>(&value)) return std::to_string(*v);
  if (auto v = boost::any_cast<uint64_t>(&value)) return std::to_string(*v);
  if (auto v = boost::any_cast<double>(&value)) return fmt::format("{}", *v);
  if (auto v = boost::any_cast<bool>(&value)) return *v ? "true" : "false";
  if (auto v = boost::any_cast<std::vector<std::string>>(&value)) return fmt::format("{}", fmt::join(*v, " "));
  return "?";
}

}  // namespace

void store_config_file(const std::string& path, const std::string& command, const po::options_description& desc,
                       const std::function<bool(const std::string&)>& known_anywhere, po::variables_map& vm) {
  std::ifstream in(path);
  QTNAS_CHECK(in.good(), "cannot open config file '{}'", path);
  po::parsed_options parsed(&desc);
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
    const bool ours = desc.find_nothrow(key, false) != nullptr;
    if (!ours) {
      QTNAS_CHECK(section.empty(), "{}:{}: 'qtnas {}' has no option '{}'", path, line_no, command, key);
      QTNAS_CHECK(known_anywhere(key), "{}:{}: no qtnas subcommand has an option '{}'", path, line_no, key);
      continue;
    }
    // A key in the command's own section overrides the same key at the top of the file.
    if (!section.empty()) {
      for (auto it = parsed.options.begin(); it != parsed.options.end();) {
        it = it->string_key == key ? parsed.options.erase(it) : it + 1;
      }
    } else if (seen.count(key)) {
      QTNAS_FAIL("{}:{}: '{}' is set twice", path, line_no, key);
    }
    seen.insert(key);
    po::option option(key, {value});
    option.original_tokens = {key, value};
    parsed.options.push_back(option);
  }
  try {
    po::store(parsed, vm);
  } catch (const po::error& e) {
    QTNAS_FAIL("config file '{}': {}", path, e.what());
  }
}

std::string dump_config(const std::string& command, const po::options_description& desc,
                        const po::variables_map& vm) {
  std::string out = fmt::format("[{}]\n", command);
  for (const auto& option : desc.options()) {
    const std::string& key = option->long_name();
    if (is_meta_option(key)) continue;
    const auto it = vm.find(key);
    if (it == vm.end()) {
      out += fmt::format("# {} =\n", key);  // no default: unset
    } else {
      out += fmt::format("{} = {}\n", key, value_text(it->second.value()));
    }
  }
  return out;
}

}  // namespace qtnas::cli
