-- qtnas search run database (PRAGMA user_version = 2, application_id = 0x7174524e 'qtRN').
-- One file holds one run: its configuration, every evaluated candidate, each generation's population, Pareto
-- front, hypervolume and the searcher's full state, so that a run resumes exactly after any crash. Each
-- generation is committed in one transaction; latency measurements are committed as they are taken.
-- Migrations from older versions: runs/run_store.cpp.
CREATE TABLE run (
  id               INTEGER PRIMARY KEY CHECK (id = 1),
  config           TEXT    NOT NULL,  -- JSON: the search configuration (budgets, population, seed, ...)
  seed             INTEGER NOT NULL,
  space_hash       TEXT    NOT NULL,
  space            TEXT    NOT NULL,  -- JSON of the SpaceConfig
  supernet_path    TEXT    NOT NULL,
  supernet_hash    TEXT    NOT NULL,  -- hash of the checkpoint's bytes
  predictor_path   TEXT    NOT NULL,
  predictor_hash   TEXT    NOT NULL,  -- hash of the latency model's JSON as first loaded
  created_at       TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- One row per evaluated (arch, fidelity). 'subset' is the proxy on the validation subset the search uses;
-- 'full' the second evaluation of front members on the whole validation split.
CREATE TABLE candidates (
  id                INTEGER PRIMARY KEY,
  arch              TEXT    NOT NULL,
  arch_id           TEXT    NOT NULL,   -- hex of the arch's stable hash
  fidelity          TEXT    NOT NULL CHECK (fidelity IN ('subset', 'full')),
  generation        INTEGER NOT NULL,   -- the generation that evaluated it
  ok                INTEGER NOT NULL,
  error             TEXT    NOT NULL DEFAULT '',
  accuracy          REAL,
  latency_pred_ms   REAL,
  size_bytes        INTEGER,
  feasible          INTEGER NOT NULL,
  eval_seconds      REAL    NOT NULL,
  examples          INTEGER NOT NULL,
  UNIQUE (arch, fidelity)
);
CREATE INDEX candidates_by_generation ON candidates (generation);

CREATE TABLE generations (
  generation             INTEGER PRIMARY KEY,
  evaluations            INTEGER NOT NULL,  -- candidates evaluated in this generation
  hypervolume            REAL    NOT NULL,  -- of the feasible front, objectives normalized (see runs/run_store.h)
  best_feasible_accuracy REAL,              -- NULL while no candidate is feasible
  seconds                REAL    NOT NULL,
  searcher_state         TEXT    NOT NULL,  -- JSON: the searcher after this generation, to resume from
  created_at             TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

CREATE TABLE population (
  generation   INTEGER NOT NULL REFERENCES generations (generation),
  candidate_id INTEGER NOT NULL REFERENCES candidates (id),
  PRIMARY KEY (generation, candidate_id)
);

CREATE TABLE front (
  generation   INTEGER NOT NULL REFERENCES generations (generation),
  candidate_id INTEGER NOT NULL REFERENCES candidates (id),
  PRIMARY KEY (generation, candidate_id)
);

-- Deployable modules measured during the run (closed loop, final choice): committed before they are used, and
-- reused instead of measured again when the run resumes. latency_ms is the statistic its environment names
-- ("statistic", latency_models/environment.h: "round-ref", "p10-ref" or "p10"; the median when it has none).
CREATE TABLE latency_measurements (
  arch        TEXT    PRIMARY KEY,
  latency_ms  REAL    NOT NULL,
  mad_ms      REAL    NOT NULL,
  samples     INTEGER NOT NULL,
  generation  INTEGER NOT NULL,
  environment TEXT    NOT NULL,
  created_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
