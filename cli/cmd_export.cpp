// `qtnas export` and `qtnas predict`: the chosen subnet of a run (or any arch of a supernet) saved as a
// deployable TorchScript checkpoint, re-measured and re-evaluated from the saved file itself; and that file used
// to label texts.
#include <torch/torch.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>

#include "cli/command.h"
#include "cli/common_options.h"
#include "cli/progress.h"
#include "export/finetune.h"
#include "export/module_accuracy.h"
#include "export/package.h"
#include "export/subnet_module.h"
#include "latency_models/latency_model.h"
#include "latency_models/measure.h"
#include "latency_models/profiler.h"
#include "runs/final_choice.h"
#include "runs/run_inputs.h"
#include "runs/run_store.h"
#include "space/error.h"
#include "space/hash.h"
#include "supernet/machine.h"
#include "supernet/task.h"
#include "supernet/trainer.h"

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

// What is exported: a run's candidate (--db), or any arch of a supernet (--supernet --arch).
struct ExportSource {
  SupernetTask task;
  std::string supernet_path;
  Arch arch;
  Environment env;  // of the latency re-measurement
  std::vector<SubnetMeasurement> references;  // its speed references (from the run's latency model), if any
  nlohmann::json provenance;
  std::optional<CandidateRecord> chosen;
};

ExportSource from_run(const po::variables_map& vm) {
  RunStore store(vm["db"].as<std::string>(), RunStore::Mode::Read);
  const RunInfo info = store.run_info();
  const CandidateRecord chosen = choose(store, vm);
  RunInputs inputs = reload_run_inputs(store.path(), info, /*same_model=*/false);
  const AdditiveLatencyModel& model = inputs.model;
  const Environment env = model.environment();
  return {std::move(inputs.task),
          info.supernet_path,
          parse_arch(chosen.arch),
          env,
          model.references(),
          {{"run", std::filesystem::absolute(store.path()).string()},
           {"candidate_id", chosen.id},
           {"supernet_hash", info.supernet_hash},
           {"accuracy_val_db", chosen.best_accuracy()},
           {"latency_pred_ms", chosen.latency_pred_ms},
           {"environment", to_json(env)}},
          chosen};
}

ExportSource from_supernet(const po::variables_map& vm) {
  QTNAS_CHECK(vm.count("supernet") && !vm.count("id") && !vm.count("best-under-ms") && !vm["best"].as<bool>(),
              "--arch exports an arch of --supernet CKPT; --id, --best-under-ms and --best choose from a run (--db)");
  const std::string supernet = vm["supernet"].as<std::string>();
  SupernetTask task = load_supernet_task(supernet, task_options_json(vm));
  const Arch arch = task.checkpoint.net->space().arch_named(vm["arch"].as<std::string>());
  const int max_seq = task.checkpoint.net->space().config().max_seq_len;
  const int seq = vm.count("seq") ? vm["seq"].as<int>() : max_seq;
  QTNAS_CHECK(seq >= 1 && seq <= max_seq, "--seq {} is outside the supernet's 1..{} tokens", seq, max_seq);
  Environment env = current_environment(vm["batch"].as<int>(), seq);
  env.statistic = "p10";  // no latency model, so no speed references to correct with
  return {std::move(task), supernet, arch, env, {},
          {{"supernet", std::filesystem::absolute(supernet).string()},
           {"supernet_hash", file_hash(supernet)},
           {"environment", to_json(env)}},
          std::nullopt};
}

// --finetune-steps N (export/finetune.h), with its progress on stderr.
FinetuneReport finetune(ExportSource& source, const po::variables_map& vm, const std::string& out) {
  const FinetuneConfig config{vm["finetune-steps"].as<int64_t>(), vm["finetune-lr"].as<double>(),
                              source.supernet_path, source.provenance.at("supernet_hash").get<std::string>(), out};
  SupernetTask& task = source.task;
  std::optional<Progress> progress;
  FinetuneCallbacks callbacks;
  callbacks.on_note = [](const std::string& note) { std::cerr << note << "\n"; };
  callbacks.on_start = [&](int64_t first_step, int64_t steps) { progress.emplace("finetune", steps, first_step); };
  callbacks.on_step = [&](const TrainStatus& s) { progress->update(s.step, fmt::format("loss {:.3f}", s.loss)); };
  const FinetuneReport report =
      finetune_arch(task.checkpoint, source.arch, {task.data.train, task.tokenizer, task.val, task.test}, config,
                    callbacks);
  if (progress) progress->finish();
  return report;
}

// The saved file run as a user will run it: its accuracy on validation and test (unless --no-evaluate), and its
// latency in the source's environment.
struct SavedModelCheck {
  bool evaluated = false;
  double accuracy_val = 0, accuracy_test = 0;
  LatencyStats latency;
  bool speed_corrected = false;  // measured against speed references
};

SavedModelCheck check_saved_model(ExportSource& source, const std::string& out, const po::variables_map& vm) {
  LoadedModel loaded = load_model(out);
  SavedModelCheck check;
  check.evaluated = !vm["no-evaluate"].as<bool>();
  if (check.evaluated) {
    check.accuracy_test = module_accuracy(loaded.module, source.task.test);
    check.accuracy_val = module_accuracy(loaded.module, source.task.val);
  }
  const std::vector<SpeedReference> references =
      build_speed_references(source.task.checkpoint.net, source.references);
  check.speed_corrected = !references.empty();
  check.latency = measure_in_environment(loaded.module, source.env, loaded.meta.space.vocab_size,
                                         vm["rounds"].as<int>(), references, source.arch);
  return check;
}

nlohmann::json export_report(const ExportSource& source, const std::string& out, const SavedModelCheck& check,
                             const std::optional<FinetuneReport>& finetuned) {
  const std::optional<CandidateRecord>& chosen = source.chosen;
  const LatencyStats& latency = check.latency;
  using nlohmann::json;  // null where there is no run candidate, or no evaluation
  json report = {{"out", out},
                 {"id", chosen ? json(chosen->id) : json()},
                 {"arch", to_string(source.arch)},
                 {"accuracy_db", chosen ? json(chosen->best_accuracy()) : json()},
                 {"accuracy_export_val", check.evaluated ? json(check.accuracy_val) : json()},
                 {"accuracy_export", check.evaluated ? json(check.accuracy_test) : json()},
                 {"latency_pred_ms", chosen ? json(chosen->latency_pred_ms) : json()},
                 {"latency_measured_ms", latency.latency_ms},
                 {"latency_median_ms", latency.median_ms},
                 {"latency_mad_ms", latency.mad_ms},
                 {"latency_speed_factor", latency.speed},
                 {"latency_db_measured_ms",
                  chosen && chosen->latency_measured_ms ? json(*chosen->latency_measured_ms) : json()},
                 {"environment", to_json(source.env)},
                 {"size_bytes", source.task.checkpoint.net->space().size(source.arch).size_bytes},
                 {"file_bytes", std::filesystem::file_size(out)}};
  if (finetuned) report["finetune"] = to_json(*finetuned);
  if (chosen) report["accuracy_db_fidelity"] = chosen->accuracy_full ? "full validation" : "validation subset";
  return report;
}

void print_report(const ExportSource& source, const nlohmann::json& report, const SavedModelCheck& check,
                  const std::optional<FinetuneReport>& finetuned) {
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
  QTNAS_CHECK(vm.count("db") + vm.count("arch") == 1, "give a run (--db RUN.sqlite) or an arch (--supernet CKPT --arch A)");
  ExportSource source = vm.count("db") ? from_run(vm) : from_supernet(vm);
  SupernetTask& task = source.task;
  const std::string out = vm["out"].as<std::string>();
  QTNAS_CHECK(vm["finetune-steps"].as<int64_t>() >= 0, "--finetune-steps must be >= 0");
  std::optional<FinetuneReport> finetuned;
  if (vm["finetune-steps"].as<int64_t>() > 0) {
    finetuned = finetune(source, vm, out);
    source.provenance["finetune"] = to_json(*finetuned);
    source.provenance["finetune"].erase("checkpoint");
  }
  {
    ModelMeta meta{source.arch, task.checkpoint.net->space().config(), task.checkpoint.meta.label_names,
                   source.provenance, task.data.pairs};
    torch::jit::Module module = build_subnet_module(task.checkpoint.net, source.arch);
    save_model(out, module, meta, task.tokenizer_bytes);
  }
  if (finetuned) std::filesystem::remove(finetuned->checkpoint);
  const SavedModelCheck check = check_saved_model(source, out, vm);
  const nlohmann::json report = export_report(source, out, check, finetuned);
  if (vm["json"].as<bool>()) {
    std::cout << report.dump(2) << "\n";
  } else {
    print_report(source, report, check, finetuned);
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
