#include "latency_models/measurement_store.h"

#include "latency_models/schema.h"
#include "space/error.h"

namespace qtnas {
namespace {

// migrations[v - 1] upgrades schema version v to v + 1.
const std::vector<std::string> kMigrations = {
    // 1 -> 2: the latency column. Version 1 measured medians (their environments have no "statistic").
    "ALTER TABLE measurements ADD COLUMN latency_ms REAL NOT NULL DEFAULT 0;"
    "UPDATE measurements SET latency_ms = median_ms;",
    // 2 -> 3: measurement groups and the speed reference modules measured in each (older rows have none).
    "ALTER TABLE measurements ADD COLUMN grp INTEGER;"
    "CREATE TABLE speed_references (grp INTEGER NOT NULL, env_key TEXT NOT NULL, space_hash TEXT NOT NULL, "
    "arch TEXT NOT NULL, latency_ms REAL NOT NULL, "
    "created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));"
    "CREATE INDEX speed_references_by_env ON speed_references (env_key, space_hash);",
};

}  // namespace

std::string to_string(MeasurementKind kind) {
  switch (kind) {
    case MeasurementKind::Empty: return "empty";
    case MeasurementKind::Attention: return "attention";
    case MeasurementKind::Ffn: return "ffn";
    case MeasurementKind::Subnet: return "subnet";
  }
  QTNAS_FAIL("unknown measurement kind {}", int(kind));
}

MeasurementKind measurement_kind_from_string(const std::string& text) {
  for (MeasurementKind k : {MeasurementKind::Empty, MeasurementKind::Attention, MeasurementKind::Ffn,
                            MeasurementKind::Subnet}) {
    if (to_string(k) == text) return k;
  }
  QTNAS_FAIL("unknown measurement kind '{}' (empty, attention, ffn or subnet)", text);
}

MeasurementStore::MeasurementStore(const std::string& path)
    : db_(path, kLatencySchema, kLatencySchemaVersion, kLatencyApplicationId, kMigrations) {}

int64_t MeasurementStore::new_group() {
  Statement query = db_.prepare(
      "SELECT MAX(COALESCE((SELECT MAX(grp) FROM measurements), 0), COALESCE((SELECT MAX(grp) FROM speed_references), 0))");
  query.step();
  return query.column_int(0) + 1;
}

void MeasurementStore::add(const Environment& env, const std::string& space_hash, MeasurementKind kind,
                           const Arch& arch, const LatencyStats& s, int64_t group) {
  const std::string env_json = to_json(env).dump();
  Statement insert = db_.prepare(
      "INSERT INTO measurements (env_key, environment, space_hash, kind, arch, median_ms, min_ms, max_ms, mad_ms, "
      "samples, outliers, latency_ms, grp) VALUES (?1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)");
  insert.bind(1, env_json).bind(2, space_hash).bind(3, to_string(kind)).bind(4, arch.layers.empty() ? "" : to_string(arch));
  insert.bind(5, s.median_ms).bind(6, s.min_ms).bind(7, s.max_ms).bind(8, s.mad_ms);
  insert.bind(9, int64_t{s.samples}).bind(10, int64_t{s.outliers}).bind(11, s.latency_ms);
  if (group > 0) insert.bind(12, group);
  insert.run();
}

void MeasurementStore::add_reference(const Environment& env, const std::string& space_hash, int64_t group,
                                     const Arch& arch, double latency_ms) {
  Statement insert = db_.prepare(
      "INSERT INTO speed_references (grp, env_key, space_hash, arch, latency_ms) VALUES (?1, ?2, ?3, ?4, ?5)");
  insert.bind(1, group).bind(2, to_json(env).dump()).bind(3, space_hash).bind(4, to_string(arch)).bind(5, latency_ms);
  insert.run();
}

std::vector<MeasurementStore::Reference> MeasurementStore::references(const Environment& env,
                                                                      const std::string& space_hash) {
  Statement query = db_.prepare(
      "SELECT grp, arch, latency_ms FROM speed_references WHERE env_key = ?1 AND space_hash = ?2 ORDER BY rowid");
  query.bind(1, to_json(env).dump()).bind(2, space_hash);
  std::vector<Reference> out;
  while (query.step()) out.push_back({query.column_int(0), parse_arch(query.column_text(1)), query.column_double(2)});
  return out;
}

std::vector<SubnetMeasurement> MeasurementStore::subnets(const Environment& env, const std::string& space_hash) {
  Statement query = db_.prepare(
      "SELECT arch, latency_ms FROM measurements WHERE env_key = ?1 AND space_hash = ?2 AND kind = ?3 ORDER BY id");
  query.bind(1, to_json(env).dump()).bind(2, space_hash).bind(3, to_string(MeasurementKind::Subnet));
  std::vector<SubnetMeasurement> out;
  while (query.step()) out.push_back({parse_arch(query.column_text(0)), query.column_double(1)});
  return out;
}

std::vector<MeasurementStore::Row> MeasurementStore::rows(const Environment& env, const std::string& space_hash) {
  Statement query = db_.prepare(
      "SELECT kind, arch, latency_ms, grp FROM measurements WHERE env_key = ?1 AND space_hash = ?2 ORDER BY id");
  query.bind(1, to_json(env).dump()).bind(2, space_hash);
  std::vector<Row> out;
  while (query.step()) {
    const std::string arch = query.column_text(1);
    out.push_back({measurement_kind_from_string(query.column_text(0)), arch.empty() ? Arch{} : parse_arch(arch), query.column_double(2),
                   query.is_null(3) ? 0 : query.column_int(3)});
  }
  return out;
}

int64_t MeasurementStore::count() {
  Statement query = db_.prepare("SELECT COUNT(*) FROM measurements");
  query.step();
  return query.column_int(0);
}

}  // namespace qtnas
