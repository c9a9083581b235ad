// qtnas: the command-line entry point. Parses `qtnas <subcommand> [options]`, merges the config file, and runs
// the subcommand. The only place that catches every exception: one line on stderr, exit code 2 for bad input.
#include <iostream>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "cli/command.h"
#include "space/config_file.h"
#include "space/error.h"
#include "supernet/machine.h"

namespace qtnas::cli {
namespace {

constexpr int kBadInput = 2;

const std::vector<Command>& commands() {
  // In the order of the data flow: data -> supernet -> latency -> search -> runs -> export.
  static const std::vector<Command> all = {data_command(),    arch_command(),    pretrain_command(), train_command(),
                                           eval_command(),    profile_command(), search_command(),
                                           resume_command(),  worker_command(),  score_command(),   front_command(),
                                           plot_command(),    export_command(),  predict_command()};
  return all;
}

void print_usage(std::ostream& out) {
  out << "qtnas: search fast, small and accurate quantized transformer encoders\n\n"
      << "usage: qtnas <subcommand> [options]     (qtnas <subcommand> --help for its options)\n\n"
      << "subcommands:\n";
  for (const auto& c : commands()) out << fmt::format("  {:<10} {}\n", c.name, c.summary);
  out << "\nEvery subcommand also takes --config FILE (INI: top-level keys, or a [subcommand] section) and\n"
      << "--dump-config (print the effective configuration and exit).\n";
}

// The command's options, after the meta options every command takes; returns its run.
Run declare(const Command& command, po::options_description& desc) {
  desc.add_options()
      ("help,h", "show this help")
      ("config", po::value<std::string>(), "read options from this INI file (the command line wins)")
      ("dump-config", "print the effective configuration as INI and exit");
  return command.declare(desc);
}

bool known_in_any_command(const std::string& key) {
  for (const auto& c : commands()) {
    po::options_description desc;
    declare(c, desc);
    if (desc.find_nothrow(key, false)) return true;
  }
  return false;
}

// The config file's settings for `command` (space/config_file.h), stored after the command line's values.
void store_config_file(const std::string& path, const Command& command, const po::options_description& desc,
                       po::variables_map& vm) {
  po::parsed_options parsed(&desc);
  const auto has_option = [&](const std::string& key) { return desc.find_nothrow(key, false) != nullptr; };
  for (const ConfigSetting& s : read_config_file(path, command.name, has_option, known_in_any_command)) {
    po::option option(s.key, {s.value});
    option.original_tokens = {s.key, s.value};
    parsed.options.push_back(option);
  }
  try {
    po::store(parsed, vm);
  } catch (const po::error& e) {
    QTNAS_FAIL("config file '{}': {}", path, e.what());
  }
}

// An option's value as the config file writes it; none when it has neither a default nor a value.
std::optional<std::string> value_text(const po::variables_map& vm, const std::string& key) {
  const auto it = vm.find(key);
  if (it == vm.end()) return std::nullopt;  // no default, not set
  const boost::any& value = it->second.value();
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

// --dump-config: the effective configuration of `command` as its config-file section.
std::string dump_config(const Command& command, const po::options_description& desc, const po::variables_map& vm) {
  std::vector<std::pair<std::string, std::optional<std::string>>> options;
  for (const auto& option : desc.options()) {
    const std::string& key = option->long_name();
    if (!is_meta_option(key)) options.emplace_back(key, value_text(vm, key));
  }
  return config_section(command.name, options);
}

int run(int argc, char** argv) {
  if (argc < 2) {
    print_usage(std::cerr);
    return kBadInput;
  }
  const std::string name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    print_usage(std::cout);
    return 0;
  }
  const Command* command = nullptr;
  for (const auto& c : commands()) {
    if (c.name == name) command = &c;
  }
  if (!command) {
    std::string names;
    for (const auto& c : commands()) names += (names.empty() ? "" : ", ") + c.name;
    QTNAS_FAIL("unknown subcommand '{}' (available: {}; see qtnas --help)", name, names);
  }

  po::options_description desc(fmt::format("qtnas {} options", command->name));
  const Run run_command = declare(*command, desc);
  po::variables_map vm;
  try {
    po::positional_options_description positional;
    if (!command->positional.empty()) positional.add(command->positional.c_str(), -1);
    po::store(po::command_line_parser(argc - 1, argv + 1).options(desc).positional(positional).run(), vm);
  } catch (const po::error& e) {
    QTNAS_FAIL("qtnas {}: {} (see qtnas {} --help)", name, e.what(), name);
  }
  if (vm.count("help")) {
    std::cout << desc << "\n";
    return 0;
  }
  if (vm.count("config")) {
    store_config_file(vm["config"].as<std::string>(), *command, desc, vm);
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    QTNAS_FAIL("qtnas {}: {}", name, e.what());
  }
  if (vm.count("dump-config")) {
    std::cout << dump_config(*command, desc, vm);
    return 0;
  }
  return run_command(vm);
}

}  // namespace
}  // namespace qtnas::cli

int main(int argc, char** argv) {
  qtnas::keep_freed_memory_for_reuse();  // steady latencies: see supernet/machine.h
  try {
    return qtnas::cli::run(argc, argv);
  } catch (const qtnas::Error& e) {
    std::string message = e.what();
    for (char& c : message) c = c == '\n' ? ' ' : c;
    std::cerr << "qtnas: error: " << message << "\n";
    return qtnas::cli::kBadInput;
  } catch (const std::exception& e) {
    std::cerr << "qtnas: internal error: " << e.what() << "\n";
    return 1;
  }
}
