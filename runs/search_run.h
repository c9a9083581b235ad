// The user's main job as one loop: a searcher proposes archs, the proxy evaluator and the latency predictor
// score them (in parallel), each generation is committed to the run store, and the run resumes exactly from
// the store. With the closed loop on, the feasible front members closest to the budget are measured on their
// deployable modules each generation, and the predictor is refitted with those measurements; the final choice
// (runs/final_choice.h) is measured, not only predicted.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "evaluators/evaluator.h"
#include "evaluators/parallel.h"
#include "latency_models/latency_model.h"
#include "latency_models/measure.h"
#include "latency_models/measurement_store.h"
#include "runs/run_store.h"
#include "search/arch_genes.h"
#include "search/searcher.h"
#include "supernet/supernet.h"

namespace qtnas {

struct SearchConfig {
  double latency_budget_ms = 0;  // hard: an arch predicted above it is infeasible
  double size_budget_mb = 0;     // 0: none
  SearcherKind searcher = SearcherKind::Nsga2;
  int population = 20;
  int generations = 10;  // total, counting generation 0 (the initial population)
  uint64_t seed = 0;
  size_t val_subset = 1000;    // validation examples of the proxy evaluation
  bool full_fidelity = true;   // evaluate the final front on the whole validation split
  bool closed_loop = true;     // measure and refit each generation, and measure the final choice
  int measure_per_generation = 2;
  int measure_rounds = MeasureConfig{}.rounds;  // at most; see measure.h
  int threads = 0;  // cores for evaluation (0: all)
};
nlohmann::json to_json(const SearchConfig& c);
// How a search's candidates share the cores of one process: `threads` (0: all) split over a population.
Parallelism search_parallelism(const SearchConfig& c);
SearchConfig search_config_from_json(const nlohmann::json& j);  // throws qtnas::Error on a malformed config

// Objectives as the searcher sees them (all minimized): -accuracy, predicted latency, size in bytes.
struct Scoring {
  double latency_budget_ms;
  double size_budget_bytes;     // 0: none
  double size_reference_bytes;  // the hypervolume's reference size: the size budget, or the largest arch's size
  std::vector<double> hypervolume_reference() const;  // in normalized objectives (see normalized())
  std::vector<double> normalized(const std::vector<double>& objectives) const;
  double violation(double latency_ms, double size_bytes) const;
};

struct GenerationReport {
  int generation = 0, generations = 0;
  int evaluations = 0, failed = 0;
  double hypervolume = 0;
  std::optional<double> best_feasible_accuracy;
  double seconds = 0;
};

// The closed loop's measurement of one arch in the model's environment. The default builds the arch's
// deployable module from the supernet and measures it with the model's speed references
// (latency_models/measure.h); tests give deterministic fake latencies instead.
using MeasureLatency = std::function<LatencyStats(const Arch&)>;

// The most measurements a closed-loop run spends at its end on verifying the final choice.
inline constexpr int kFinalChoiceMeasurements = 8;

class SearchRun {
 public:
  // `model` is refitted in place by the closed loop when `latency_db` is given (its measurements plus this
  // run's); without it, measurements still decide the final choice. `evaluation` scores the candidates (here
  // or on workers) and, when it has_full(), evaluates the final front on the whole validation split.
  // `measure` replaces the real measurement (empty: measure the deployable module).
  SearchRun(RunStore& store, SearchConfig config, Supernet net, CandidateEvaluation& evaluation,
            AdditiveLatencyModel model, MeasurementStore* latency_db, MeasureLatency measure = {});

  // Runs until `config.generations` generations are committed, starting after the store's last one (so a
  // killed run resumes where its last committed generation ended). `on_generation` reports each one.
  // At the end, the front is evaluated on the whole validation split (full_fidelity) and, with the closed loop,
  // the final choice under the budget (runs/final_choice.h) is measured: each member the rule picks unmeasured
  // is measured, until it picks a measured one, or none, or kFinalChoiceMeasurements have been spent, so that
  // `qtnas export --best` afterwards picks a member measured within the budget whenever that limit allowed.
  // `on_note` tells about the final stages (full-fidelity evaluation, measuring the final choice).
  void run(const std::function<void(const GenerationReport&)>& on_generation = {},
           const std::function<void(const std::string&)>& on_note = {});

  // Kendall tau between subset and full accuracy of the front's members (NaN when fewer than 2).
  double fidelity_tau();
  const AdditiveLatencyModel& model() const { return model_; }

 private:
  Evaluated score(const Arch& arch, const Evaluation& e, double latency_ms, double size_bytes) const;
  void measure_front(int generation, const std::vector<Evaluated>& front);
  double measured_or_measure(const std::string& arch, int generation);
  LatencyStats measure_module(const Arch& arch);
  void refit();
  void finish(const std::function<void(const std::string&)>& on_note);

  RunStore& store_;
  SearchConfig config_;
  Supernet net_;
  CandidateEvaluation& evaluation_;
  AdditiveLatencyModel model_;
  std::vector<SpeedReference> references_;  // the model's speed references, built at the first measurement
  MeasurementStore* latency_db_;
  MeasureLatency measure_;
  Scoring scoring_;
  std::unique_ptr<ArchGeneOps> genes_;
  std::unique_ptr<Searcher> searcher_;
};

}  // namespace qtnas
