// The run history: every decided run with its targets, metric summaries and kept samples, and the baselines pinned on
// them.
// Synchronous (node:sqlite): each run is written in one transaction, so a reader or a killed writer never sees half
// a run.
import type {SQLInputValue} from 'node:sqlite'

import type {BaselineMetric, MetricEvidence, MetricSummary, Outcome, Status} from '../engine/types.js'
import {UserError} from '../errors.js'
import type {CollectedTarget, RunResults} from '../results/types.js'
import {historyError} from './database.js'
import {type Database, immediate, named} from './sqlite.js'
import {decodeSamples, durationHistogram, encodeSamples, keptSamples} from './samples.js'

export type RunSource = 'file' | 'run'

export interface HistoryTarget {
  status: Status
  confidence: number
  p: number | null
  weight: number
  required: boolean
  level: 'error' | 'warn'
  reason: string | null
  metrics: Record<string, MetricSummary>
}

export interface HistoryRun {
  id: string
  gate: string
  gateSha256: string
  startedAt: string
  finishedAt: string
  durationMs: number
  commit: string | null
  branch: string | null
  dirty: boolean | null
  ci: boolean
  outcome: Outcome
  rule: number
  consensus: number
  minConsensus: number
  interrupted: boolean
  /** "2/3" for a `--shard` run: it measured a share of the load, so it never enters a series or a baseline. */
  shard: string | null
  toolVersion: string
  /** 'file': imported from a results file (`baseline save --from FILE`): summaries only, no samples. */
  source: RunSource
  /** The results file it was imported from, for source 'file'. */
  sourceFile: string | null
  targets: Record<string, HistoryTarget>
}

export interface SeriesPoint {
  run: string
  startedAt: string
  commit: string | null
  branch: string | null
  summary: MetricSummary
}

export interface BaselineRecord {
  gate: string
  name: string
  /** The newest pinned run. */
  run: string
  /** Every pinned run, newest first: one for a single run, N for `gate baseline save --runs N`. */
  runs: string[]
  /** Pinned as a set (`--runs N`): judged by the spread over its runs, and INCONCLUSIVE while it has too few. */
  set: boolean
  savedAt: string
  startedAt: string
  commit: string | null
  branch: string | null
  outcome: Outcome
  source: RunSource
}

/**
 * A pinned run as relative expectations read it: per target, each metric's summary and kept evidence (samples, counts
 * or value).
 */
export interface Baseline extends BaselineRecord {
  targets: Record<string, PinnedTarget>
  /** Every pinned run with its targets, newest first (the first is `run`, whose targets are `targets`). */
  pinned: Array<{run: string; targets: Record<string, PinnedTarget>}>
}

export interface PinnedTarget {
  status: Status
  metrics: Record<string, BaselineMetric>
}

/** A run's rows as the history holds them (samples as base64): what `gate baseline export` writes. */
export interface RunRows {
  run: Row
  targets: Row[]
  metrics: Row[]
}

export interface RunFilter {
  target?: string
  branch?: string
  limit?: number
}

export interface SeriesOptions {
  limit?: number
  branch?: string
  excludeRun?: string
}

/** Baseline names: what a branch or release might be called ("main", "release/1.2"). */
const BASELINE_NAME = /^[\w.][\w./-]{0,99}$/

export type Row = Record<string, unknown>

const SUMMARY_COLUMNS = [
  'value',
  'min',
  'max',
  'mean',
  'stddev',
  'p50',
  'p90',
  'p95',
  'p99',
  'events',
  'trials',
] as const

export class History {
  /** `db` is null when the history does not exist yet and was opened for reading: every query is empty. */
  constructor(
    private readonly db: Database | null,
    /** The file as messages name it. */
    readonly file: string,
  ) {}

  close(): void {
    this.db?.close()
  }

  /**
   * Records a decided run with its evidence as collected (for the kept samples and histograms); returns the id it is
   * recorded under.
   */
  record(results: RunResults, collected?: readonly CollectedTarget[]): string {
    return this.write((db) => insertRun(db, results, {collected, id: results.id, source: 'run'}))
  }

  /**
   * Records a results file's run (summaries only, source 'file') unless the history has it already; returns its id
   * either way.
   */
  importResults(results: RunResults, file: string): string {
    return this.write((db) => {
      const known = db
        .prepare('SELECT id FROM runs WHERE gate = ? AND started_at = ? AND finished_at = ? AND gate_sha256 = ?')
        .get(results.gate.name, results.startedAt, results.finishedAt, results.gate.sha256) as Row | undefined
      return known ? String(known.id) : insertRun(db, results, {file, id: results.id, source: 'file'})
    })
  }

  /** The gates with recorded runs, by name. */
  gates(): string[] {
    return this.read(
      (db) =>
        (db.prepare('SELECT DISTINCT gate FROM runs ORDER BY gate').all() as Row[]).map((row) => String(row.gate)),
      [],
    )
  }

  /** A recorded run by id, with its targets and metric summaries. */
  run(id: string): HistoryRun | null {
    return this.read((db) => {
      const row = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined
      return row ? withTargets(db, [row])[0]! : null
    }, null)
  }

  /** The gate's recorded runs, newest first, with their targets and metric summaries. */
  runs(gate: string, filter: RunFilter = {}): HistoryRun[] {
    return this.read((db) => {
      const where = ['gate = @gate']
      if (filter.branch !== undefined) where.push('branch = @branch')
      if (filter.target !== undefined)
        where.push('EXISTS (SELECT 1 FROM targets t WHERE t.run_id = runs.id AND t.target = @target)')
      const rows = db
        .prepare(`SELECT * FROM runs WHERE ${where.join(' AND ')} ORDER BY started_at DESC, id DESC LIMIT @limit`)
        .all(named({...filter, gate, limit: filter.limit ?? -1})) as Row[]
      return withTargets(db, rows)
    }, [])
  }

  /**
   * The metric's summaries over the last recorded runs of the gate (newest first; interrupted and shard runs and
   * `excludeRun` left out).
   */
  series(gate: string, target: string, metric: string, options: SeriesOptions = {}): SeriesPoint[] {
    return this.read((db) => {
      const rows = db
        .prepare(
          `SELECT r.id AS run, r.started_at, r.git_commit, r.branch, m.* FROM runs r JOIN metrics m ON m.run_id = r.id
           WHERE r.gate = @gate AND m.target = @target AND m.metric = @metric AND r.interrupted = 0 AND r.shard IS NULL
             AND r.id IS NOT @exclude ${options.branch === undefined ? '' : 'AND r.branch = @branch'}
           ORDER BY r.started_at DESC, r.id DESC LIMIT @limit`,
        )
        .all(
          named({
            branch: options.branch,
            exclude: options.excludeRun,
            gate,
            limit: options.limit ?? -1,
            metric,
            target,
          }),
        ) as Row[]
      return rows.map((row) => ({
        branch: nullableText(row.branch),
        commit: nullableText(row.git_commit),
        run: String(row.run),
        startedAt: String(row.started_at),
        summary: summaryOf(row),
      }))
    }, [])
  }

  /**
   * Pins recorded runs as the gate's baseline `name`, replacing what it pinned before: one run, or a set whose
   * spread relative expectations are judged against. Refuses a run of another gate, an interrupted run (it
   * measured only part of the gate) and a shard (a share of the load).
   */
  saveBaseline(gate: string, name: string, runIds: string | readonly string[], set = false): BaselineRecord {
    if (!BASELINE_NAME.test(name))
      throw new UserError(
        `--name ${JSON.stringify(name)}: a baseline name is letters, digits, ".", "_", "-" and "/" (up to 100), ` +
          `e.g. main or release/1.2`,
      )
    const ids = [...new Set(typeof runIds === 'string' ? [runIds] : runIds)]
    if (ids.length === 0) throw new UserError(`no run to pin as baseline "${name}" of gate ${gate}`)
    return this.write((db) => {
      const started: Array<[string, string]> = []
      for (const runId of ids) {
        const run = db.prepare('SELECT gate, interrupted, shard, started_at FROM runs WHERE id = ?').get(runId) as
          Row | undefined
        if (!run) throw new UserError(`No run ${runId} in ${this.file}.`)
        if (run.gate !== gate)
          throw new UserError(
            `Run ${runId} is a run of gate "${String(run.gate)}", not "${gate}": a baseline must be a run of the ` +
              `gate it is compared with.`,
          )
        if (run.interrupted)
          throw new UserError(
            `Run ${runId} was interrupted, so it measured only part of the gate: pin a complete run (\`gate check ` +
              `${gate}\`, then \`gate baseline save ${gate}\`).`,
          )
        if (run.shard !== null)
          throw new UserError(
            `Run ${runId} is shard ${String(run.shard)}: it measured a share of the load. Pin the merged run ` +
              `(\`gate merge …\`) instead.`,
          )
        started.push([runId, String(run.started_at)])
      }

      const newest = started.reduce((a, b) => (b[1] > a[1] || (b[1] === a[1] && b[0] > a[0]) ? b : a))[0]
      db.prepare(
        'INSERT INTO baselines (gate, name, run_id, saved_at) VALUES (?, ?, ?, ?) ON CONFLICT (gate, name) DO ' +
          'UPDATE SET run_id = excluded.run_id, saved_at = excluded.saved_at',
      ).run(gate, name, newest, new Date().toISOString())
      db.prepare('DELETE FROM baseline_runs WHERE gate = ? AND name = ?').run(gate, name)
      const pin = db.prepare('INSERT INTO baseline_runs (gate, name, run_id) VALUES (?, ?, ?)')
      if (set || ids.length > 1) for (const runId of ids) pin.run(gate, name, runId)
      return baselineRecords(db, 'b.gate = ? AND b.name = ?', [gate, name])[0]!
    })
  }

  /** A pinned baseline with each pinned run's targets, metric summaries and kept evidence; null when none is saved. */
  baseline(gate: string, name: string): Baseline | null {
    return this.read((db) => {
      const record = baselineRecords(db, 'b.gate = ? AND b.name = ?', [gate, name])[0]
      if (!record) return null
      const pinned = record.runs.map((run) => ({run, targets: pinnedTargets(db, run)}))
      return {...record, pinned, targets: pinned[0]!.targets}
    }, null)
  }

  /** A recorded run's rows (samples as base64), for a baseline file; null when the history lacks it. */
  runRows(id: string): RunRows | null {
    return this.read((db) => {
      const run = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as Row | undefined
      if (!run) return null
      const {recorded_at: _recorded, ...kept} = run
      const rows = (table: string) =>
        (db.prepare(`SELECT * FROM ${table} WHERE run_id = ? ORDER BY rowid`).all(id) as Row[]).map(
          ({run_id: _run, ...row}) => row,
        )
      return {
        metrics: rows('metrics').map((row) => ({
          ...row,
          samples: row.samples instanceof Uint8Array ? Buffer.from(row.samples).toString('base64') : null,
        })),
        run: kept,
        targets: rows('targets'),
      }
    }, null)
  }

  /**
   * Records a run from a baseline file unless the history has it already (the same gate, start, end and gate
   * file); returns the id it is recorded under. Only the columns the history knows are written.
   */
  insertRunRows(rows: RunRows): string {
    return this.write((db) => {
      const known = db
        .prepare('SELECT id FROM runs WHERE gate = ? AND started_at = ? AND finished_at = ? AND gate_sha256 = ?')
        .get(
          ...([rows.run.gate, rows.run.started_at, rows.run.finished_at, rows.run.gate_sha256] as SQLInputValue[]),
        ) as Row | undefined
      if (known) return String(known.id)
      let id = String(rows.run.id)
      const taken = db.prepare('SELECT 1 FROM runs WHERE id = ?')
      for (let n = 2; taken.get(id); n++) id = `${String(rows.run.id)}-${n}`
      insertRow(db, 'runs', {...rows.run, id, recorded_at: new Date().toISOString()})
      for (const target of rows.targets) insertRow(db, 'targets', {...target, run_id: id})
      for (const metric of rows.metrics)
        insertRow(db, 'metrics', {
          ...metric,
          run_id: id,
          samples: typeof metric.samples === 'string' ? Buffer.from(metric.samples, 'base64') : null,
        })
      return id
    })
  }

  /** The saved baselines (of one gate, or all), by gate and name. */
  baselines(gate?: string): BaselineRecord[] {
    return this.read(
      (db) => (gate === undefined ? baselineRecords(db, '1', []) : baselineRecords(db, 'b.gate = ?', [gate])),
      [],
    )
  }

  private read<T>(query: (db: Database) => T, empty: T): T {
    if (!this.db) return empty
    try {
      return query(this.db)
    } catch (error) {
      throw historyError(error, this.file)
    }
  }

  private write<T>(change: (db: Database) => T): T {
    if (!this.db) throw new Error(`${this.file} was opened without create: it cannot be written`)
    try {
      return immediate(this.db, change)
    } catch (error) {
      throw historyError(error, this.file)
    }
  }
}

interface InsertOptions {
  id: string
  source: RunSource
  collected?: readonly CollectedTarget[]
  file?: string
}

/** One run, its targets, metrics and expectations; `id-2`, `id-3`… when another run of the same second took the id. */
function insertRun(db: Database, results: RunResults, options: InsertOptions): string {
  let id = options.id
  const taken = db.prepare('SELECT 1 FROM runs WHERE id = ?')
  for (let n = 2; taken.get(id); n++) id = `${options.id}-${n}`
  const git = results.environment.git
  db.prepare(
    `INSERT INTO runs (id, gate, gate_title, gate_file, gate_sha256, started_at, finished_at, duration_ms,
       git_commit, branch, dirty, ci, outcome, rule,
       consensus, min_consensus, interrupted, shard, tool_version, source, source_file, recorded_at)
     VALUES (@id, @gate, @title, @file, @sha256, @startedAt, @finishedAt, @durationMs,
       @commit, @branch, @dirty, @ci, @outcome, @rule,
       @consensus, @minConsensus, @interrupted, @shard, @toolVersion, @source, @sourceFile, @recordedAt)`,
  ).run({
    branch: git?.branch ?? null,
    ci: Number(results.environment.ci),
    commit: git?.commit ?? null,
    consensus: results.consensus,
    dirty: git ? Number(git.dirty) : null,
    durationMs: results.durationMs,
    file: results.gate.file,
    finishedAt: results.finishedAt,
    gate: results.gate.name,
    id,
    interrupted: Number(results.interrupted),
    minConsensus: results.decision.minConsensus,
    outcome: results.decision.outcome,
    recordedAt: new Date().toISOString(),
    rule: results.decision.rule,
    sha256: results.gate.sha256,
    shard: results.shard ? `${results.shard.index}/${results.shard.count}` : null,
    source: options.source,
    sourceFile: options.file ?? null,
    startedAt: results.startedAt,
    title: results.gate.title,
    toolVersion: results.tool.version,
  })

  const insertTarget = db.prepare(
    `INSERT INTO targets (run_id, target, title, validator, status, confidence, p, weight, required, level, reason)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  const summaryParameters = SUMMARY_COLUMNS.map((column) => `@${column}`).join(', ')
  const insertMetric = db.prepare(
    `INSERT INTO metrics (run_id, target, metric, type, dimension, n, seen, ${SUMMARY_COLUMNS.join(', ')}, samples,
       histogram)
     VALUES (@run, @target, @name, @type, @dimension, @n, @seen, ${summaryParameters}, @samples, @histogram)`,
  )
  const insertExpectation = db.prepare(
    `INSERT INTO expectations (run_id, target, position, expression, metric, statistic, operator, dimension, value, ` +
      `threshold, p, status, baseline_run, change)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  )
  for (const target of results.targets) {
    insertTarget.run(
      id,
      target.id,
      target.title,
      target.validator,
      target.status,
      target.confidence,
      target.p,
      target.weight,
      Number(target.required),
      target.level,
      target.reason ?? null,
    )
    const collected = options.collected?.find((entry) => entry.id === target.id)
    const evidence = collected && 'evidence' in collected.collected ? collected.collected.evidence : undefined
    for (const summary of target.evidence?.metrics ?? []) {
      const metric = evidence?.metrics[summary.name]
      const samples = metric?.type === 'samples' ? metric : undefined
      insertMetric.run({
        ...Object.fromEntries(SUMMARY_COLUMNS.map((column) => [column, summary[column] ?? null])),
        dimension: summary.dimension,
        histogram: samples ? durationHistogram(samples, collected?.histograms?.[summary.name]) : null,
        n: summary.n,
        name: summary.name,
        run: id,
        samples: samples ? encodeSamples(keptSamples(samples.samples, [results.id, target.id, summary.name])) : null,
        seen: summary.seen ?? (summary.type === 'samples' ? summary.n : null),
        target: target.id,
        type: summary.type,
      })
    }

    for (const [position, expectation] of target.expectations.entries()) {
      insertExpectation.run(
        id,
        target.id,
        position,
        expectation.expression,
        expectation.metric,
        expectation.statistic,
        expectation.operator,
        expectation.dimension,
        expectation.value,
        expectation.threshold,
        expectation.p,
        expectation.status,
        expectation.baseline?.run ?? null,
        expectation.baseline?.change ?? null,
      )
    }
  }

  return id
}

function withTargets(db: Database, rows: Row[]): HistoryRun[] {
  const runs = rows.map(runOf)
  const byId = new Map(runs.map((run) => [run.id, run]))
  const ids = JSON.stringify(runs.map((run) => run.id))
  for (const row of db
    .prepare('SELECT * FROM targets WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY rowid')
    .all(ids) as Row[]) {
    byId.get(String(row.run_id))!.targets[String(row.target)] = {
      confidence: Number(row.confidence),
      level: row.level as 'error' | 'warn',
      metrics: {},
      p: nullableNumber(row.p),
      reason: nullableText(row.reason),
      required: Boolean(row.required),
      status: row.status as Status,
      weight: Number(row.weight),
    }
  }

  for (const row of db
    .prepare('SELECT * FROM metrics WHERE run_id IN (SELECT value FROM json_each(?)) ORDER BY rowid')
    .all(ids) as Row[]) {
    const summary = summaryOf(row)
    byId.get(String(row.run_id))!.targets[String(row.target)]!.metrics[summary.name] = summary
  }

  return runs
}

function runOf(row: Row): HistoryRun {
  return {
    branch: nullableText(row.branch),
    ci: Boolean(row.ci),
    commit: nullableText(row.git_commit),
    consensus: Number(row.consensus),
    dirty: row.dirty === null ? null : Boolean(row.dirty),
    durationMs: Number(row.duration_ms),
    finishedAt: String(row.finished_at),
    gate: String(row.gate),
    gateSha256: String(row.gate_sha256),
    id: String(row.id),
    interrupted: Boolean(row.interrupted),
    minConsensus: Number(row.min_consensus),
    outcome: row.outcome as Outcome,
    rule: Number(row.rule),
    shard: nullableText(row.shard),
    source: row.source as RunSource,
    sourceFile: nullableText(row.source_file),
    startedAt: String(row.started_at),
    targets: {},
    toolVersion: String(row.tool_version),
  }
}

function summaryOf(row: Row): MetricSummary {
  const summary: MetricSummary = {
    dimension: row.dimension as MetricSummary['dimension'],
    n: Number(row.n),
    name: String(row.metric),
    type: row.type as MetricSummary['type'],
  }
  if (row.seen !== null && row.type === 'samples') summary.seen = Number(row.seen)
  for (const column of SUMMARY_COLUMNS)
    if (row[column] !== null && row[column] !== undefined) summary[column] = Number(row[column])
  return summary
}

/**
 * The evidence a relative expectation compares with: the kept samples, the counts or the value; null for summaries only
 * (an imported file).
 */
function evidenceOf(row: Row, summary: MetricSummary): MetricEvidence | null {
  if (summary.type === 'samples') {
    if (!(row.samples instanceof Uint8Array)) return null
    const samples = decodeSamples(row.samples)
    const seen = summary.seen ?? summary.n
    return {dimension: summary.dimension, samples, type: 'samples', ...(seen === samples.length ? {} : {seen})}
  }

  if (summary.type === 'proportion')
    return summary.events === undefined || summary.trials === undefined
      ? null
      : {events: summary.events, trials: summary.trials, type: 'proportion'}
  return summary.value === undefined ? null : {dimension: summary.dimension, type: 'value', value: summary.value}
}

/** One run's targets with their metric summaries and kept evidence, as a baseline compares with them. */
function pinnedTargets(db: Database, run: string): Record<string, PinnedTarget> {
  const targets: Record<string, PinnedTarget> = {}
  for (const row of db.prepare('SELECT target, status FROM targets WHERE run_id = ? ORDER BY rowid').all(run) as Row[])
    targets[String(row.target)] = {metrics: {}, status: row.status as Status}
  for (const row of db.prepare('SELECT * FROM metrics WHERE run_id = ? ORDER BY rowid').all(run) as Row[]) {
    const summary = summaryOf(row)
    targets[String(row.target)]!.metrics[summary.name] = {evidence: evidenceOf(row, summary), summary}
  }

  return targets
}

/** Inserts the columns of `row` that `table` has: a baseline file names columns, and only known ones reach SQL. */
function insertRow(db: Database, table: 'metrics' | 'runs' | 'targets', row: Row): void {
  const known = new Set((db.prepare(`PRAGMA table_info(${table})`).all() as Row[]).map((column) => String(column.name)))
  const columns = Object.keys(row).filter((column) => known.has(column))
  db.prepare(
    `INSERT INTO ${table} (${columns.join(', ')}) VALUES (${columns.map((column) => `@${column}`).join(', ')})`,
  ).run(named(Object.fromEntries(columns.map((column) => [column, row[column]]))))
}

function baselineRecords(db: Database, where: string, parameters: SQLInputValue[]): BaselineRecord[] {
  const rows = db
    .prepare(
      `SELECT b.gate, b.name, b.run_id, b.saved_at, r.started_at, r.git_commit, r.branch, r.outcome, r.source FROM ` +
        `baselines b JOIN runs r ON r.id = b.run_id WHERE ${where} ORDER BY b.gate, b.name`,
    )
    .all(...parameters) as Row[]
  const pinned = db.prepare(
    `SELECT p.run_id FROM baseline_runs p JOIN runs r ON r.id = p.run_id WHERE p.gate = ? AND p.name = ?
     ORDER BY r.started_at DESC, r.id DESC`,
  )
  return rows.map((row) => ({
    branch: nullableText(row.branch),
    commit: nullableText(row.git_commit),
    gate: String(row.gate),
    name: String(row.name),
    outcome: row.outcome as Outcome,
    run: String(row.run_id),
    ...runsOf(pinned.all(String(row.gate), String(row.name)) as Row[], String(row.run_id)),
    savedAt: String(row.saved_at),
    source: row.source as RunSource,
    startedAt: String(row.started_at),
  }))
}

/** The pinned set, newest first; a baseline saved before sets existed (no rows) pins its run alone. */
function runsOf(rows: Row[], run: string): {runs: string[]; set: boolean} {
  return rows.length === 0 ? {runs: [run], set: false} : {runs: rows.map((row) => String(row.run_id)), set: true}
}

function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value)
}

function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value)
}
