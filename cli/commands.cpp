#include "cli/command.h"

namespace qtnas::cli {

const std::vector<Command>& commands() {
  // The data flow order: data -> (supernet -> latency -> search -> export, in later subcommands).
  static const std::vector<Command> all = {data_command(), arch_command(), train_command(), eval_command(), profile_command()};
  return all;
}

}  // namespace qtnas::cli
