#include "latency_models/latency_model.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "space/error.h"
#include "space/json_text.h"
#include "space/space_json.h"

namespace qtnas {
namespace {

// Solves (X^T X + ridge I) c = X^T y over the first n features by Gaussian elimination with partial pivoting;
// the system is tiny.
using Features = std::array<double, AdditiveLatencyModel::kMaxFeatures>;
Features least_squares(const std::vector<Features>& x, const std::vector<double>& y, int n) {
  constexpr int m = AdditiveLatencyModel::kMaxFeatures;
  double a[m][m + 1] = {};
  for (size_t r = 0; r < x.size(); ++r) {
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) a[i][j] += x[r][i] * x[r][j];
      a[i][n] += x[r][i] * y[r];
    }
  }
  for (int i = 0; i < n; ++i) a[i][i] += 1e-6 * (1 + a[i][i]);  // a whisper of ridge keeps it solvable
  for (int col = 0; col < n; ++col) {
    int pivot = col;
    for (int r = col + 1; r < n; ++r) {
      if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
    }
    std::swap(a[col], a[pivot]);
    for (int r = 0; r < n; ++r) {
      if (r == col || a[col][col] == 0) continue;
      const double f = a[r][col] / a[col][col];
      for (int k = col; k <= n; ++k) a[r][k] -= f * a[col][k];
    }
  }
  Features c{};
  for (int i = 0; i < n; ++i) c[i] = a[i][i] != 0 ? a[i][n] / a[i][i] : 0;
  return c;
}

size_t nonzero_ffn_widths(const SpaceConfig& space) {
  return std::count_if(space.ffn_choices.begin(), space.ffn_choices.end(), [](int f) { return f > 0; });
}

size_t entries_per_size(const SpaceConfig& space) {
  return space.precisions.size() * space.sparsity_pct_choices.size() * space.keep_pct_choices.size();
}

}  // namespace

void LatencyModel::check_environment(const Environment& asked, bool allow_other) const {
  if (allow_other) return;
  const std::string diff = differences(environment(), asked);
  QTNAS_CHECK(diff.empty(),
              "the latency model was fitted under another environment ({}); profile this one, or allow it explicitly",
              diff);
}

AdditiveLatencyModel::AdditiveLatencyModel(const SpaceConfig& space, Environment env, LayerTable table)
    : space_(SearchSpace(space).config()), env_(std::move(env)), table_(std::move(table)) {
  precision_index_.fill(-1);
  for (size_t i = 0; i < space_.precisions.size(); ++i) precision_index_[int(space_.precisions[i])] = int(i);
  sparsity_index_.fill(-1);
  for (size_t i = 0; i < space_.sparsity_pct_choices.size(); ++i) sparsity_index_[space_.sparsity_pct_choices[i]] = int(i);
  ffn_index_.assign(space_.ffn_choices.back() + 1, -1);
  int k = 0;
  for (int f : space_.ffn_choices) {
    if (f > 0) ffn_index_[f] = k++;
  }
  keep_index_.fill(-1);
  for (size_t i = 0; i < space_.keep_pct_choices.size(); ++i) keep_index_[space_.keep_pct_choices[i]] = int(i);
  QTNAS_CHECK(table_.attention_ms.size() == attention_entries(space_) && table_.ffn_ms.size() == ffn_entries(space_),
              "latency table has {} attention and {} FFN entries; the space needs {} and {}",
              table_.attention_ms.size(), table_.ffn_ms.size(), attention_entries(space_), ffn_entries(space_));
}

size_t AdditiveLatencyModel::attention_entries(const SpaceConfig& space) {
  return size_t(space.max_heads) * entries_per_size(space);
}

size_t AdditiveLatencyModel::ffn_entries(const SpaceConfig& space) {
  return nonzero_ffn_widths(space) * entries_per_size(space);
}

size_t AdditiveLatencyModel::attention_index(int heads, Precision p, int sparsity_pct, int keep_pct) const {
  const size_t np = space_.precisions.size(), ns = space_.sparsity_pct_choices.size(),
               nk = space_.keep_pct_choices.size();
  return ((size_t(heads - 1) * np + precision_index_[int(p)]) * ns + sparsity_index_[sparsity_pct]) * nk +
         keep_index_[keep_pct];
}

size_t AdditiveLatencyModel::ffn_index(int ffn, Precision p, int sparsity_pct, int keep_pct) const {
  const size_t np = space_.precisions.size(), ns = space_.sparsity_pct_choices.size(),
               nk = space_.keep_pct_choices.size();
  return ((size_t(ffn_index_[ffn]) * np + precision_index_[int(p)]) * ns + sparsity_index_[sparsity_pct]) * nk +
         keep_index_[keep_pct];
}

double AdditiveLatencyModel::table_ms(const Arch& arch) const {
  double sum = table_.empty_ms;
  int kept_pct = 100;  // of the tokens entering the layer
  for (const LayerArch& l : arch.layers) {
    if (l.skipped()) continue;
    if (l.heads > 0) sum += table_.attention_ms[attention_index(l.heads, l.precision, l.sparsity_pct, kept_pct)];
    kept_pct = std::min(kept_pct, l.keep_pct);  // tokens are selected between attention and FFN
    if (l.ffn > 0) sum += table_.ffn_ms[ffn_index(l.ffn, l.precision, l.sparsity_pct, kept_pct)];
  }
  return sum;
}

std::array<double, AdditiveLatencyModel::kMaxFeatures> AdditiveLatencyModel::features(const Arch& arch) const {
  Features f{1, 0, 0, 0, 0, table_ms(arch), 0, 0};
  int kept_pct = 100;
  for (const LayerArch& l : arch.layers) {
    if (l.skipped()) continue;
    f[1] += l.heads > 0;
    f[2] += l.ffn > 0;
    f[3] += l.precision == Precision::INT8;
    f[4] += l.precision == Precision::BF16;
    if (l.keep_pct < kept_pct) {
      f[6] += 1;
      if (l.heads > 0) {  // the table's block at the entering tokens, less the same block at the kept ones
        f[7] += table_.attention_ms[attention_index(l.heads, l.precision, l.sparsity_pct, kept_pct)] -
                table_.attention_ms[attention_index(l.heads, l.precision, l.sparsity_pct, l.keep_pct)];
      }
    }
    kept_pct = std::min(kept_pct, l.keep_pct);
  }
  return f;
}

double AdditiveLatencyModel::predict_ms(const Arch& arch) const {
  const auto f = features(arch);
  double correction = 0;
  for (int i = 0; i < kMaxFeatures; ++i) correction += coefficients_[i] * f[i];
  const double ms = f[5] + correction;
  return ms < table_.empty_ms ? table_.empty_ms : ms;  // a NaN stays NaN, to be seen
}

AdditiveLatencyModel AdditiveLatencyModel::table_only(const SearchSpace& space, const Environment& env,
                                                      LayerTable table) {
  return AdditiveLatencyModel(space.config(), env, std::move(table));
}

AdditiveLatencyModel AdditiveLatencyModel::fit(const SearchSpace& space, const Environment& env, LayerTable table,
                                               const std::vector<SubnetMeasurement>& train) {
  const int n = feature_count(space.config());
  QTNAS_CHECK(train.size() >= size_t(n), "fitting the latency correction needs at least {} subnets, got {}", n,
              train.size());
  AdditiveLatencyModel model(space.config(), env, std::move(table));
  std::vector<Features> x;
  std::vector<double> residual;
  for (const auto& m : train) {
    space.validate(m.arch);
    x.push_back(model.features(m.arch));
    // Relative weighting: each subnet counts by its percentage error, not its absolute milliseconds.
    const double w = 1.0 / std::max(1e-6, m.latency_ms);
    for (double& v : x.back()) v *= w;
    residual.push_back((m.latency_ms - model.table_ms(m.arch)) * w);
  }
  model.coefficients_ = least_squares(x, residual, n);
  return model;
}

nlohmann::json AdditiveLatencyModel::to_json() const {
  nlohmann::json references = nlohmann::json::array();
  for (const auto& r : references_) references.push_back({{"arch", to_string(r.arch)}, {"baseline_ms", r.latency_ms}});
  nlohmann::json j = {{"kind", "additive"},
                      {"version", kLatencyModelFormatVersion},
                      {"space", qtnas::to_json(space_)},
                      {"environment", qtnas::to_json(env_)},
                      {"empty_ms", table_.empty_ms},
                      {"attention_ms", table_.attention_ms},
                      {"ffn_ms", table_.ffn_ms},
                      {"coefficients", std::vector<double>(coefficients_.begin(),
                                                           coefficients_.begin() + feature_count(space_))},
                      {"references", references}};
  if (!fit_record_.measurement_db.empty()) j["db"] = fit_record_.measurement_db;
  if (fit_record_.holdout) j["holdout"] = qtnas::to_json(*fit_record_.holdout);
  if (const auto& m = fit_record_.measured) {
    j["measured"] = {{"subnets", m->subnets}, {"layer_kinds", m->layer_kinds}, {"seconds", m->seconds}};
  }
  return j;
}

AdditiveLatencyModel AdditiveLatencyModel::from_json(const nlohmann::json& j) {
  try {
    QTNAS_CHECK(j.value("kind", "") == "additive", "not an additive latency model");
    QTNAS_CHECK(j.at("version").get<int>() <= kLatencyModelFormatVersion,
                "latency model version {} is newer than this qtnas reads", j.at("version").get<int>());
    LayerTable table{j.at("empty_ms").get<double>(), j.at("attention_ms").get<std::vector<double>>(),
                     j.at("ffn_ms").get<std::vector<double>>()};
    AdditiveLatencyModel model(space_config_from_json(j.at("space")), environment_from_json(j.at("environment")),
                               std::move(table));
    const auto coefficients = j.at("coefficients").get<std::vector<double>>();
    // Version 3 had no dropping-attention feature: its weight is 0 (the file's own predictions are unchanged).
    const int features = feature_count(model.space_);
    const int expected = features == 8 && j.at("version").get<int>() <= 3 ? 7 : features;
    QTNAS_CHECK(coefficients.size() == size_t(expected), "the latency model has {} coefficients; its space needs {}",
                coefficients.size(), expected);
    std::copy(coefficients.begin(), coefficients.end(), model.coefficients_.begin());
    for (const auto& r : j.value("references", nlohmann::json::array())) {  // version 1 has none
      model.references_.push_back({parse_arch(r.at("arch").get<std::string>()), r.at("baseline_ms").get<double>()});
    }
    model.fit_record_.measurement_db = j.value("db", std::string());
    if (j.contains("holdout")) model.fit_record_.holdout = holdout_report_from_json(j.at("holdout"));
    if (j.contains("measured")) {
      const nlohmann::json& m = j.at("measured");
      model.fit_record_.measured = FitRecord::Measured{m.at("subnets").get<int>(), m.at("layer_kinds").get<int>(),
                                                       m.at("seconds").get<double>()};
    }
    return model;
  } catch (const nlohmann::json::exception& e) {
    QTNAS_FAIL("malformed latency model: {}", e.what());
  }
}

void save_latency_model(const std::string& path, const AdditiveLatencyModel& model) {
  std::ofstream(path) << model.to_json().dump(2) << "\n";
  QTNAS_CHECK(std::filesystem::exists(path), "cannot write latency model '{}'", path);
}

AdditiveLatencyModel load_latency_model(const std::string& path) {
  return AdditiveLatencyModel::from_json(parse_json_file(path, "latency model"));
}

AdditiveLatencyModel load_latency_model(const std::string& path, const SearchSpace& space,
                                        const std::string& supernet_path, bool allow_other_environment) {
  AdditiveLatencyModel model = load_latency_model(path);
  QTNAS_CHECK(to_string(model.space()) == to_string(space.config()),
              "latency model '{}' was profiled for another search space than supernet '{}'", path, supernet_path);
  Environment here = current_environment(model.environment().batch, model.environment().seq);
  if (measurable_statistic(model.environment().statistic)) here.statistic = model.environment().statistic;
  model.check_environment(here, allow_other_environment);
  return model;
}

Arch layer_kind_base(const SpaceConfig& sc, int keep_pct) {
  if (keep_pct == 100) return Arch{};
  const auto ffn = std::find_if(sc.ffn_choices.begin(), sc.ffn_choices.end(), [](int f) { return f > 0; });
  const bool has_ffn = ffn != sc.ffn_choices.end();
  Arch a{std::vector<LayerArch>(sc.layers)};
  for (LayerArch& l : a.layers) l.keep_pct = keep_pct;  // skipped layers pass the keep on
  a.layers[0] = {has_ffn ? 0 : 1, has_ffn ? *ffn : 0, sc.sparsity_pct_choices.front(), sc.precisions.front(), keep_pct};
  return a;
}

Arch layer_kind_arch(const SpaceConfig& sc, LayerArch block, int keep_pct) {
  Arch a = keep_pct == 100 ? Arch{std::vector<LayerArch>(sc.layers)} : layer_kind_base(sc, keep_pct);
  block.keep_pct = keep_pct;
  a.layers[keep_pct == 100 ? 0 : 1] = block;
  return a;
}

double kendall_tau(const std::vector<double>& a, const std::vector<double>& b) {
  QTNAS_CHECK(a.size() == b.size(), "kendall_tau: {} vs {} values", a.size(), b.size());
  double concordant = 0, discordant = 0, ties_a = 0, ties_b = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    for (size_t j = i + 1; j < a.size(); ++j) {
      const double da = a[i] - a[j], db = b[i] - b[j];
      if (da == 0 && db == 0) continue;
      if (da == 0) {
        ++ties_a;
      } else if (db == 0) {
        ++ties_b;
      } else if ((da > 0) == (db > 0)) {
        ++concordant;
      } else {
        ++discordant;
      }
    }
  }
  const double denominator = std::sqrt((concordant + discordant + ties_a) * (concordant + discordant + ties_b));
  return denominator > 0 ? (concordant - discordant) / denominator : 0;
}

HoldoutReport evaluate_holdout(const LatencyModel& model, const std::vector<SubnetMeasurement>& holdout) {
  HoldoutReport r;
  r.n = static_cast<int>(holdout.size());
  if (holdout.empty()) return r;
  std::vector<double> predicted, measured;
  int within = 0;
  double ape = 0;
  for (const auto& m : holdout) {
    const double p = model.predict_ms(m.arch);
    const double error = std::fabs(p - m.latency_ms) / m.latency_ms;
    within += error <= 0.10;
    ape += error;
    predicted.push_back(p);
    measured.push_back(m.latency_ms);
  }
  r.within_10pct = double(within) / r.n;
  r.mape = ape / r.n;
  r.kendall_tau = kendall_tau(predicted, measured);
  return r;
}

nlohmann::json to_json(const HoldoutReport& r) {
  return {{"n", r.n}, {"within_10pct", r.within_10pct}, {"mape", r.mape}, {"kendall_tau", r.kendall_tau}};
}

HoldoutReport holdout_report_from_json(const nlohmann::json& j) {
  return {j.at("n").get<int>(), j.at("within_10pct").get<double>(), j.at("mape").get<double>(),
          j.at("kendall_tau").get<double>()};
}

}  // namespace qtnas
