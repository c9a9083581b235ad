// `qtnas export` and `qtnas predict`: the chosen subnet of a run (or any arch of a supernet) saved as a
// deployable TorchScript checkpoint, re-measured and re-evaluated from the saved file itself; and that file used
// to label texts.
#include <torch/torch.h>

#include <iostream>
#include <optional>

#include "cli/command.h"
#include "cli/common_options.h"
#include "cli/progress.h"
#include "export/package.h"
#include "runs/export_job.h"
#include "runs/final_choice.h"
#include "space/error.h"
#include "supernet/machine.h"

namespace qtnas::cli {
namespace {

// --id N, or the run's final choice (runs/final_choice.h) under its budget (--best) or X ms (--best-under-ms X).
CandidateRecord choose(RunStore& store, const po::variables_map& vm) {
  QTNAS_CHECK(vm.count("id") + vm.count("best-under-ms") + vm["best"].as<bool>() == 1,
              "give exactly one of --id N, --best-under-ms X and --best");
  if (vm.count("id")) {
    const int64_t id = vm["id"].as<int64_t>();
    auto c = store.candidate(id);
    QTNAS_CHECK(c && c->ok, "run '{}' has no evaluated candidate with id {}", store.path(), id);
    return *c;
  }
  return final_choice(store, vm.count("best-under-ms") ? std::optional<double>(vm["best-under-ms"].as<double>())
                                                       : std::nullopt);
}

ExportSource source_from(const po::variables_map& vm) {
  QTNAS_CHECK(vm.count("db") + vm.count("arch") == 1, "give a run (--db RUN.sqlite) or an arch (--supernet CKPT --arch A)");
  if (vm.count("db")) {
    RunStore store(vm["db"].as<std::string>(), RunStore::Mode::Read);
    return export_source_from_run(store, choose(store, vm));
  }
  QTNAS_CHECK(vm.count("supernet") && !vm.count("id") && !vm.count("best-under-ms") && !vm["best"].as<bool>(),
              "--arch exports an arch of --supernet CKPT; --id, --best-under-ms and --best choose from a run (--db)");
  return export_source_from_supernet(vm["supernet"].as<std::string>(), task_options_json(vm), vm["arch"].as<std::string>(),
                                     vm["batch"].as<int>(), vm.count("seq") ? std::optional<int>(vm["seq"].as<int>()) : std::nullopt);
}

void print_report(const ExportSource& source, const ExportResult& result) {
  const nlohmann::json& report = result.report;
  const SavedModelCheck& check = result.check;
  const std::optional<FinetuneReport>& finetuned = result.finetuned;
  const std::optional<CandidateRecord>& chosen = source.chosen;
  const Environment& env = source.env;
  std::cout << fmt::format("exported {} to {} ({:.2f} MB)\n  {}\n",
                           chosen ? fmt::format("candidate {}", chosen->id) : std::string("the arch"),
                           report["out"].get<std::string>(), double(report["file_bytes"].get<uint64_t>()) / 1e6,
                           to_string(source.arch));
  if (check.evaluated) {
    std::cout << fmt::format("  accuracy   {}validation {:.2f}%, test {:.2f}%\n",
                             chosen ? fmt::format("database {:.2f}% ({}), export on the same split: ",
                                                  100 * chosen->best_accuracy(),
                                                  report["accuracy_db_fidelity"].get<std::string>())
                                    : std::string(),
                             100 * check.accuracy_val, 100 * check.accuracy_test);
  }
  if (finetuned && check.evaluated) {
    std::cout << fmt::format("  fine-tune  {} steps in {}: test {:.2f}% with the inherited weights, {:.2f}% after\n",
                             finetuned->steps, format_duration(finetuned->seconds),
                             100 * finetuned->accuracy_inherited, 100 * check.accuracy_test);
  }
  std::cout << fmt::format(
      "  latency    {}measured now {:.3f} ms{} (batch {}, seq {}, {} threads; {})\n",
      chosen ? fmt::format("predicted {:.3f} ms, ", chosen->latency_pred_ms) : std::string(), check.latency.latency_ms,
      chosen && chosen->latency_measured_ms
          ? fmt::format(", measured in the run {:.3f} ms", chosen->latency_measured_ms.value())
          : std::string(),
      env.batch, env.seq, env.threads,
      check.speed_corrected ? fmt::format("machine speed factor {:.3f}, divided out", check.latency.speed)
                            : std::string("uncorrected for the machine's speed"));
}

int run_export(const po::variables_map& vm) {
  set_threads(vm);
  set_openblas_single_threaded();
  ExportSource source = source_from(vm);
  const ExportOptions options{vm["out"].as<std::string>(), vm["rounds"].as<int>(), !vm["no-evaluate"].as<bool>(),
                              vm["finetune-steps"].as<int64_t>(), vm["finetune-lr"].as<double>()};
  std::optional<Progress> progress;  // of a fine-tune
  FinetuneCallbacks callbacks;
  callbacks.on_note = [](const std::string& note) { std::cerr << note << "\n"; };
  callbacks.on_start = [&](int64_t first_step, int64_t steps) { progress.emplace("finetune", steps, first_step); };
  callbacks.on_step = [&](const TrainStatus& s) { progress->update(s.step, fmt::format("loss {:.3f}", s.loss)); };
  const ExportResult result = export_subnet(source, options, callbacks);
  if (progress) progress->finish();
  if (vm["json"].as<bool>()) {
    std::cout << result.report.dump(2) << "\n";
  } else {
    print_report(source, result);
  }
  return 0;
}

int run_predict(const po::variables_map& vm) {
  set_threads(vm);
  LoadedModel model = load_model(vm["model"].as<std::string>());
  const std::vector<Example> inputs =
      prediction_inputs(vm.count("text") ? vm["text"].as<std::vector<std::string>>() : std::vector<std::string>(),
                        vm.count("input") ? vm["input"].as<std::string>() : "", model.meta.pairs);
  const std::vector<Prediction> predictions = predict(model, inputs);
  if (vm["json"].as<bool>()) {
    nlohmann::json out = nlohmann::json::array();
    for (size_t i = 0; i < inputs.size(); ++i) {
      nlohmann::json row = {{"text", inputs[i].text}, {"label", predictions[i].label}, {"score", predictions[i].score}};
      if (model.meta.pairs) row["text_pair"] = inputs[i].text_pair;
      out.push_back(std::move(row));
    }
    std::cout << out.dump(2) << "\n";
    return 0;
  }
  for (size_t i = 0; i < inputs.size(); ++i) {
    std::cout << fmt::format("{}\t{:.3f}\t{}{}\n", predictions[i].label, predictions[i].score, inputs[i].text,
                             model.meta.pairs ? "\t" + inputs[i].text_pair : "");
  }
  return 0;
}

}  // namespace

Command export_command() {
  return {"export", "save a run's chosen subnet as a deployable TorchScript checkpoint, re-measured and re-evaluated",
          [](po::options_description& desc) {
            desc.add_options()
                ("db", po::value<std::string>(), "run database (or --supernet and --arch)")
                ("supernet", po::value<std::string>(), "supernet checkpoint, to export --arch")
                ("arch", po::value<std::string>(), "arch string to export from --supernet, or 'largest' / 'smallest'")
                ("batch", po::value<int>()->default_value(1), "with --arch: examples per forward of the latency measurement")
                ("seq", po::value<int>(), "with --arch: tokens per example of the latency measurement (default: the "
                 "supernet's sequence length)")
                ("id", po::value<int64_t>(), "candidate id (see qtnas front)")
                ("best-under-ms", po::value<double>(), "the final choice within this latency instead of the run's budget")
                ("best", po::bool_switch(), "the most accurate front member within the run's budget")
                ("out", po::value<std::string>()->required(), "model file to write")
                ("rounds", po::value<int>()->default_value(MeasureConfig{}.rounds), "timed repetitions of the latency re-measurement (at most)")
                ("no-evaluate", po::bool_switch(), "save and re-measure only: no accuracy on validation and test")
                ("finetune-steps", po::value<int64_t>()->default_value(0), "train the arch alone this many steps first, distilled from the largest subnet (0: inherited weights)")
                ("finetune-lr", po::value<double>()->default_value(3e-4), "peak learning rate of the fine-tune")
                ("threads", po::value<int>()->default_value(0), "LibTorch threads for evaluation (0: all cores)")
                ("json", po::bool_switch(), "machine-readable report");
            add_task_options(desc);
          },
          run_export, /*positional=*/""};
}

Command predict_command() {
  return {"predict", "label texts with an exported model",
          [](po::options_description& desc) {
            desc.add_options()
                ("model", po::value<std::string>()->required(), "exported model (qtnas export)")
                ("text", po::value<std::vector<std::string>>(), "texts to label (also as bare arguments; two by two "
                 "for a pair model)")
                ("input", po::value<std::string>(), "file with one text per line ('first<TAB>second' for a pair model)")
                ("threads", po::value<int>()->default_value(0), "LibTorch threads (0: all cores)")
                ("json", po::bool_switch(), "machine-readable output");
          },
          run_predict, "text"};
}

}  // namespace qtnas::cli
