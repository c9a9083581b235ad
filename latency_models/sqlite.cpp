#include "latency_models/sqlite.h"

#include <filesystem>

#include "space/error.h"

namespace qtnas {

Statement::Statement(sqlite3* db, const std::string& sql, const std::string& path) : db_(db), path_(path) {
  QTNAS_CHECK(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt_, nullptr) == SQLITE_OK, "database '{}': {}", path,
              sqlite3_errmsg(db));
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}

Statement& Statement::bind(int index, const std::string& value) {
  sqlite3_bind_text(stmt_, index, value.c_str(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  QTNAS_CHECK(rc == SQLITE_DONE, "database '{}': {}", path_, sqlite3_errmsg(db_));
  return false;
}

std::string Statement::column_text(int i) const {
  const auto* text = sqlite3_column_text(stmt_, i);
  return text ? reinterpret_cast<const char*>(text) : "";
}

Database::Database(const std::string& path, const std::string& schema, int version, int32_t application_id,
                   const std::vector<std::string>& migrations, bool read_only)
    : path_(path) {
  const bool existed = std::filesystem::exists(path);
  const int flags = read_only ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
    const std::string message = db_ ? sqlite3_errmsg(db_) : "out of memory";
    sqlite3_close(db_);
    QTNAS_FAIL("cannot open database '{}': {}", path, message);
  }
  sqlite3_busy_timeout(db_, 5000);
  try {
    int64_t app = 0, found = 0;
    {
      Statement s = prepare("PRAGMA application_id");  // also fails on a file that is not SQLite
      if (s.step()) app = s.column_int(0);
    }
    {
      Statement s = prepare("PRAGMA user_version");
      if (s.step()) found = s.column_int(0);
    }
    if (existed && found != 0) {
      QTNAS_CHECK(app == application_id, "'{}' is a SQLite database of another program (application id {})", path,
                  app);
      QTNAS_CHECK(found <= version, "database '{}' has schema version {}, newer than this qtnas ({}); update qtnas",
                  path, found, version);
    }
    if (read_only) {
      QTNAS_CHECK(found != 0, "'{}' holds no database of this kind yet", path);
      QTNAS_CHECK(found == version, "database '{}' has schema version {}; open it for writing once to migrate it",
                  path, found);
      return;
    }
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA foreign_keys=ON");
    if (found == 0) {
      transaction([&] {
        exec(schema);
        exec("PRAGMA application_id=" + std::to_string(application_id));
        exec("PRAGMA user_version=" + std::to_string(version));
      });
    } else {
      for (int v = static_cast<int>(found); v < version; ++v) {
        QTNAS_CHECK(v - 1 < static_cast<int>(migrations.size()), "database '{}': no migration from version {}",
                    path, v);
        transaction([&] {
          exec(migrations[v - 1]);
          exec("PRAGMA user_version=" + std::to_string(v + 1));
        });
      }
    }
  } catch (...) {
    sqlite3_close(db_);
    throw;
  }
}

Database::~Database() { sqlite3_close(db_); }

void Database::exec(const std::string& sql) {
  char* error = nullptr;
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &error) != SQLITE_OK) {
    const std::string message = error ? error : sqlite3_errmsg(db_);
    sqlite3_free(error);
    QTNAS_FAIL("database '{}': {}", path_, message);
  }
}

void Database::transaction(const std::function<void()>& fn) {
  exec("BEGIN IMMEDIATE");
  try {
    fn();
  } catch (...) {
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    throw;
  }
  exec("COMMIT");
}

}  // namespace qtnas
