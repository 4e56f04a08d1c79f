// better-sqlite3, a SQLite apart from the one the history uses (node:sqlite), reads and writes the files as another
// program would.
import Database from 'better-sqlite3'
import {spawnSync} from 'node:child_process'
import {DatabaseSync} from 'node:sqlite'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {UserError} from '../../../src/errors.js'
import {historyFile, openHistory, recordHistory} from '../../../src/history/index.js'
import {APPLICATION_ID, MIGRATIONS, migrate, SCHEMA_VERSION} from '../../../src/history/schema.js'
import {pragma} from '../../../src/history/sqlite.js'
import {makeRun} from './fixtures.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

let cwd: string
let file: string
beforeEach(() => {
  cwd = mkdtempSync(path.join(os.tmpdir(), 'phasegate-history-'))
  file = historyFile(cwd)
  mkdirSync(path.dirname(file), {recursive: true})
})
afterEach(() => rmSync(cwd, {force: true, recursive: true}))

function refusal(open: () => unknown): UserError {
  try {
    open()
  } catch (error) {
    expect(error).toBeInstanceOf(UserError)
    return error as UserError
  }

  throw new Error('expected the history to be refused')
}

describe('opening .gate/history.db', () => {
  it("creates a new history at the current schema, in WAL mode, marked as phasegate's", () => {
    openHistory(cwd).close()
    const db = new Database(file, {readonly: true})
    expect(db.pragma('user_version', {simple: true})).toBe(SCHEMA_VERSION)
    expect(db.pragma('application_id', {simple: true})).toBe(APPLICATION_ID)
    expect(db.pragma('journal_mode', {simple: true})).toBe('wal')
    const tables = (
      db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as Array<{name: string}>
    ).map((row) => row.name)
    expect(tables).toEqual(['baseline_runs', 'baselines', 'expectations', 'metrics', 'runs', 'targets'])
    db.close()
  })

  it('does not create a history for a reader: queries are empty', () => {
    rmSync(path.dirname(file), {force: true, recursive: true})
    const history = openHistory(cwd, {create: false})
    expect(history.runs('shop')).toEqual([])
    expect(history.baseline('shop', 'main')).toBeNull()
    expect(history.series('shop', 'api', 'latency')).toEqual([])
    history.close()
    expect(() => readFileSync(file)).toThrow(/ENOENT/)
  })

  it('upgrades a v1 history with rows to the current schema and keeps every row', () => {
    const v1 = new Database(file)
    v1.exec(MIGRATIONS[0]!.sql)
    v1.pragma('user_version = 1')
    v1.prepare(
      `INSERT INTO runs (id, gate, gate_title, gate_file, gate_sha256, started_at, finished_at, duration_ms, ` +
        `git_commit, branch, dirty, ci, outcome, rule, consensus, min_consensus, interrupted, shard, tool_version, ` +
        `source, source_file, recorded_at)
       VALUES ('shop-1', 'shop', 'Shop', 'gates/shop.yaml', 'ab',
         '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:10.000Z', 10000, 'c0ffee0', 'main', 0, 1, 'PROCEED', 4,
         0.97, 0.8, 0, NULL, '0.0.9', 'run', NULL, '2026-01-01T00:00:11.000Z')`,
    ).run()
    v1.prepare(
      `INSERT INTO targets VALUES ('shop-1', 'api', 'API', 'http', 'PASS', 0.99, 0.99, 1, 1, 'error', NULL)`,
    ).run()
    v1.prepare(
      `INSERT INTO metrics (run_id, target, metric, type, dimension, n, seen, p95) VALUES ('shop-1', 'api', ` +
        `'latency', 'samples', 'duration', 3, 3, 12.5)`,
    ).run()
    v1.prepare(`INSERT INTO baselines VALUES ('shop', 'main', 'shop-1', '2026-01-02T00:00:00.000Z')`).run()
    v1.close()

    const history = openHistory(cwd)
    const [run] = history.runs('shop')
    expect(run).toMatchObject({
      branch: 'main',
      commit: 'c0ffee0',
      consensus: 0.97,
      id: 'shop-1',
      outcome: 'PROCEED',
      toolVersion: '0.0.9',
    })
    expect(run!.targets.api!.metrics.latency).toMatchObject({p95: 12.5, type: 'samples'})
    expect(history.baseline('shop', 'main')).toMatchObject({
      run: 'shop-1',
      targets: {api: {metrics: {latency: {evidence: null}}, status: 'PASS'}},
    })
    // The upgraded history takes new runs with every table the current schema has.
    const {collected, results} = makeRun()
    history.record(results, collected)
    expect(history.runs('shop').map((r) => r.id)).toEqual([results.id, 'shop-1'])
    history.close()
    const db = new Database(file, {readonly: true})
    expect(db.pragma('user_version', {simple: true})).toBe(SCHEMA_VERSION)
    expect((db.prepare('SELECT count(*) AS n FROM expectations').get() as {n: number}).n).toBe(4)
    db.close()
  })

  it(
    'rolls a failing migration step back whole: the version and the earlier steps of the batch are not ' + 'applied',
    () => {
      const db = new DatabaseSync(file)
      migrate(db, MIGRATIONS.slice(0, 1))
      const steps = [
        ...MIGRATIONS.slice(0, 1),
        {description: 'adds a table', sql: 'CREATE TABLE extra (x)'},
        {description: 'fails', sql: 'CREATE TABLE broken (x'},
      ]
      expect(() => migrate(db, steps)).toThrow(/syntax|incomplete/)
      expect(pragma(db, 'user_version')).toBe(1)
      expect({...db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE name = 'extra'").get()}).toEqual({n: 0})
      db.close()
    },
  )

  it('refuses a history written by a newer phasegate, naming the file, and leaves it untouched', () => {
    const db = new DatabaseSync(file)
    migrate(db)
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`)
    db.close()
    const before = readFileSync(file)
    const error = refusal(() => openHistory(cwd))
    expect(error.message).toMatch(/\.gate\/history\.db was written by a newer phasegate/)
    expect(error.message).toMatch(/upgrade phasegate/)
    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it('refuses a file that is not a database, naming it and what to do, and never overwrites it', () => {
    writeFileSync(file, 'these are not the pages you are looking for\n'.repeat(100))
    const before = readFileSync(file)
    for (const create of [true, false]) {
      const error = refusal(() => openHistory(cwd, {create}))
      expect(error.message).toMatch(/^\.gate\/history\.db is damaged or not a database/)
      expect(error.message).toMatch(/move it aside \(e\.g\. mv \.gate\/history\.db \.gate\/history\.db\.broken\)/)
    }

    expect(readFileSync(file).equals(before)).toBe(true)
  })

  it("refuses another program's SQLite database at that path", () => {
    const db = new Database(file)
    db.exec('CREATE TABLE notes (text)')
    db.close()
    expect(refusal(() => openHistory(cwd)).message).toMatch(
      /an SQLite database but not a phasegate history: move it aside/,
    )
  })

  it('reports a history damaged inside (valid header, broken pages) as a user error when it is read', () => {
    const history = openHistory(cwd)
    for (let i = 0; i < 20; i++)
      history.record(makeRun({startedAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString()}).results)
    history.close()
    // Checkpointed into the main file (WAL off), then every page after the first overwritten.
    const db = new Database(file)
    db.pragma('journal_mode = DELETE')
    db.close()
    const bytes = readFileSync(file)
    expect(bytes.length).toBeGreaterThan(8192)
    bytes.fill(0x5a, 4096)
    writeFileSync(file, bytes)
    const error = refusal(() => {
      const damaged = openHistory(cwd, {create: false})
      try {
        damaged.runs('shop')
      } finally {
        damaged.close()
      }
    })
    expect(error.message).toMatch(/^\.gate\/history\.db is damaged or not a database/)
  })

  it('a history locked by another process past the timeout costs one warning, not the run', () => {
    openHistory(cwd).close()
    // Through the same SQLite as the history's: two SQLite libraries in one process do not see each other's locks.
    const holder = new DatabaseSync(file)
    holder.exec('BEGIN EXCLUSIVE')
    try {
      const warnings: string[] = []
      const {collected, results} = makeRun()
      expect(recordHistory(results, collected, cwd, (line) => warnings.push(line))).toBeNull()
      expect(warnings).toEqual([
        `warning: run ${results.id} was not recorded in the history (its results file is saved): .gate/history.db ` +
          `stayed locked by another process for over 5 s: try again when it is done.`,
      ])
    } finally {
      holder.exec('ROLLBACK')
      holder.close()
    }
  })

  it('a history that cannot take a run costs one warning naming the file, not the run', () => {
    writeFileSync(file, 'garbage')
    const warnings: string[] = []
    const {collected, results} = makeRun()
    expect(recordHistory(results, collected, cwd, (line) => warnings.push(line))).toBeNull()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(
      new RegExp(
        `^warning: run ${results.id} was not recorded in the history \\(its results file is saved\\): ` +
          `\\.gate/history\\.db is damaged`,
      ),
    )
  })
})

describe("the history's SQLite (node:sqlite)", () => {
  // Node 22 calls node:sqlite experimental as it loads it; gate's user is told nothing by that (CI runs this on 22).
  it('loads without a warning, other warnings still shown', () => {
    const lazy = pathToFileURL(path.join(ROOT, 'dist', 'lazy.js')).href
    const script =
      `const {nodeSqlite} = await import(${JSON.stringify(lazy)}); nodeSqlite(); ` +
      "process.emitWarning('still shown'); new (nodeSqlite().DatabaseSync)(':memory:').close()"
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8'})
    expect(child.status, child.stderr).toBe(0)
    expect(child.stderr).not.toMatch(/SQLite/)
    expect(child.stderr).toMatch(/Warning: still shown/)
  })
})
