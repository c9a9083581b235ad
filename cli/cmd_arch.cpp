// `qtnas arch`: print random archs of the space, or check one arch string, with sizes and ids.
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common_options.h"
#include "space/error.h"
#include "space/space_json.h"

namespace qtnas::cli {
namespace {

int run_arch(const po::variables_map& vm) {
  const SearchSpace space(space_config_from(vm, vm["num-classes"].as<int>(), seq_len_from(vm, nullptr)));
  const int modes = int(vm.count("random")) + int(vm.count("check")) + int(vm.count("largest")) +
                    int(vm.count("smallest"));
  QTNAS_CHECK(modes == 1, "qtnas arch needs exactly one of --random N, --check STR, --largest, --smallest");

  std::vector<nlohmann::json> rows;
  if (vm.count("random")) {
    const int n = vm["random"].as<int>();
    QTNAS_CHECK(n >= 1, "--random must be at least 1, got {}", n);
    Rng rng(vm["seed"].as<uint64_t>());
    for (int i = 0; i < n; ++i) rows.push_back(arch_row(space, space.sample(rng)));
  } else if (vm.count("check")) {
    const Arch arch = parse_arch(vm["check"].as<std::string>());
    space.validate(arch);
    rows.push_back(arch_row(space, arch));
  } else {
    const Precision p = parse_precision(vm["precision"].as<std::string>());
    rows.push_back(arch_row(space, vm.count("largest") ? space.largest(p) : space.smallest(p)));
  }

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

Command arch_command() {
  return {"arch", "print random archs of the search space, or check an arch string",
          [](po::options_description& desc) {
            desc.add_options()
                ("random", po::value<int>(), "print N random archs")
                ("seed", po::value<uint64_t>()->default_value(0), "random seed for --random")
                ("check", po::value<std::string>(), "validate this arch string against the space")
                ("largest", "print the largest arch")
                ("smallest", "print the smallest arch")
                ("precision", po::value<std::string>()->default_value("fp32"), "precision for --largest/--smallest")
                ("num-classes", po::value<int>()->default_value(SpaceConfig{}.num_classes), "classifier outputs")
                ("json", po::bool_switch(), "machine-readable output");
            add_space_options(desc);
            add_dims_options(desc);
          },
          run_arch, /*positional=*/""};
}

}  // namespace qtnas::cli
