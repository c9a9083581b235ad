#include "runs/search_run.h"

#include <algorithm>
#include <chrono>
#include <cmath>

#include "export/subnet_module.h"
#include "runs/final_choice.h"
#include "latency_models/profiler.h"
#include "search/hypervolume.h"
#include "search/nsga2.h"
#include "search/pareto.h"
#include "search/random_search.h"
#include "space/error.h"
#include "supernet/machine.h"

namespace qtnas {

nlohmann::json to_json(const SearchConfig& c) {
  return {{"latency_budget_ms", c.latency_budget_ms}, {"size_budget_mb", c.size_budget_mb},
          {"searcher", to_string(c.searcher)},                   {"population", c.population},
          {"generations", c.generations},             {"seed", c.seed},
          {"val_subset", c.val_subset},               {"full_fidelity", c.full_fidelity},
          {"closed_loop", c.closed_loop},             {"measure_per_generation", c.measure_per_generation},
          {"measure_rounds", c.measure_rounds},       {"threads", c.threads}};
}

SearchConfig search_config_from_json(const nlohmann::json& j) {
  try {
    SearchConfig c;
    c.latency_budget_ms = j.at("latency_budget_ms").get<double>();
    c.size_budget_mb = j.at("size_budget_mb").get<double>();
    c.searcher = searcher_kind_from_string(j.at("searcher").get<std::string>());
    c.population = j.at("population").get<int>();
    c.generations = j.at("generations").get<int>();
    c.seed = j.at("seed").get<uint64_t>();
    c.val_subset = j.at("val_subset").get<size_t>();
    c.full_fidelity = j.at("full_fidelity").get<bool>();
    c.closed_loop = j.at("closed_loop").get<bool>();
    c.measure_per_generation = j.at("measure_per_generation").get<int>();
    c.measure_rounds = j.at("measure_rounds").get<int>();
    c.threads = j.at("threads").get<int>();
    return c;
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("malformed search configuration: {}", e.what());
  }
}

// Normalized so that each objective's reference is 1 (or 0 for accuracy): hypervolumes of runs with other
// budgets stay comparable in scale. Infeasible points lie beyond the reference and add nothing.
std::vector<double> Scoring::hypervolume_reference() const { return {0.0, 1.0, 1.0}; }

std::vector<double> Scoring::normalized(const std::vector<double>& o) const {
  return {o[0], o[1] / latency_budget_ms, o[2] / size_reference_bytes};
}

double Scoring::violation(double latency_ms, double size_bytes) const {
  double v = std::max(0.0, latency_ms / latency_budget_ms - 1);
  if (size_budget_bytes > 0) v += std::max(0.0, size_bytes / size_budget_bytes - 1);
  return v;
}

Parallelism search_parallelism(const SearchConfig& c) {
  return split_cores(cores_to_use(c.threads), c.population);
}

SearchRun::SearchRun(RunStore& store, SearchConfig config, Supernet net, CandidateEvaluation& evaluation,
                     AdditiveLatencyModel model, MeasurementStore* latency_db, MeasureLatency measure)
    : store_(store),
      config_(std::move(config)),
      net_(std::move(net)),
      evaluation_(evaluation),
      model_(std::move(model)),
      latency_db_(latency_db),
      measure_(std::move(measure)),
      scoring_{config_.latency_budget_ms, config_.size_budget_mb * 1e6,
               config_.size_budget_mb > 0 ? config_.size_budget_mb * 1e6
                                          : double(net_->space().size(net_->space().largest()).size_bytes)} {
  QTNAS_CHECK(config_.latency_budget_ms > 0, "the latency budget must be positive, got {} ms",
              config_.latency_budget_ms);
  ArchGeneOptions options;
  options.predict_latency_ms = [this](const Arch& a) { return model_.predict_ms(a); };
  options.latency_budget_ms = config_.latency_budget_ms;
  genes_ = std::make_unique<ArchGeneOps>(net_->space(), options);
  searcher_ = make_searcher(config_.searcher, *genes_, config_.population, config_.seed);
  if (auto last = store_.last_generation()) searcher_->restore(last->searcher_state);
  if (config_.closed_loop) refit();  // a resumed run picks up the measurements it had committed
}

Evaluated SearchRun::score(const Arch& arch, const Evaluation& e, double latency_ms, double size_bytes) const {
  Evaluated r;
  r.key = to_string(arch);
  r.ok = e.ok;
  r.error = e.error;
  if (!e.ok) return r;
  r.objectives = {-e.accuracy, latency_ms, size_bytes};
  r.violation = scoring_.violation(latency_ms, size_bytes);
  return r;
}

void SearchRun::refit() {
  if (!latency_db_) return;
  std::vector<SubnetMeasurement> measured;
  for (const auto& c : store_.candidates()) {
    if (c.latency_measured_ms) measured.push_back({parse_arch(c.arch), *c.latency_measured_ms});
  }
  if (measured.empty()) return;
  model_ = fit_from_store(net_->space(), model_.environment(), *latency_db_, 0.25, measured).model;
}

LatencyStats SearchRun::measure_module(const Arch& arch) {
  if (measure_) return measure_(arch);
  if (references_.empty()) references_ = build_speed_references(net_, model_.references());
  for (size_t i = 0; i < references_.size(); ++i) references_[i].baseline_ms = model_.references().at(i).latency_ms;
  return measure_in_environment(build_subnet_module(net_, arch), model_.environment(),
                                net_->space().config().vocab_size, config_.measure_rounds, references_, arch);
}

double SearchRun::measured_or_measure(const std::string& arch_text, int generation) {
  if (auto m = store_.measurement(arch_text)) return m->latency_ms;  // committed before: reused on resume
  const LatencyStats s = measure_module(parse_arch(arch_text));
  store_.add_measurement({arch_text, s.latency_ms, s.mad_ms, s.samples, generation, to_json(model_.environment())});
  return s.latency_ms;
}

void SearchRun::measure_front(int generation, const std::vector<Evaluated>& front) {
  // The feasible members closest to the budget are where a predictor's error decides feasibility.
  std::vector<Evaluated> feasible;
  for (const auto& e : front) {
    if (e.feasible() && !store_.measurement(e.key)) feasible.push_back(e);
  }
  std::sort(feasible.begin(), feasible.end(),
            [](const Evaluated& a, const Evaluated& b) { return a.objectives[1] > b.objectives[1]; });
  const size_t n = std::min(feasible.size(), size_t(std::max(0, config_.measure_per_generation)));
  for (size_t i = 0; i < n; ++i) measured_or_measure(feasible[i].key, generation);
  if (n > 0) refit();
}

void SearchRun::run(const std::function<void(const GenerationReport&)>& on_generation,
                    const std::function<void(const std::string&)>& on_note) {
  const auto run_start = std::chrono::steady_clock::now();
  double best = -1;
  for (const auto& c : store_.candidates()) {
    if (c.ok && c.feasible) best = std::max(best, c.accuracy);
  }
  while (searcher_->generation() < config_.generations) {
    const auto start = std::chrono::steady_clock::now();
    const int generation = searcher_->generation();
    const std::vector<std::string> keys = searcher_->propose();
    if (keys.empty()) break;  // the space looks exhausted
    std::vector<Arch> archs;
    for (const auto& k : keys) archs.push_back(parse_arch(k));
    const std::vector<Evaluation> evaluations = evaluation_.evaluate(archs, Fidelity::Subset);
    std::vector<Evaluated> results;
    std::vector<CandidateRecord> records;
    int failed = 0;
    for (size_t i = 0; i < archs.size(); ++i) {
      const double latency = model_.predict_ms(archs[i]);
      const int64_t size = net_->space().size(archs[i]).size_bytes;
      results.push_back(score(archs[i], evaluations[i], latency, double(size)));
      const Evaluated& r = results.back();
      CandidateRecord c;
      c.arch = keys[i];
      c.generation = generation;
      c.ok = r.ok;
      c.error = r.error;
      c.accuracy = evaluations[i].accuracy;
      c.latency_pred_ms = latency;
      c.size_bytes = size;
      c.feasible = r.feasible();
      c.eval_seconds = evaluations[i].seconds;
      c.examples = evaluations[i].examples;
      records.push_back(c);
      failed += !r.ok;
      if (r.feasible()) best = std::max(best, evaluations[i].accuracy);
    }
    searcher_->observe(results);

    GenerationRecord g;
    g.generation = generation;
    g.evaluations = static_cast<int>(keys.size());
    std::vector<std::vector<double>> points;
    std::vector<std::string> population, front;
    for (const auto& e : searcher_->population()) population.push_back(e.key);
    const std::vector<Evaluated> front_members = searcher_->front();
    for (const auto& e : front_members) {
      front.push_back(e.key);
      points.push_back(scoring_.normalized(e.objectives));
    }
    g.hypervolume = hypervolume(points, scoring_.hypervolume_reference());
    if (best >= 0) g.best_feasible_accuracy = best;
    g.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    g.searcher_state = searcher_->state();
    store_.commit_generation(g, records, population, front);
    if (config_.closed_loop) measure_front(generation, front_members);
    if (on_generation) {
      on_generation({generation, config_.generations, g.evaluations, failed, g.hypervolume, g.best_feasible_accuracy,
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count()});
    }
  }
  finish(on_note ? on_note : [](const std::string&) {});
}

void SearchRun::finish(const std::function<void(const std::string&)>& on_note) {
  const std::vector<CandidateRecord> front = store_.front();
  if (config_.full_fidelity && evaluation_.has_full()) {
    std::vector<Arch> archs;
    std::vector<const CandidateRecord*> todo;
    for (const auto& c : front) {
      if (!c.accuracy_full) {
        archs.push_back(parse_arch(c.arch));
        todo.push_back(&c);
      }
    }
    if (!archs.empty()) on_note(fmt::format("evaluating {} front members on the whole validation split", archs.size()));
    const std::vector<Evaluation> evaluations = evaluation_.evaluate(archs, Fidelity::Full);
    std::vector<CandidateRecord> records;
    for (size_t i = 0; i < todo.size(); ++i) {
      CandidateRecord r = *todo[i];
      r.fidelity = "full";
      r.ok = evaluations[i].ok;
      r.error = evaluations[i].error;
      r.accuracy = evaluations[i].accuracy;
      r.eval_seconds = evaluations[i].seconds;
      r.examples = evaluations[i].examples;
      records.push_back(r);
    }
    store_.add_full_evaluations(records);
  }
  if (!config_.closed_loop) return;
  // The final choice (runs/final_choice.h), verified: while the rule picks a member the run has not measured,
  // measure it, which keeps it or rules it out; a member measured over the budget makes the rule pick the next.
  on_note("measuring the final choice under the budget on its deployable module");
  for (int measured = 0;; ++measured) {
    const std::optional<CandidateRecord> choice = final_choice(store_.front(), config_.latency_budget_ms);
    if (!choice || choice->latency_measured_ms) return;
    if (measured == kFinalChoiceMeasurements) {
      on_note(fmt::format("the final choice {} is within the budget by prediction only: the {} more accurate "
                          "members measured now were over it",
                          choice->arch, measured));
      return;
    }
    measured_or_measure(choice->arch, choice->generation);
  }
}

double SearchRun::fidelity_tau() {
  std::vector<double> subset, full;
  for (const auto& c : store_.front()) {
    if (c.accuracy_full) {
      subset.push_back(c.accuracy);
      full.push_back(*c.accuracy_full);
    }
  }
  return subset.size() < 2 ? std::nan("") : kendall_tau(subset, full);
}

}  // namespace qtnas
