// `qtnas eval`: accuracy, loss, params and size of one subnet of a trained supernet, with the export's numerics.
#include <torch/torch.h>

#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/command.h"
#include "cli/common_options.h"
#include "data/baseline.h"
#include "export/module_accuracy.h"
#include "export/subnet_module.h"
#include "space/error.h"
#include "space/hash.h"
#include "supernet/checkpoint.h"
#include "supernet/evaluate.h"
#include "supernet/task.h"

namespace qtnas::cli {
namespace {

int run_eval(const po::variables_map& vm) {
  set_threads(vm);
  const std::string path = vm["supernet"].as<std::string>();
  LoadedCheckpoint ckpt = load_checkpoint(path);
  const SearchSpace& space = ckpt.net->space();
  const Arch arch = space.arch_named(vm["arch"].as<std::string>());

  const Tokenizer tokenizer = load_training_tokenizer(path, ckpt.meta);
  const Dataset data = load_task(vm);
  check_task_labels(data, ckpt.meta, path);
  const std::string split_name = vm["split"].as<std::string>();
  QTNAS_CHECK(split_name == "val" || split_name == "test", "--split must be val or test, got '{}'", split_name);
  const auto& examples = split_name == "val" ? data.val : data.test;
  const EncodedSplit split = encode_split(examples, tokenizer, space.config().max_seq_len);

  const int batch_size = vm["batch-size"].as<int>();
  const size_t limit = vm["limit"].as<size_t>();
  const EvalResult r = evaluate(ckpt.net, split, arch, batch_size, limit);
  const ArchSize size = space.size(arch);
  nlohmann::json deployed;
  if (vm["compare-deployed"].as<bool>()) {
    // The deployable module on the very batches the supernet was evaluated on.
    torch::jit::Module module = build_subnet_module(ckpt.net, arch);
    const ModuleAgreement a = compare_with_supernet(module, ckpt.net, arch, split, batch_size, limit);
    deployed = {{"accuracy", a.accuracy}, {"max_logit_diff", a.max_logit_diff}};
  }
  // The baseline beside the accuracy, when the whole split was evaluated (it is cached beside the supernet).
  std::optional<BaselineResult> baseline;
  std::string why = "not computed (--no-baseline)";
  const bool with_baseline = limit == 0 && !vm["no-baseline"].as<bool>();
  if (with_baseline) baseline = tfidf_svm_baseline(data, std::filesystem::path(path).parent_path().string(), &why);
  if (vm["json"].as<bool>()) {
    nlohmann::json out = {{"arch", to_string(arch)},   {"id", hash_hex(arch_id(arch))}, {"split", split_name},
                          {"examples", r.examples},    {"accuracy", r.accuracy},        {"loss", r.loss},
                          {"params", size.params},     {"size_bytes", size.size_bytes}};
    if (!deployed.is_null()) out["deployed"] = deployed;
    if (with_baseline) out["baseline"] = to_json(baseline, why);
    std::cout << out.dump(2) << "\n";
  } else {
    std::cout << fmt::format("{} accuracy {:.2f}% loss {:.4f} on {} examples; params {} size_bytes {}\n  {}\n",
                             split_name, 100 * r.accuracy, r.loss, r.examples, size.params, size.size_bytes,
                             to_string(arch));
    if (with_baseline) std::cout << describe(baseline, why) << "\n";
    if (!deployed.is_null()) {
      std::cout << fmt::format("deployed module: accuracy {:.2f}%, largest logit difference {:.2e}\n",
                               100 * deployed["accuracy"].get<double>(), deployed["max_logit_diff"].get<double>());
    }
  }
  return 0;
}

}  // namespace

Command eval_command() {
  return {"eval", "evaluate one subnet of a trained supernet (accuracy, loss, params, size)",
          [](po::options_description& desc) {
            desc.add_options()
                ("supernet", po::value<std::string>()->required(), "supernet checkpoint")
                ("arch", po::value<std::string>()->required(), "arch string, or 'largest' / 'smallest'")
                ("split", po::value<std::string>()->default_value("val"), "val or test")
                ("limit", po::value<size_t>()->default_value(0), "first N examples of the split (0: all)")
                ("batch-size", po::value<int>()->default_value(64), "examples per batch")
                ("compare-deployed", po::bool_switch(),
                 "also run the deployable module on the same batches and compare")
                ("threads", po::value<int>()->default_value(0), "LibTorch threads (0: all cores)")
                ("no-baseline", po::bool_switch(), "skip the TF-IDF SVM baseline beside the accuracy")
                ("json", po::bool_switch(), "machine-readable output");
            add_task_options(desc);
          },
          run_eval, /*positional=*/""};
}

}  // namespace qtnas::cli
