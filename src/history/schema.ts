// The history database's schema as an ordered list of forward steps; PRAGMA user_version counts the steps applied.
// A step only adds (tables, columns, indexes): rows written by any earlier version stay readable and are never
// rewritten.
import {type Database, immediate, pragma} from './sqlite.js'

/** PRAGMA application_id of a phasegate history ("PGHI"): tells our database from any other SQLite file. */
export const APPLICATION_ID = 0x50_47_48_49

export interface Migration {
  /** What the step adds, for people reading the list. */
  description: string
  sql: string
}

export const MIGRATIONS: readonly Migration[] = [
  {
    description:
      'runs, their targets and metric summaries (with a bounded sample subset and an HDR histogram), and pinned ' +
      'baselines',
    sql: `
      PRAGMA application_id = ${APPLICATION_ID};
      CREATE TABLE runs (
        id            TEXT PRIMARY KEY,
        gate          TEXT NOT NULL,
        gate_title    TEXT NOT NULL,
        gate_file     TEXT NOT NULL,
        gate_sha256   TEXT NOT NULL,
        started_at    TEXT NOT NULL,
        finished_at   TEXT NOT NULL,
        duration_ms   REAL NOT NULL,
        git_commit    TEXT,
        branch        TEXT,
        dirty         INTEGER,
        ci            INTEGER NOT NULL,
        outcome       TEXT NOT NULL,
        rule          INTEGER NOT NULL,
        consensus     REAL NOT NULL,
        min_consensus REAL NOT NULL,
        interrupted   INTEGER NOT NULL,
        shard         TEXT,
        tool_version  TEXT NOT NULL,
        source        TEXT NOT NULL CHECK (source IN ('run', 'file')),
        source_file   TEXT,
        recorded_at   TEXT NOT NULL
      );
      CREATE INDEX runs_by_gate ON runs (gate, started_at);
      CREATE TABLE targets (
        run_id     TEXT NOT NULL REFERENCES runs (id),
        target     TEXT NOT NULL,
        title      TEXT NOT NULL,
        validator  TEXT NOT NULL,
        status     TEXT NOT NULL,
        confidence REAL NOT NULL,
        p          REAL,
        weight     REAL NOT NULL,
        required   INTEGER NOT NULL,
        level      TEXT NOT NULL,
        reason     TEXT,
        PRIMARY KEY (run_id, target)
      );
      CREATE TABLE metrics (
        run_id    TEXT NOT NULL,
        target    TEXT NOT NULL,
        metric    TEXT NOT NULL,
        type      TEXT NOT NULL,
        dimension TEXT NOT NULL,
        n         INTEGER NOT NULL,
        seen      INTEGER,
        value     REAL,
        min       REAL,
        max       REAL,
        mean      REAL,
        stddev    REAL,
        p50       REAL,
        p90       REAL,
        p95       REAL,
        p99       REAL,
        events    INTEGER,
        trials    INTEGER,
        samples   BLOB,
        histogram TEXT,
        PRIMARY KEY (run_id, target, metric),
        FOREIGN KEY (run_id, target) REFERENCES targets (run_id, target)
      );
      CREATE TABLE baselines (
        gate     TEXT NOT NULL,
        name     TEXT NOT NULL,
        run_id   TEXT NOT NULL REFERENCES runs (id),
        saved_at TEXT NOT NULL,
        PRIMARY KEY (gate, name)
      );`,
  },
  {
    description:
      "each target's expectations with their verdicts, and which baseline run a relative one was judged against",
    sql: `
      CREATE TABLE expectations (
        run_id       TEXT NOT NULL,
        target       TEXT NOT NULL,
        position     INTEGER NOT NULL,
        expression   TEXT NOT NULL,
        metric       TEXT NOT NULL,
        statistic    TEXT NOT NULL,
        operator     TEXT NOT NULL,
        dimension    TEXT NOT NULL,
        value        REAL,
        threshold    REAL,
        p            REAL,
        status       TEXT NOT NULL,
        baseline_run TEXT,
        change       REAL,
        PRIMARY KEY (run_id, target, position),
        FOREIGN KEY (run_id, target) REFERENCES targets (run_id, target)
      );`,
  },
  {
    description:
      'the set of runs a baseline pins (`gate baseline save --runs N`); ' +
      'a baseline with no rows here pins its run alone',
    sql: `
      CREATE TABLE baseline_runs (
        gate   TEXT NOT NULL,
        name   TEXT NOT NULL,
        run_id TEXT NOT NULL REFERENCES runs (id),
        PRIMARY KEY (gate, name, run_id)
      );`,
  },
]

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length

export function schemaVersion(db: Database): number {
  return pragma(db, 'user_version') as number
}

/**
 * Applies the steps a database lacks, all in one write transaction, so a concurrent opener waits and
 * then finds them applied, and a failing step leaves the file as it was. Returns the steps applied.
 */
export function migrate(db: Database, steps: readonly Migration[] = MIGRATIONS): number {
  return immediate(db, (): number => {
    const from = schemaVersion(db)
    if (from >= steps.length) return 0
    for (const step of steps.slice(from)) db.exec(step.sql)
    db.exec(`PRAGMA user_version = ${steps.length}`)
    return steps.length - from
  })
}
