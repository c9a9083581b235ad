#include "runs/export_job.h"

#include <filesystem>

#include "export/module_accuracy.h"
#include "export/package.h"
#include "export/subnet_module.h"
#include "latency_models/profiler.h"
#include "runs/final_choice.h"
#include "runs/run_inputs.h"
#include "space/error.h"
#include "space/hash.h"
#include "space/progress.h"

namespace qtnas {
namespace {

SavedModelCheck check_saved_model(ExportSource& source, const ExportOptions& options) {
  LoadedModel loaded = load_model(options.out);
  SavedModelCheck check;
  check.evaluated = options.evaluate;
  if (check.evaluated) {
    check.accuracy_test = module_accuracy(loaded.module, source.task.test);
    check.accuracy_val = module_accuracy(loaded.module, source.task.val);
  }
  const std::vector<SpeedReference> references = build_speed_references(source.task.checkpoint.net, source.references);
  check.speed_corrected = !references.empty();
  check.latency = measure_in_environment(loaded.module, source.env, loaded.meta.space.vocab_size, options.rounds,
                                         references, source.arch);
  return check;
}

nlohmann::json export_report(const ExportSource& source, const std::string& out, const SavedModelCheck& check,
                             const std::optional<FinetuneReport>& finetuned) {
  const std::optional<CandidateRecord>& chosen = source.chosen;
  const LatencyStats& latency = check.latency;
  using nlohmann::json;
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

}  // namespace

ExportSource export_source_from_run(RunStore& store, const CandidateRecord& chosen) {
  const RunInfo info = store.run_info();
  RunInputs inputs = reload_run_inputs(store.path(), info, /*same_model=*/false);
  const Environment env = inputs.model.environment();
  nlohmann::json provenance = {{"run", std::filesystem::absolute(store.path()).string()},
                               {"candidate_id", chosen.id},
                               {"supernet_hash", info.supernet_hash},
                               {"accuracy_val_db", chosen.best_accuracy()},
                               {"latency_pred_ms", chosen.latency_pred_ms},
                               {"environment", to_json(env)}};
  return {std::move(inputs.task),  info.supernet_path,           parse_arch(chosen.arch), env,
          inputs.model.references(), std::move(provenance), chosen};
}

ExportSource export_source_from_supernet(const std::string& supernet_path, const nlohmann::json& task_options,
                                         const std::string& arch_name, int batch, std::optional<int> seq) {
  SupernetTask task = load_supernet_task(supernet_path, task_options);
  const Arch arch = task.checkpoint.net->space().arch_named(arch_name);
  const int max_seq = task.checkpoint.net->space().config().max_seq_len;
  const int length = seq.value_or(max_seq);
  QTNAS_CHECK(length >= 1 && length <= max_seq, "--seq {} is outside the supernet's 1..{} tokens", length, max_seq);
  Environment env = current_environment(batch, length);
  env.statistic = "p10";  // no latency model, so no speed references to correct with
  nlohmann::json provenance = {{"supernet", std::filesystem::absolute(supernet_path).string()},
                               {"supernet_hash", file_hash(supernet_path)},
                               {"environment", to_json(env)}};
  return {std::move(task), supernet_path, arch, env, {}, std::move(provenance), std::nullopt};
}

ExportSource export_source(const ExportRequest& r) {
  QTNAS_CHECK(r.db.has_value() + r.arch.has_value() == 1,
              "give a run (--db RUN.sqlite) or an arch (--supernet CKPT --arch A)");
  if (r.db) {
    RunStore store(*r.db, RunStore::Mode::Read);
    QTNAS_CHECK(r.id.has_value() + r.best_under_ms.has_value() + r.best == 1,
                "give exactly one of --id N, --best-under-ms X and --best");
    return export_source_from_run(store, export_choice(store, r.id, r.best_under_ms));
  }
  QTNAS_CHECK(r.supernet && !r.id && !r.best_under_ms && !r.best,
              "--arch exports an arch of --supernet CKPT; --id, --best-under-ms and --best choose from a run (--db)");
  return export_source_from_supernet(*r.supernet, r.task_options, *r.arch, r.batch, r.seq);
}

ExportResult export_subnet(ExportSource& source, const ExportOptions& options, const FinetuneCallbacks& callbacks) {
  QTNAS_CHECK(options.finetune_steps >= 0, "--finetune-steps must be >= 0");
  SupernetTask& task = source.task;
  ExportResult result;
  if (options.finetune_steps > 0) {
    const FinetuneConfig config{options.finetune_steps, options.finetune_lr, source.supernet_path,
                                source.provenance.at("supernet_hash").get<std::string>(), options.out};
    result.finetuned = finetune_arch(task.checkpoint, source.arch,
                                     {task.data.train, task.tokenizer, task.val, task.test}, config, callbacks);
    source.provenance["finetune"] = to_json(*result.finetuned);
    source.provenance["finetune"].erase("checkpoint");
  }
  const ModelMeta meta{source.arch, task.checkpoint.net->space().config(), task.checkpoint.meta.label_names,
                       source.provenance, task.data.pairs};
  torch::jit::Module module = build_subnet_module(task.checkpoint.net, source.arch);
  save_model(options.out, module, meta, task.tokenizer_bytes);
  if (result.finetuned) std::filesystem::remove(result.finetuned->checkpoint);
  result.check = check_saved_model(source, options);
  result.report = export_report(source, options.out, result.check, result.finetuned);
  return result;
}

std::string describe(const ExportSource& source, const ExportResult& result) {
  const nlohmann::json& report = result.report;
  const SavedModelCheck& check = result.check;
  const std::optional<FinetuneReport>& finetuned = result.finetuned;
  const std::optional<CandidateRecord>& chosen = source.chosen;
  const Environment& env = source.env;
  std::string out = fmt::format("exported {} to {} ({:.2f} MB)\n  {}\n",
                                chosen ? fmt::format("candidate {}", chosen->id) : std::string("the arch"),
                                report["out"].get<std::string>(), double(report["file_bytes"].get<uint64_t>()) / 1e6,
                                to_string(source.arch));
  if (check.evaluated) {
    out += fmt::format("  accuracy   {}validation {:.2f}%, test {:.2f}%\n",
                       chosen ? fmt::format("database {:.2f}% ({}), export on the same split: ",
                                            100 * chosen->best_accuracy(),
                                            report["accuracy_db_fidelity"].get<std::string>())
                              : std::string(),
                       100 * check.accuracy_val, 100 * check.accuracy_test);
  }
  if (finetuned && check.evaluated) {
    out += fmt::format("  fine-tune  {} steps in {}: test {:.2f}% with the inherited weights, {:.2f}% after\n",
                       finetuned->steps, format_duration(finetuned->seconds), 100 * finetuned->accuracy_inherited,
                       100 * check.accuracy_test);
  }
  out += fmt::format(
      "  latency    {}measured now {:.3f} ms{} (batch {}, seq {}, {} threads; {})\n",
      chosen ? fmt::format("predicted {:.3f} ms, ", chosen->latency_pred_ms) : std::string(), check.latency.latency_ms,
      chosen && chosen->latency_measured_ms
          ? fmt::format(", measured in the run {:.3f} ms", chosen->latency_measured_ms.value())
          : std::string(),
      env.batch, env.seq, env.threads,
      check.speed_corrected ? fmt::format("machine speed factor {:.3f}, divided out", check.latency.speed)
                            : std::string("uncorrected for the machine's speed"));
  return out;
}

}  // namespace qtnas
