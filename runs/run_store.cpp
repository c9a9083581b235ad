#include "runs/run_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "runs/schema.h"
#include "space/error.h"
#include "space/hash.h"
#include "space/space_json.h"

namespace qtnas {
namespace {

// kMigrations[v - 1] upgrades schema version v to v + 1.
const std::vector<std::string> kMigrations = {
    // 1 -> 2: latency measurements hold the statistic their environment names, no longer always the median.
    "ALTER TABLE latency_measurements RENAME COLUMN median_ms TO latency_ms;",
};

// The columns query_candidates reads, in order.
constexpr const char* kCandidateColumns =
    "c.id, c.arch, c.fidelity, c.generation, c.ok, c.error, c.accuracy, c.latency_pred_ms, c.size_bytes, "
    "c.feasible, c.eval_seconds, c.examples, m.latency_ms, f.accuracy";
constexpr const char* kCandidateJoins =
    " FROM candidates c LEFT JOIN latency_measurements m ON m.arch = c.arch "
    "LEFT JOIN candidates f ON f.arch = c.arch AND f.fidelity = 'full' ";

std::string hash_of_arch(const std::string& arch) { return hash_hex(arch_id(parse_arch(arch))); }

// Prefixed with "INSERT" or "INSERT OR IGNORE": one row of candidates, bound by insert_candidate.
constexpr const char* kInsertCandidate =
    " INTO candidates (arch, arch_id, fidelity, generation, ok, error, accuracy, latency_pred_ms, size_bytes, "
    "feasible, eval_seconds, examples) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)";

void insert_candidate(Statement& s, const CandidateRecord& c, const std::string& fidelity, int generation) {
  s.bind(1, c.arch).bind(2, hash_of_arch(c.arch)).bind(3, fidelity).bind(4, int64_t{generation});
  s.bind(5, int64_t{c.ok}).bind(6, c.error).bind(7, c.accuracy).bind(8, c.latency_pred_ms).bind(9, c.size_bytes);
  s.bind(10, int64_t{c.feasible}).bind(11, c.eval_seconds).bind(12, c.examples);
  s.run();
  s.reset();
}

}  // namespace

RunStore::RunStore(const std::string& path, Mode mode) : path_(path) {
  if (mode == Mode::Read) {
    QTNAS_CHECK(std::filesystem::is_regular_file(path), "run database '{}' does not exist", path);
  } else {
    // The lock sits next to the database (not on it: SQLite manages its own file locks).
    const std::string lock_path = path + "-writer.lock";
    lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    QTNAS_CHECK(lock_fd_ >= 0, "cannot open lock file '{}': {}", lock_path, std::strerror(errno));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
      std::string holder(64, '\0');
      const ssize_t n = ::pread(lock_fd_, holder.data(), holder.size(), 0);
      holder.resize(n > 0 ? size_t(n) : 0);
      ::close(lock_fd_);
      QTNAS_FAIL("run database '{}' is being written by another process ({}); wait for it or stop it", path,
                 holder.empty() ? "unknown pid" : holder);
    }
    const std::string me = "pid " + std::to_string(::getpid());
    if (::ftruncate(lock_fd_, 0) == 0 && ::pwrite(lock_fd_, me.data(), me.size(), 0) < 0) {
      // Only informative: the lock itself is what counts.
    }
  }
  try {
    db_.emplace(path, kRunSchema, kRunSchemaVersion, kRunApplicationId, kMigrations,
                /*read_only=*/mode == Mode::Read);
  } catch (...) {
    if (lock_fd_ >= 0) ::close(lock_fd_);
    throw;
  }
}

RunStore::~RunStore() {
  db_.reset();
  if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
}

bool RunStore::has_run() {
  Statement q = db_->prepare("SELECT COUNT(*) FROM run");
  q.step();
  return q.column_int(0) > 0;
}

void RunStore::create_run(const RunInfo& info) {
  QTNAS_CHECK(!has_run(), "run database '{}' already holds a run; resume it, or choose another --db", path_);
  Statement s = db_->prepare(
      "INSERT INTO run (id, config, seed, space_hash, space, supernet_path, supernet_hash, predictor_path, "
      "predictor_hash) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  s.bind(1, info.config.dump()).bind(2, static_cast<int64_t>(info.seed)).bind(3, info.space_hash);
  s.bind(4, to_json(info.space).dump()).bind(5, info.supernet_path).bind(6, info.supernet_hash);
  s.bind(7, info.predictor_path).bind(8, info.predictor_hash);
  s.run();
}

RunInfo RunStore::run_info() {
  Statement q = db_->prepare(
      "SELECT config, seed, space_hash, space, supernet_path, supernet_hash, predictor_path, predictor_hash "
      "FROM run WHERE id = 1");
  QTNAS_CHECK(q.step(), "run database '{}' holds no run yet", path_);
  RunInfo info;
  info.config = nlohmann::json::parse(q.column_text(0));
  info.seed = static_cast<uint64_t>(q.column_int(1));
  info.space_hash = q.column_text(2);
  info.space = space_config_from_json(nlohmann::json::parse(q.column_text(3)));
  info.supernet_path = q.column_text(4);
  info.supernet_hash = q.column_text(5);
  info.predictor_path = q.column_text(6);
  info.predictor_hash = q.column_text(7);
  return info;
}

void RunStore::commit_generation(const GenerationRecord& g, const std::vector<CandidateRecord>& new_candidates,
                                 const std::vector<std::string>& population, const std::vector<std::string>& front) {
  db_->transaction([&] {
    Statement insert = db_->prepare(std::string("INSERT") + kInsertCandidate);
    for (const auto& c : new_candidates) insert_candidate(insert, c, "subset", g.generation);
    Statement gen = db_->prepare(
        "INSERT INTO generations (generation, evaluations, hypervolume, best_feasible_accuracy, seconds, "
        "searcher_state) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    gen.bind(1, int64_t{g.generation}).bind(2, int64_t{g.evaluations}).bind(3, g.hypervolume);
    if (g.best_feasible_accuracy) gen.bind(4, *g.best_feasible_accuracy);
    gen.bind(5, g.seconds).bind(6, g.searcher_state.dump());
    gen.run();
    for (const auto& [table, archs] : {std::pair{"population", &population}, std::pair{"front", &front}}) {
      Statement member = db_->prepare(fmt::format(
          "INSERT INTO {} (generation, candidate_id) SELECT ?1, id FROM candidates WHERE arch = ?2 AND "
          "fidelity = 'subset'",
          table));
      for (const std::string& arch : *archs) {
        member.bind(1, int64_t{g.generation}).bind(2, arch);
        member.run();
        member.reset();
      }
    }
  });
}

std::optional<GenerationRecord> RunStore::last_generation() {
  Statement q = db_->prepare(
      "SELECT generation, evaluations, hypervolume, best_feasible_accuracy, seconds, searcher_state, "
      "best_feasible_accuracy IS NULL FROM generations ORDER BY generation DESC LIMIT 1");
  if (!q.step()) return std::nullopt;
  GenerationRecord g{static_cast<int>(q.column_int(0)), static_cast<int>(q.column_int(1)), q.column_double(2),
                     std::nullopt, q.column_double(4), nlohmann::json::parse(q.column_text(5))};
  if (!q.column_int(6)) g.best_feasible_accuracy = q.column_double(3);
  return g;
}

std::optional<int> RunStore::last_generation_number() {
  Statement q = db_->prepare("SELECT MAX(generation) FROM generations");
  q.step();
  if (q.is_null(0)) return std::nullopt;
  return static_cast<int>(q.column_int(0));
}

std::vector<GenerationRecord> RunStore::generations() {
  Statement q = db_->prepare(
      "SELECT generation, evaluations, hypervolume, best_feasible_accuracy, seconds, best_feasible_accuracy IS NULL "
      "FROM generations ORDER BY generation");
  std::vector<GenerationRecord> out;
  while (q.step()) {
    GenerationRecord g{static_cast<int>(q.column_int(0)), static_cast<int>(q.column_int(1)), q.column_double(2),
                       std::nullopt, q.column_double(4), nlohmann::json()};
    if (!q.column_int(5)) g.best_feasible_accuracy = q.column_double(3);
    out.push_back(std::move(g));
  }
  return out;
}

void RunStore::add_full_evaluations(const std::vector<CandidateRecord>& records) {
  db_->transaction([&] {
    Statement insert = db_->prepare(std::string("INSERT OR IGNORE") + kInsertCandidate);
    for (const auto& c : records) insert_candidate(insert, c, "full", c.generation);
  });
}

void RunStore::add_measurement(const MeasurementRecord& m) {
  Statement s = db_->prepare(
      "INSERT OR REPLACE INTO latency_measurements (arch, latency_ms, mad_ms, samples, generation, environment) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
  s.bind(1, m.arch).bind(2, m.latency_ms).bind(3, m.mad_ms).bind(4, int64_t{m.samples});
  s.bind(5, int64_t{m.generation}).bind(6, m.environment.dump());
  s.run();
}

std::optional<MeasurementRecord> RunStore::measurement(const std::string& arch) {
  Statement q = db_->prepare(
      "SELECT latency_ms, mad_ms, samples, generation, environment FROM latency_measurements WHERE arch = ?1");
  q.bind(1, arch);
  if (!q.step()) return std::nullopt;
  return MeasurementRecord{arch, q.column_double(0), q.column_double(1), static_cast<int>(q.column_int(2)),
                           static_cast<int>(q.column_int(3)), nlohmann::json::parse(q.column_text(4))};
}

std::vector<CandidateRecord> RunStore::query_candidates(const std::string& where, int64_t parameter) {
  Statement q = db_->prepare(std::string("SELECT ") + kCandidateColumns + kCandidateJoins + where);
  if (where.find("?1") != std::string::npos) q.bind(1, parameter);
  std::vector<CandidateRecord> out;
  while (q.step()) {
    CandidateRecord c;
    c.id = q.column_int(0);
    c.arch = q.column_text(1);
    c.fidelity = q.column_text(2);
    c.generation = static_cast<int>(q.column_int(3));
    c.ok = q.column_int(4) != 0;
    c.error = q.column_text(5);
    c.accuracy = q.column_double(6);
    c.latency_pred_ms = q.column_double(7);
    c.size_bytes = q.column_int(8);
    c.feasible = q.column_int(9) != 0;
    c.eval_seconds = q.column_double(10);
    c.examples = q.column_int(11);
    if (!q.is_null(12)) c.latency_measured_ms = q.column_double(12);
    if (!q.is_null(13)) c.accuracy_full = q.column_double(13);
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<CandidateRecord> RunStore::candidates() {
  return query_candidates("WHERE c.fidelity = 'subset' ORDER BY c.id", 0);
}

std::vector<CandidateRecord> RunStore::front(int generation) {
  int64_t g = generation;
  if (g < 0) {
    const auto last = last_generation_number();
    if (!last) return {};
    g = *last;
  }
  return query_candidates(
      "JOIN front p ON p.candidate_id = c.id WHERE p.generation = ?1 ORDER BY c.latency_pred_ms, c.id", g);
}

std::optional<CandidateRecord> RunStore::candidate(int64_t id) {
  auto found = query_candidates("WHERE c.id = ?1 AND c.fidelity = 'subset'", id);
  if (found.empty()) return std::nullopt;
  return found.front();
}

}  // namespace qtnas
