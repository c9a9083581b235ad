// The subcommand framework of the `qtnas` executable: each subcommand declares its options, bound where it can
// to the fields of the library structs they fill (cli/common_options.h), and returns the run that uses them.
// cli/main.cpp parses the command line and the config file, stores the values (po::notify) and runs. Library
// code never sees Boost.
#pragma once

#include <functional>
#include <string>

#include <boost/program_options.hpp>

namespace qtnas::cli {

namespace po = boost::program_options;

// A subcommand's work once its options are stored; returns the exit code.
using Run = std::function<int(const po::variables_map&)>;

struct Command {
  std::string name;
  std::string summary;  // one line, shown by `qtnas --help`
  // Adds the options to `desc` and returns the run that reads them: from the fields they are bound to, or from
  // the variables map for those that are not.
  std::function<Run(po::options_description&)> declare;
  std::string positional = "";  // the option that collects bare arguments (e.g. predict's texts), if any
};

// Subcommands, one file for each stage of the data flow: cmd_data (data, arch), cmd_train (pretrain, train, eval),
// cmd_profile, cmd_search (search, resume, worker, score), cmd_front (front, plot), cmd_export (export, predict).
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
