// `qtnas data`: load a task, train (or reuse) its tokenizer, and print the splits, class counts and token
// lengths. `qtnas arch`: print random archs of the space, or check one arch string, with sizes and ids.
#include <iostream>
#include <memory>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common_options.h"
#include "space/space_json.h"

namespace qtnas::cli {
namespace {

int run_data(DataJob job, const po::variables_map& vm) {
  job.task_options = task_options_json(vm);
  job.workdir = workdir(vm);
  const DataReport r = run_data_job(job, [](const std::string& line) { std::cerr << line << "\n"; });
  std::cout << (vm["json"].as<bool>() ? to_json(r).dump(2) + "\n" : describe(r));
  return 0;
}

int run_arch(SpaceConfig options, const ArchQuery& query, const po::variables_map& vm) {
  options.max_seq_len = parse_seq_len(vm["seq-len"].as<std::string>(), nullptr, SpaceConfig{}.max_seq_len);
  const SearchSpace space(options);  // validated, and its lists sorted
  const std::vector<nlohmann::json> rows = arch_rows(space, query);
  if (vm["json"].as<bool>()) {
    nlohmann::json out = {{"space_hash", space.hash_hex()},
                          {"log10_archs", space.log10_cardinality()},
                          {"archs", rows}};
    std::cout << out.dump(2) << "\n";
  } else {
    std::cerr << fmt::format("space {} ({}): 10^{:.1f} archs\n", space.hash_hex(), to_string(space.config()),
                             space.log10_cardinality());
    std::cout << arch_table(rows);
  }
  return 0;
}

}  // namespace

Command data_command() {
  return {"data", "load a task, train its tokenizer, print splits, classes and token lengths",
          [](po::options_description& desc) -> Run {
            auto job = std::make_shared<DataJob>();
            add_task_options(desc);
            add_dims_options(desc, &job->vocab_size, &job->seq_len);
            desc.add_options()
                ("no-baseline", negated(&job->baseline),
                 "skip the TF-IDF SVM baseline (computed once per task, cached)")
                ("write-split", po::value(&job->write_split),
                 "write the task's split to DIR/train.jsonl, val.jsonl, test.jsonl ({\"text\", \"label\"} lines)")
                ("json", po::bool_switch(), "machine-readable output");
            return [job](const po::variables_map& vm) { return run_data(*job, vm); };
          }};
}

Command arch_command() {
  return {"arch", "print random archs of the search space, or check an arch string",
          [](po::options_description& desc) -> Run {
            auto space = std::make_shared<SpaceConfig>(default_space());
            auto query = std::make_shared<ArchQuery>();
            desc.add_options()
                ("random", optional(&query->random), "print N random archs")
                ("seed", bound(&query->seed), "random seed for --random")
                ("check", optional(&query->check), "validate this arch string against the space")
                ("largest", po::bool_switch(&query->largest), "print the largest arch")
                ("smallest", po::bool_switch(&query->smallest), "print the smallest arch")
                ("precision", parsed(&query->precision, parse_precision, to_string(query->precision)),
                 "precision for --largest/--smallest")
                ("num-classes", bound(&space->num_classes), "classifier outputs")
                ("json", po::bool_switch(), "machine-readable output");
            add_space_options(desc, space.get());
            add_dims_options(desc, &space->vocab_size);
            return [space, query](const po::variables_map& vm) { return run_arch(*space, *query, vm); };
          }};
}

}  // namespace qtnas::cli
