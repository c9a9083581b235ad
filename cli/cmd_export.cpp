// `qtnas export` and `qtnas predict`: the chosen subnet of a run (or any arch of a supernet) saved as a
// deployable TorchScript checkpoint, re-measured and re-evaluated from the saved file itself; and that file used
// to label texts.
#include <torch/torch.h>

#include <iostream>
#include <memory>
#include <optional>

#include "cli/command.h"
#include "cli/common_options.h"
#include "export/package.h"
#include "runs/export_job.h"
#include "runs/final_choice.h"
#include "space/error.h"
#include "space/progress.h"
#include "supernet/machine.h"

namespace qtnas::cli {
namespace {

ExportSource source_from(const po::variables_map& vm) {
  QTNAS_CHECK(vm.count("db") + vm.count("arch") == 1,
              "give a run (--db RUN.sqlite) or an arch (--supernet CKPT --arch A)");
  if (vm.count("db")) {
    RunStore store(vm["db"].as<std::string>(), RunStore::Mode::Read);
    QTNAS_CHECK(vm.count("id") + vm.count("best-under-ms") + vm["best"].as<bool>() == 1,
                "give exactly one of --id N, --best-under-ms X and --best");
    const CandidateRecord chosen = export_choice(
        store, optional_value<int64_t>(vm, "id"),
        optional_value<double>(vm, "best-under-ms"));
    return export_source_from_run(store, chosen);
  }
  QTNAS_CHECK(vm.count("supernet") && !vm.count("id") && !vm.count("best-under-ms") && !vm["best"].as<bool>(),
              "--arch exports an arch of --supernet CKPT; --id, --best-under-ms and --best choose from a run (--db)");
  return export_source_from_supernet(vm["supernet"].as<std::string>(), task_options_json(vm),
                                     vm["arch"].as<std::string>(),
                                     vm["batch"].as<int>(), optional_value<int>(vm, "seq"));
}

int run_export(const ExportOptions& options, const po::variables_map& vm) {
  set_threads(vm);
  set_openblas_single_threaded();
  ExportSource source = source_from(vm);
  std::optional<Progress> progress;  // of a fine-tune
  FinetuneCallbacks callbacks;
  callbacks.on_note = [](const std::string& note) { std::cerr << note << "\n"; };
  callbacks.on_start = [&](int64_t first_step, int64_t steps) { progress.emplace("finetune", steps, first_step); };
  callbacks.on_step = [&](const TrainStatus& s) { progress->update(s.step, fmt::format("loss {:.3f}", s.loss)); };
  const ExportResult result = export_subnet(source, options, callbacks);
  if (progress) progress->finish();
  std::cout << (vm["json"].as<bool>() ? result.report.dump(2) + "\n" : describe(source, result));
  return 0;
}

int run_predict(const po::variables_map& vm) {
  set_threads(vm);
  LoadedModel model = load_model(vm["model"].as<std::string>());
  const std::vector<Example> inputs =
      prediction_inputs(optional_value<std::vector<std::string>>(vm, "text").value_or(std::vector<std::string>()),
                        optional_value<std::string>(vm, "input").value_or(""), model.meta.pairs);
  const std::vector<Prediction> predictions = predict(model, inputs);
  std::cout << (vm["json"].as<bool>() ? to_json(inputs, predictions, model.meta.pairs).dump(2) + "\n"
                                      : to_lines(inputs, predictions, model.meta.pairs));
  return 0;
}

}  // namespace

Command export_command() {
  return {"export", "save a run's chosen subnet as a deployable TorchScript checkpoint, re-measured and re-evaluated",
          [](po::options_description& desc) -> Run {
            auto options = std::make_shared<ExportOptions>();
            desc.add_options()
                ("db", po::value<std::string>(), "run database (or --supernet and --arch)")
                ("supernet", po::value<std::string>(), "supernet checkpoint, to export --arch")
                ("arch", po::value<std::string>(), "arch string to export from --supernet, or 'largest' / 'smallest'")
                ("batch", po::value<int>()->default_value(MeasureConfig{}.batch),
                 "with --arch: examples per forward of the latency measurement")
                ("seq", po::value<int>(), "with --arch: tokens per example of the latency measurement (default: the "
                 "supernet's sequence length)")
                ("id", po::value<int64_t>(), "candidate id (see qtnas front)")
                ("best-under-ms", po::value<double>(),
                 "the final choice within this latency instead of the run's budget")
                ("best", po::bool_switch(), "the most accurate front member within the run's budget")
                ("out", required(&options->out), "model file to write")
                ("rounds", bound(&options->rounds), "timed repetitions of the latency re-measurement (at most)")
                ("no-evaluate", negated(&options->evaluate),
                 "save and re-measure only: no accuracy on validation and test")
                ("finetune-steps", bound(&options->finetune_steps),
                 "train the arch alone this many steps first, distilled from the largest subnet (0: inherited weights)")
                ("finetune-lr", bound(&options->finetune_lr), "peak learning rate of the fine-tune");
            add_output_options(desc);
            add_task_options(desc);
            return [options](const po::variables_map& vm) { return run_export(*options, vm); };
          }};
}

Command predict_command() {
  return {"predict", "label texts with an exported model",
          [](po::options_description& desc) -> Run {
            desc.add_options()
                ("model", po::value<std::string>()->required(), "exported model (qtnas export)")
                ("text", po::value<std::vector<std::string>>(), "texts to label (also as bare arguments; two by two "
                 "for a pair model)")
                ("input", po::value<std::string>(),
                 "file with one text per line ('first<TAB>second' for a pair model)");
            add_output_options(desc);
            return run_predict;
          },
          "text"};
}

}  // namespace qtnas::cli
