// Options from an INI config file. Keys before any section apply to every subcommand that has such an option;
// keys in a [name] section only to subcommand `name`. Values on the command line win over the file.
//
//   seed = 3            # any subcommand with --seed
//   [data]
//   task = tsv
#pragma once

#include <string>

#include <boost/program_options.hpp>

namespace qtnas::cli {

// Stores the file's values for `command` into vm (which already holds the command line). Throws qtnas::Error
// naming file and line for a missing file, a malformed line, a key in the [command] section that the command
// does not have, or a top-level key that no subcommand has (known_anywhere says which keys exist).
void store_config_file(const std::string& path, const std::string& command,
                       const boost::program_options::options_description& desc,
                       const std::function<bool(const std::string&)>& known_anywhere,
                       boost::program_options::variables_map& vm);

// The effective configuration of `command` as an INI [command] section, every option with its value.
std::string dump_config(const std::string& command, const boost::program_options::options_description& desc,
                        const boost::program_options::variables_map& vm);

}  // namespace qtnas::cli
