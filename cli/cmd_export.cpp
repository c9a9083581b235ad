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
#include "space/progress.h"

namespace qtnas::cli {
namespace {

int run_export(ExportRequest request, const ExportOptions& options, const po::variables_map& vm) {
  set_measuring_threads(vm);
  request.task_options = task_options_json(vm);
  ExportSource source = export_source(request);
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

// What predict's options name: the model, and the texts to label (prediction_inputs says how).
struct PredictArgs {
  std::string model;
  std::vector<std::string> texts;
  std::string file;  // '': none
};

int run_predict(const PredictArgs& args, const po::variables_map& vm) {
  set_threads(vm);
  LoadedModel model = load_model(args.model);
  const std::vector<Example> inputs = prediction_inputs(args.texts, args.file, model.meta.pairs);
  const std::vector<Prediction> predictions = predict(model, inputs);
  std::cout << (vm["json"].as<bool>() ? to_json(inputs, predictions, model.meta.pairs).dump(2) + "\n"
                                      : to_lines(inputs, predictions, model.meta.pairs));
  return 0;
}

}  // namespace

Command export_command() {
  return {"export", "save a run's chosen subnet as a deployable TorchScript checkpoint, re-measured and re-evaluated",
          [](po::options_description& desc) -> Run {
            auto request = std::make_shared<ExportRequest>();
            auto options = std::make_shared<ExportOptions>();
            desc.add_options()
                ("db", optional(&request->db), "run database (or --supernet and --arch)")
                ("supernet", optional(&request->supernet), "supernet checkpoint, to export --arch")
                ("arch", optional(&request->arch), "arch string to export from --supernet, or 'largest' / 'smallest'")
                ("batch", bound(&request->batch), "with --arch: examples per forward of the latency measurement")
                ("seq", optional(&request->seq), "with --arch: tokens per example of the latency measurement "
                 "(default: the supernet's sequence length)")
                ("id", optional(&request->id), "candidate id (see qtnas front)")
                ("best-under-ms", optional(&request->best_under_ms),
                 "the final choice within this latency instead of the run's budget")
                ("best", po::bool_switch(&request->best), "the most accurate front member within the run's budget")
                ("out", required(&options->out), "model file to write")
                ("rounds", bound(&options->rounds), "timed repetitions of the latency re-measurement (at most)")
                ("no-evaluate", negated(&options->evaluate),
                 "save and re-measure only: no accuracy on validation and test")
                ("finetune-steps", bound(&options->finetune_steps),
                 "train the arch alone this many steps first, distilled from the largest subnet (0: inherited weights)")
                ("finetune-lr", bound(&options->finetune_lr), "peak learning rate of the fine-tune");
            add_output_options(desc);
            add_task_options(desc);
            return [request, options](const po::variables_map& vm) { return run_export(*request, *options, vm); };
          }};
}

Command predict_command() {
  return {"predict", "label texts with an exported model",
          [](po::options_description& desc) -> Run {
            auto args = std::make_shared<PredictArgs>();
            desc.add_options()
                ("model", required(&args->model), "exported model (qtnas export)")
                ("text", po::value(&args->texts),
                 "texts to label (also as bare arguments; two by two for a pair model)")
                ("input", po::value(&args->file), "file with one text per line ('first<TAB>second' for a pair model)");
            add_output_options(desc);
            return [args](const po::variables_map& vm) { return run_predict(*args, vm); };
          },
          "text"};
}

}  // namespace qtnas::cli
