// qtnas: the command-line entry point. Parses `qtnas <subcommand> [options]`, merges the config file, and runs
// the subcommand. The only place that catches every exception: one line on stderr, exit code 2 for bad input.
#include <iostream>

#include <fmt/format.h>

#include "cli/command.h"
#include "cli/config_file.h"
#include "space/error.h"
#include "supernet/machine.h"

namespace qtnas::cli {
namespace {

constexpr int kBadInput = 2;

void print_usage(std::ostream& out) {
  out << "qtnas: search fast, small and accurate quantized transformer encoders\n\n"
      << "usage: qtnas <subcommand> [options]     (qtnas <subcommand> --help for its options)\n\n"
      << "subcommands:\n";
  for (const auto& c : commands()) out << fmt::format("  {:<10} {}\n", c.name, c.summary);
  out << "\nEvery subcommand also takes --config FILE (INI: top-level keys, or a [subcommand] section) and\n"
      << "--dump-config (print the effective configuration and exit).\n";
}

po::options_description make_options(const Command& command) {
  po::options_description desc(fmt::format("qtnas {} options", command.name));
  desc.add_options()
      ("help,h", "show this help")
      ("config", po::value<std::string>(), "read options from this INI file (the command line wins)")
      ("dump-config", "print the effective configuration as INI and exit");
  command.add_options(desc);
  return desc;
}

bool known_in_any_command(const std::string& key) {
  for (const auto& c : commands()) {
    if (make_options(c).find_nothrow(key, false)) return true;
  }
  return false;
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

  const po::options_description desc = make_options(*command);
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
    store_config_file(vm["config"].as<std::string>(), name, desc, known_in_any_command, vm);
  }
  try {
    po::notify(vm);
  } catch (const po::error& e) {
    QTNAS_FAIL("qtnas {}: {}", name, e.what());
  }
  if (vm.count("dump-config")) {
    std::cout << dump_config(name, desc, vm);
    return 0;
  }
  return command->run(vm);
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
