-- qtnas latency measurements (PRAGMA user_version = 3, application_id = 0x71744c54 'qtLT').
-- One row per measured deployable module; `environment` is the JSON of latency_models/environment.h and
-- `env_key` its canonical text, so that measurements of one environment are selected exactly. `latency_ms` is
-- the environment's latency statistic ("statistic": see latency_models/environment.h) as measured, before any
-- speed correction. `grp` is the group of modules measured interleaved together; the speed reference modules
-- measured in the same group are in `speed_references`, and the fit divides each latency by its arch's speed
-- factor in its group (latency_models/measure.h). Rows before version 3 have no group.
-- Migrations from older versions: latency_models/measurement_store.cpp.
CREATE TABLE measurements (
  id          INTEGER PRIMARY KEY,
  env_key     TEXT    NOT NULL,
  environment TEXT    NOT NULL,
  space_hash  TEXT    NOT NULL,               -- the search space the arch belongs to
  kind        TEXT    NOT NULL CHECK (kind IN ('subnet', 'attention', 'ffn', 'empty')),
  arch        TEXT    NOT NULL,               -- canonical arch string ('' for the empty model)
  latency_ms  REAL    NOT NULL,
  median_ms   REAL    NOT NULL,
  min_ms      REAL    NOT NULL,
  max_ms      REAL    NOT NULL,
  mad_ms      REAL    NOT NULL,
  samples     INTEGER NOT NULL,
  outliers    INTEGER NOT NULL,
  created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  grp         INTEGER                         -- measurement group; NULL before version 3
);
CREATE INDEX measurements_by_env ON measurements (env_key, space_hash, kind);
CREATE TABLE speed_references (
  grp         INTEGER NOT NULL,               -- the group of `measurements` they were measured with
  env_key     TEXT    NOT NULL,
  space_hash  TEXT    NOT NULL,
  arch        TEXT    NOT NULL,               -- one of the space's speed reference archs
  latency_ms  REAL    NOT NULL,
  created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX speed_references_by_env ON speed_references (env_key, space_hash);
