// Latency predictors fitted from measurements of deployable subnets on this machine (never from FLOP counts).
// LatencyModel is the interface the search uses; AdditiveLatencyModel is a per-layer-kind table (the measured
// cost of one attention or FFN block of each heads/width x precision x sparsity x tokens kept, over a measured
// base model) plus a least-squares correction for what the table misses (overheads of depth, precision changes
// and token selections, cache effects), fitted on measured whole subnets. A block's cost at each token count is
// measured, never scaled: attention is partly quadratic in tokens, and small GEMMs are not linear either.
//
// The latency model file (JSON; written by save_latency_model, read by load_latency_model):
//   {"kind": "additive",            the only kind
//    "version": 4,                  kLatencyModelFormatVersion of the writer; a newer one is refused
//    "space": {...},                the SpaceConfig it was profiled for (space/space_json.h)
//    "environment": {...},          what it was measured under (latency_models/environment.h)
//    "empty_ms": 1.25,              LayerTable::empty_ms: the model with every layer skipped
//    "attention_ms": [...],         LayerTable::attention_ms, in attention_index() order
//    "ffn_ms": [...],               LayerTable::ffn_ms, in ffn_index() order
//    "coefficients": [6 or 8],      the correction's weight of each feature (feature_count()), in their order
//    "references": [{"arch": "...", "baseline_ms": 3.5}, ...],   the speed references (references())
//    "db": "/abs/latency.sqlite",   optional (FitRecord): the measurement database it was fitted from
//    "holdout": {"n", "within_10pct", "mape", "kendall_tau"},    optional (FitRecord): its HoldoutReport
//    "measured": {"subnets", "layer_kinds", "seconds"}}          optional (FitRecord): what the fit drew on
// Version 1 has no "references" (read as none: a model without speed correction). Version 2 added them.
// Version 3 added the token keep: the tables' innermost index is the keep (over the space's keep choices, so a
// space without them has the tables of version 2), and a space with keep choices has a seventh coefficient.
// Version 4 added the dropping attention's coefficient (an eighth, with keep choices); read from version 3 as 0.
// The optional fields describe where a model came from and change no prediction; files of either version may
// carry them or not.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "latency_models/environment.h"
#include "space/search_space.h"

namespace qtnas {

inline constexpr int kLatencyModelFormatVersion = 4;

class LatencyModel {
 public:
  virtual ~LatencyModel() = default;
  // Predicted latency of a valid arch in environment(), in ms. Const and safe to call from many threads.
  virtual double predict_ms(const Arch& arch) const = 0;
  virtual const Environment& environment() const = 0;
  // Throws qtnas::Error naming the differences if `asked` is not the fitted environment, unless allow_other.
  void check_environment(const Environment& asked, bool allow_other = false) const;
};

struct SubnetMeasurement {
  Arch arch;
  double latency_ms = 0;
};

// Per-layer measurements: one block of each kind alone over a base model, minus the base model. At keep 100 the
// base is the empty model (every layer skipped); at a lower keep k it is one FFN-only layer that keeps k% of the
// tokens (profiler.h), and the block runs in the next layer on those tokens.
struct LayerTable {
  double empty_ms = 0;
  std::vector<double> attention_ms;  // [heads - 1][precision][sparsity][keep] indices, over the space's lists
  std::vector<double> ffn_ms;        // [non-zero ffn index][precision][sparsity][keep]
};

struct HoldoutReport {
  int n = 0;
  double within_10pct = 0;  // fraction of subnets predicted within +-10% of their measured latency
  double mape = 0;          // mean absolute percentage error, as a fraction
  double kendall_tau = 0;   // rank agreement of predicted and measured (tau-b)
};

// Where a fitted model came from, kept in its file (the format above). None of it changes a prediction.
struct FitRecord {
  // Absolute path of the measurement database (measurement_store.h) the model was fitted from, "" if not
  // recorded: what `qtnas search` refits from with its closed-loop measurements.
  std::string measurement_db;
  std::optional<HoldoutReport> holdout;  // on the subnets held out of the fit
  struct Measured {
    int subnets = 0;      // subnets in the database for the model's environment (fitted on and held out)
    int layer_kinds = 0;  // distinct layer kinds (heads or width x precision x sparsity) in it
    double seconds = 0;   // of the profile that measured and fitted
  };
  std::optional<Measured> measured;
};

class AdditiveLatencyModel : public LatencyModel {
 public:
  // 1, attention blocks, FFN blocks, int8 layers, bf16 layers, table sum; and in a space with keep choices,
  // token selections (layers whose keep is below the previous layer's) and the dropping attention: for each
  // selecting layer with heads, its attention block at the entering tokens less the same block at the kept
  // ones. The table prices that block at the entering tokens, but its context and output projection run on the
  // kept queries only (supernet.h); the fit learns which share of the difference that saves.
  static constexpr int kMaxFeatures = 8;
  static int feature_count(const SpaceConfig& space) { return space.keep_pct_choices.size() > 1 ? 8 : 6; }

  // Fits the correction on `train` (at least feature_count() subnets) by ridge-regularized least squares.
  static AdditiveLatencyModel fit(const SearchSpace& space, const Environment& env, LayerTable table,
                                  const std::vector<SubnetMeasurement>& train);
  // The table alone, with no correction (all coefficients zero): predict_ms == table_ms, unless the table's
  // blocks sum below zero.
  static AdditiveLatencyModel table_only(const SearchSpace& space, const Environment& env, LayerTable table);

  // The table's sum plus the correction, never below the empty model's latency (table().empty_ms): every subnet
  // runs the embeddings and the classifier, and a correction fitted on few or noisy subnets (tiny modules timed in
  // tests) can extrapolate below them, even below zero.
  double predict_ms(const Arch& arch) const override;
  double table_ms(const Arch& arch) const;  // the table's sum alone, no correction
  const Environment& environment() const override { return env_; }
  const SpaceConfig& space() const { return space_; }
  const LayerTable& table() const { return table_; }
  // The speed reference archs and their baseline latencies in this environment (profiler.h): what a later
  // measurement is corrected with. Empty for a model fitted without references (statistic "p10").
  const std::vector<SubnetMeasurement>& references() const { return references_; }
  void set_references(std::vector<SubnetMeasurement> references) { references_ = std::move(references); }
  const FitRecord& fit_record() const { return fit_record_; }
  void set_fit_record(FitRecord record) { fit_record_ = std::move(record); }

  nlohmann::json to_json() const;
  // Throws qtnas::Error on a malformed model or one of a newer format version.
  static AdditiveLatencyModel from_json(const nlohmann::json& j);

  // Index helpers, public for the profiler that fills the table.
  // `keep_pct`: the tokens the block runs on, in % of the input's (attention: those entering the layer; FFN:
  // those the layer keeps).
  size_t attention_index(int heads, Precision p, int sparsity_pct, int keep_pct = 100) const;
  size_t ffn_index(int ffn, Precision p, int sparsity_pct, int keep_pct = 100) const;
  // The number of entries of each table for the space.
  static size_t attention_entries(const SpaceConfig& space);
  static size_t ffn_entries(const SpaceConfig& space);

 private:
  AdditiveLatencyModel(const SpaceConfig& space, Environment env, LayerTable table);
  std::array<double, kMaxFeatures> features(const Arch& arch) const;

  SpaceConfig space_;
  Environment env_;
  LayerTable table_;
  std::array<double, kMaxFeatures> coefficients_{};  // the last stays 0 in a space without keep choices
  std::vector<SubnetMeasurement> references_;
  FitRecord fit_record_;
  std::array<int, 3> precision_index_{};
  std::array<int, 100> sparsity_index_{};
  std::vector<int> ffn_index_;  // ffn width -> index among the non-zero widths
  std::array<int, 101> keep_index_{};
};

HoldoutReport evaluate_holdout(const LatencyModel& model, const std::vector<SubnetMeasurement>& holdout);
nlohmann::json to_json(const HoldoutReport& report);
HoldoutReport holdout_report_from_json(const nlohmann::json& j);  // throws nlohmann::json::exception

// Writes `model` to `path` in the format above; throws qtnas::Error if the file cannot be written.
void save_latency_model(const std::string& path, const AdditiveLatencyModel& model);
// A latency model file; throws qtnas::Error if it is missing, not JSON or malformed.
AdditiveLatencyModel load_latency_model(const std::string& path);
// The same, checked to be of `space` (the space of supernet `supernet_path`) and, unless allowed otherwise, of
// this machine's environment at the model's batch and seq (and statistic, if measurable_statistic).
AdditiveLatencyModel load_latency_model(const std::string& path, const SearchSpace& space,
                                        const std::string& supernet_path, bool allow_other_environment);

// How a table entry is measured (profiler.h). The base model of the blocks measured at `keep_pct`: at 100 the
// empty model (no layers, as stores have always recorded it); below, layer 0 alone with the narrowest FFN (one
// head in a space without FFN), the first precision and sparsity, keeping keep_pct% of the tokens.
Arch layer_kind_base(const SpaceConfig& space, int keep_pct);
// The arch that measures `block` at `keep_pct`: the block in layer 0 of the empty model at 100, else in layer 1
// of the base model, on the tokens it kept. Needs 2 layers below 100.
Arch layer_kind_arch(const SpaceConfig& space, LayerArch block, int keep_pct);

// Kendall's tau-b of two equally long sequences (ties counted as neither concordant nor discordant).
double kendall_tau(const std::vector<double>& a, const std::vector<double>& b);

}  // namespace qtnas
