#include "cli/command.h"

namespace qtnas::cli {

const std::vector<Command>& commands() {
  // In the order of the data flow: data -> supernet -> latency -> search -> runs -> export.
  static const std::vector<Command> all = {data_command(),    arch_command(),    pretrain_command(), train_command(),
                                           eval_command(),    profile_command(), search_command(),
                                           resume_command(),  worker_command(),  score_command(),   front_command(),
                                           plot_command(),    export_command(),  predict_command()};
  return all;
}

}  // namespace qtnas::cli
