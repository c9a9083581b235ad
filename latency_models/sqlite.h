// A thin RAII layer over SQLite: one connection per object (one per thread), statements with bound parameters,
// transactions, and a versioned schema (PRAGMA user_version): older databases migrate, newer ones are refused.
// Every failure throws qtnas::Error naming the database file.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace qtnas {

class Statement {
 public:
  Statement(sqlite3* db, const std::string& sql, const std::string& path);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  Statement& bind(int index, int64_t value);
  Statement& bind(int index, double value);
  Statement& bind(int index, const std::string& value);
  bool step();  // true while a row is available
  void run() { while (step()) {} }
  // Makes the statement ready to run again with new bindings (all parameters unbound).
  void reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  int64_t column_int(int i) const { return sqlite3_column_int64(stmt_, i); }
  double column_double(int i) const { return sqlite3_column_double(stmt_, i); }
  std::string column_text(int i) const;
  bool is_null(int i) const { return sqlite3_column_type(stmt_, i) == SQLITE_NULL; }

 private:
  sqlite3_stmt* stmt_ = nullptr;
  sqlite3* db_;
  std::string path_;
};

class Database {
 public:
  // Opens (creating if missing) in WAL mode. `schema` is the full SQL of version `version`; `migrations[v]`
  // upgrades version v to v + 1. A file that is not SQLite, or whose application id or version does not fit,
  // is refused and left untouched.
  // read_only: opens an existing database without writing anything (no schema creation, no migration, no WAL
  // switch); one without a schema yet is refused.
  Database(const std::string& path, const std::string& schema, int version, int32_t application_id,
           const std::vector<std::string>& migrations = {}, bool read_only = false);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  void exec(const std::string& sql);
  Statement prepare(const std::string& sql) { return Statement(db_, sql, path_); }
  // Runs fn inside BEGIN IMMEDIATE ... COMMIT (rolled back if fn throws).
  void transaction(const std::function<void()>& fn);
  const std::string& path() const { return path_; }

 private:
  sqlite3* db_ = nullptr;
  std::string path_;
};

}  // namespace qtnas
