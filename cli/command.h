// The subcommand framework of the `qtnas` executable: each subcommand declares its options and a run function;
// cli/main.cpp parses the command line and the config file and dispatches. Library code never sees Boost.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <boost/program_options.hpp>

namespace qtnas::cli {

namespace po = boost::program_options;

struct Command {
  std::string name;
  std::string summary;  // one line, shown by `qtnas --help`
  std::function<void(po::options_description&)> add_options;
  std::function<int(const po::variables_map&)> run;  // returns the exit code
  std::string positional;  // the option that collects bare arguments (e.g. predict's texts), if any
};

// The registered subcommands, in the order `qtnas --help` lists them.
const std::vector<Command>& commands();

// Subcommands (one file each in cli/).
Command data_command();
Command arch_command();
Command pretrain_command();
Command train_command();
Command eval_command();
Command profile_command();
Command search_command();
Command resume_command();
Command score_command();
Command worker_command();
Command front_command();
Command plot_command();
Command export_command();
Command predict_command();

}  // namespace qtnas::cli
