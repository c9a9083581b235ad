// The config file of the `qtnas` command (`--config FILE`): INI, one `key = value` a line, comments from `#`
// or `;`. Keys before any section apply to every subcommand that has such an option; keys in a [name] section
// only to subcommand `name`, where they override the same key at the top. The command line wins over the
// file: its caller stores these settings after the command line's. `--dump-config` writes one section back.
//
//   seed = 3            # any subcommand with --seed
//   [data]
//   task = tsv
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace qtnas {

// Options that steer the program rather than configure the work; never read from or written to a file.
bool is_meta_option(const std::string& key);

struct ConfigSetting {
  std::string key, value;
};

// The settings of the file at `path` for subcommand `command`, each key once, in the order they apply.
// `has_option` says whether the command has an option, `known_anywhere` whether any subcommand has. Throws
// qtnas::Error naming file and line for a missing file, a malformed line, a meta option, a key set twice at
// the top, a key in the [command] section that the command does not have, or a top-level key that no
// subcommand has.
std::vector<ConfigSetting> read_config_file(const std::string& path, const std::string& command,
                                            const std::function<bool(const std::string&)>& has_option,
                                            const std::function<bool(const std::string&)>& known_anywhere);

// A [command] section with every option and its value, in the order given; an option without a value (no
// default, not set) as a commented-out `# key =`.
std::string config_section(const std::string& command,
                           const std::vector<std::pair<std::string, std::optional<std::string>>>& options);

}  // namespace qtnas
