-- qtnas latency measurements (PRAGMA user_version = 2, application_id = 0x71744c54 'qtLT').
-- One row per measured deployable module; `environment` is the JSON of latency_models/environment.h and
-- `env_key` its canonical text, so that measurements of one environment are selected exactly. `latency_ms` is
-- the environment's latency statistic ("statistic": the 10th percentile; the median for version 1 rows).
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
  created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE INDEX measurements_by_env ON measurements (env_key, space_hash, kind);
