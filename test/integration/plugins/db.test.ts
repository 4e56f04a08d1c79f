import {existsSync, mkdtempSync, readdirSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import Database from 'better-sqlite3'
import pg from 'pg'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeDbValidator} from '../../../plugins/db/src/db.js'
import {loadGate} from '../../../src/config/load.js'
import {evaluateGate} from '../../../src/engine/index.js'
import type {Evidence, GateEvaluation, TargetVerdict} from '../../../src/engine/types.js'
import * as api from '../../../src/index.js'
import type {Collected} from '../../../src/validators/evidence.js'
import {collectEvidence} from '../../../src/validators/runner.js'
import {closedPortUrl} from '../../fixtures/load-servers/servers.js'
import {measure, runContext, samplesOf, valueOf} from '../../helpers/evidence.js'
import {runGate} from '../helpers.js'
import {INITDB, type PostgresServer, startPostgres} from '../servers/postgres.js'
import {parseExpectation} from '../../../src/engine/expectation.js'

const db = makeDbValidator(api)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const SETTINGS = {confidence: 0.95, minConsensus: 0.85, resamples: 2000, seed: 1}

const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS bulk_events (run TEXT NOT NULL, session INTEGER NOT NULL, seq INTEGER NOT NULL, ' +
    'PRIMARY KEY (run, session, seq))',
  'CREATE TABLE IF NOT EXISTS session_events (run TEXT NOT NULL, session INTEGER NOT NULL, seq INTEGER NOT NULL, ' +
    'PRIMARY KEY (run, session, seq))',
]
const RUN_SESSION_SEQ = [{gen: 'run'}, {gen: 'session'}, {gen: 'iteration'}]

/** The storage shapes in small: upsert and get one key, a bulk batch, concurrent sessions; each write checked. */
function storage(url?: string): Record<string, unknown> {
  return {
    ...(url === undefined ? {} : {url}),
    scenarios: {
      set: {
        iterations: 50,
        params: [
          {gen: 'random_int', max: 100, min: 1},
          {gen: 'random_string', length: 16},
        ],
        statement: 'INSERT INTO kv (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      },
      // Scenarios run in the order written: get reads what set wrote.
      get: {
        iterations: 50,
        params: [{gen: 'random_int', max: 100, min: 1}],
        statement: 'SELECT value FROM kv WHERE key = $1',
      },
      bulk: {
        batch: 200,
        check: {equals: 600, params: [{gen: 'run'}], query: 'SELECT count(*) FROM bulk_events WHERE run = $1'},
        iterations: 3,
        params: RUN_SESSION_SEQ,
        statement: 'INSERT INTO bulk_events (run, session, seq) VALUES ($1, $2, $3)',
        transaction: true,
      },
      sessions: {
        check: {equals: 200, params: [{gen: 'run'}], query: 'SELECT count(*) FROM session_events WHERE run = $1'},
        concurrency: 20,
        iterations: 10,
        params: RUN_SESSION_SEQ,
        statements: [
          'INSERT INTO session_events (run, session, seq) VALUES ($1, $2, $3)',
          'SELECT count(*) FROM session_events WHERE run = $1 AND session = $2',
        ],
        transaction: true,
      },
    },
    setup: SCHEMA,
  }
}

function expectStorageEvidence(evidence: Evidence): void {
  const {metrics, notes} = evidence
  expect(samplesOf(metrics.set_latency)).toHaveLength(50)
  expect(samplesOf(metrics.get_latency)).toHaveLength(50)
  expect(samplesOf(metrics.bulk_latency)).toHaveLength(600)
  expect(samplesOf(metrics.bulk_duration)).toHaveLength(3)
  expect(samplesOf(metrics.sessions_latency)).toHaveLength(200)
  expect(valueOf(metrics.sessions_sessions)).toBe(20)
  // The control connection and one per session: 1 + 1 + 1 + 1 + 20.
  expect(samplesOf(metrics.connect_latency)).toHaveLength(24)
  expect(valueOf(metrics.errors)).toBe(0)
  expect(valueOf(metrics.consistency_violations)).toBe(0)
  expect(notes).toContain(
    'scenario bulk: check SELECT count(*) FROM bulk_events WHERE run = $1 returned 600, as expected',
  )
  expect(notes).toContain(
    'scenario sessions: check SELECT count(*) FROM session_events WHERE run = $1 returned 200, as expected',
  )
  expect(notes?.join('\n')).toMatch(
    new RegExp(
      String.raw`scenario sessions: 20 of 20 sessions ran every operation without an error; 20 connected, each on ` +
        String.raw`its own connection`,
    ),
  )
}

function judge(collected: Collected, expectations: string[]): TargetVerdict {
  return evaluateGate(SETTINGS, [
    {
      collected,
      expectations: expectations.map((text) => parseExpectation(text)),
      id: 't',
      level: 'error',
      required: true,
      title: 'T',
      validator: 'db',
      weight: 1,
    },
  ]).targets[0]!
}

const statusOf = (target: TargetVerdict, expression: string): string | undefined =>
  target.expectations.find((verdict) => verdict.expression === expression)?.status

/** Every db target of gates/storage.yaml, collected and judged as `gate check storage [--arg db=…]` would. */
async function runExample(args: Record<string, string> = {}): Promise<GateEvaluation> {
  const gate = loadGate(path.join(ROOT, 'gates/storage.yaml'), {args, cwd: ROOT, env: {}})
  const inputs = []
  for (const target of gate.targets.filter(({validator}) => validator === 'db')) {
    const collected = await collectEvidence(
      db,
      target.with,
      runContext({gateDir: gate.dir, target: {id: target.id, title: target.title}, timeoutMs: target.timeoutMs}),
    )
    inputs.push({
      collected,
      expectations: target.expect,
      id: target.id,
      level: target.level,
      required: target.required,
      title: target.title,
      validator: target.validator,
      weight: target.weight,
    })
  }

  return evaluateGate(gate.decision, inputs)
}

/**
 * What must hold of the example gate on any machine: every expectation measured (none NO_DATA), no
 * driver error, no violation, every session completed. Latency thresholds are the gate's business:
 * a slow machine may miss them, and a test asserts no timing.
 */
function expectMeasuredCleanly(evaluation: GateEvaluation): void {
  const problems = evaluation.targets.flatMap((target) =>
    target.expectations
      .filter(
        (verdict) =>
          verdict.value === null || (/errors|violations|sessions/.test(verdict.metric) && verdict.status !== 'PASS'),
      )
      .map((verdict) => {
        const [notes, reason] = [target.evidence?.notes.join('; ') ?? target.reason, verdict.reason ?? '']
        return `${target.id}: ${verdict.expression} is ${verdict.status} at ${verdict.value} ${reason} ${notes}`
      }),
  )
  expect(problems).toEqual([])
  expect(evaluation.targets.map(({id}) => id)).toEqual([
    'state-single-ops',
    'state-bulk',
    'concurrent-sessions',
    'state-query-update',
    'session-lifecycle',
    'store-startup',
  ])
}

/** The lost-write scenario: slots collide and ON CONFLICT DO NOTHING drops the second write, silently. */
const lossy = {
  scenarios: {
    record: {
      check: {equals: 50, params: [{gen: 'run'}], query: 'SELECT count(*) FROM ledger WHERE run = $1'},
      concurrency: 5,
      iterations: 10,
      params: [{gen: 'run'}, {gen: 'random_int', max: 10, min: 1}],
      statement: 'INSERT INTO ledger (run, slot) VALUES ($1, $2) ON CONFLICT DO NOTHING',
    },
  },
  setup: 'CREATE TABLE IF NOT EXISTS ledger (run TEXT NOT NULL, slot INTEGER NOT NULL, PRIMARY KEY (run, slot))',
}

/** A scenario against a misspelt table, next to one that works. */
const misspelt = {
  scenarios: {
    get: {params: ['k'], statement: 'SELECT value FROM kv WHERE key = $1'},
    write: {iterations: 5, params: [{gen: 'uuid'}], statement: 'INSERT INTO sesions (id) VALUES ($1)'},
  },
  setup: SCHEMA,
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await condition()) return true
    await sleep(50)
  }

  return condition()
}

const temporaryDatabases = (): string[] => readdirSync(os.tmpdir()).filter((name) => name.startsWith('phasegate-db-'))
const threadCount = (): number => readdirSync('/proc/self/task').length

describe('db validator on SQLite', () => {
  let dir: string
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-dbtest-'))
  })
  afterAll(() => rmSync(dir, {force: true, recursive: true}))

  it('runs the storage scenarios on a temporary file with no set-up, and removes the file after', async () => {
    const before = temporaryDatabases()
    let during: string[] = []
    const evidence = await measure(db, storage(), {
      progress() {
        during = temporaryDatabases()
      },
    })
    expectStorageEvidence(evidence)
    expect(evidence.source).toBe('db: 4 scenarios on sqlite: a temporary database file, removed after the run')
    expect(during.filter((name) => !before.includes(name))).toHaveLength(1)
    expect(temporaryDatabases()).toEqual(before)
  })

  it('makes a SQL error evidence: counted, quoted with its message, and NO_DATA for the failed scenario', async () => {
    const collected = await collectEvidence(db, misspelt, runContext())
    expect('evidence' in collected).toBe(true)
    const {evidence} = collected as {evidence: Evidence}
    expect(valueOf(evidence.metrics.errors)).toBe(5)
    expect(evidence.metrics.write_latency).toBeUndefined()
    expect(evidence.notes).toContain('scenario write: SQLITE_ERROR: no such table: sesions (statement 1, iteration 0)')
    expect(evidence.notes).toContain(
      'scenario write: none of 5 operations succeeded on 1 connection, so write_latency has no samples',
    )
    const target = judge(collected, ['p95(write_latency) < 10ms', 'p95(get_latency) < 10ms', 'errors == 0'])
    expect(statusOf(target, 'errors == 0')).toBe('FAIL')
    expect(statusOf(target, 'p95(write_latency) < 10ms')).toBe('NO_DATA')
    expect(statusOf(target, 'p95(get_latency) < 10ms')).toBe('PASS')
    expect(target.status).not.toBe('PASS')
  })

  it('finds the writes a scenario loses, with expected and actual in the notes', async () => {
    const collected = await collectEvidence(db, lossy, runContext())
    const {evidence} = collected as {evidence: Evidence}
    expect(valueOf(evidence.metrics.consistency_violations)).toBe(1)
    expect(valueOf(evidence.metrics.errors)).toBe(0)
    expect(evidence.notes?.join('\n')).toMatch(
      new RegExp(
        String.raw`scenario record: consistency violation: SELECT count\(\*\) FROM ledger WHERE run = \$1 returned ` +
          String.raw`([1-9]|10), expected 50`,
      ),
    )
    expect(statusOf(judge(collected, ['consistency_violations == 0']), 'consistency_violations == 0')).toBe('FAIL')
  })

  it('runs its sessions at once: without a busy timeout, writers collide', async () => {
    const writers = (busyTimeout: string): Record<string, unknown> => ({
      busy_timeout: busyTimeout,
      scenarios: {
        write: {
          batch: 1000,
          check: {
            equals: 8 * 5 * 1000,
            params: [{gen: 'run'}],
            query: 'SELECT count(*) FROM bulk_events WHERE run = $1',
          },
          concurrency: 8,
          iterations: 5,
          params: RUN_SESSION_SEQ,
          statement: 'INSERT INTO bulk_events (run, session, seq) VALUES ($1, $2, $3)',
          transaction: true,
        },
      },
      setup: SCHEMA,
    })
    // Sessions that took turns would never find the database locked.
    const colliding = await measure(db, writers('0s'))
    expect(valueOf(colliding.metrics.errors)).toBeGreaterThan(0)
    expect(colliding.notes?.join('\n')).toMatch(
      /scenario write: SQLITE_BUSY: database is locked \(BEGIN\/COMMIT, session \d, iteration \d+\)/,
    )
    // With busy_timeout they wait for the lock instead, and every write lands.
    const waiting = await measure(db, writers('5s'))
    expect(valueOf(waiting.metrics.errors)).toBe(0)
    expect(valueOf(waiting.metrics.write_sessions)).toBe(8)
    expect(valueOf(waiting.metrics.consistency_violations)).toBe(0)
    expect(waiting.notes).toContain(
      'scenario write: 8 of 8 sessions ran every operation without an error; 8 connected, each on its own ' +
        'connection and thread; up to 8 operations were in flight at once',
    )
  })

  it('stops when interrupted: ends its threads, runs teardown, keeps a file it was given', async () => {
    const controller = new AbortController()
    const baseline = threadCount()
    let threadsDuring = 0
    const options = {
      scenarios: {
        write: {
          concurrency: 4,
          iterations: 100_000,
          params: RUN_SESSION_SEQ,
          statement: 'INSERT INTO bulk_events (run, session, seq) VALUES ($1, $2, $3)',
        },
      },
      setup: SCHEMA,
      teardown: 'CREATE TABLE teardown_ran (x)',
      url: 'interrupted.sqlite',
    }
    const outcome = await collectEvidence(
      db,
      options,
      runContext({
        gateDir: dir,
        progress() {
          threadsDuring = threadCount()
          controller.abort()
        },
        signal: controller.signal,
      }),
    )
    expect(outcome).toEqual({noData: 'interrupted'})
    expect(threadsDuring).toBeGreaterThanOrEqual(baseline + 4)
    const file = path.join(dir, 'interrupted.sqlite')
    const tornDown = (): boolean => {
      const check = new Database(file, {readonly: true})
      try {
        return check.prepare("SELECT name FROM sqlite_master WHERE name = 'teardown_ran'").get() !== undefined
      } finally {
        check.close()
      }
    }

    // The runner answers at once; the validator's clean-up finishes behind it.
    expect(await waitFor(() => tornDown() && threadCount() <= threadsDuring - 4, 10_000)).toBe(true)
    expect(existsSync(file)).toBe(true)
  })

  it('refuses bad options with messages that say what to change', async () => {
    const get = {get: {statement: 'SELECT 1'}}
    expect(await collectEvidence(db, {driver: 'mysql', scenarios: get}, runContext())).toEqual({
      noData: expect.stringMatching(
        /^validator db rejected its options: option "driver" is "mysql"; it must be one of: sqlite, postgres/,
      ),
    })
    expect(
      await collectEvidence(
        db,
        {scenarios: {set: {params: [1], statement: 'INSERT INTO kv VALUES ($1, $2)'}}},
        runContext(),
      ),
    ).toEqual({
      noData:
        'validator db failed: scenario set: the statement uses $2 but there is 1 params value ($1); give one params ' +
        'entry per placeholder $1, $2, …',
    })
    expect(await collectEvidence(db, {driver: 'postgres', scenarios: get}, runContext())).toEqual({
      noData:
        'validator db failed: driver postgres needs url: a connection URL such as ' +
        'postgres://user:password@127.0.0.1:5432/dbname',
    })
    expect(await collectEvidence(db, {scenarios: get, setup: 'CREAT TABLE t (x)'}, runContext())).toEqual({
      noData: 'validator db failed: setup statement 1 failed: SQLITE_ERROR: near "CREAT": syntax error',
    })
    expect(
      await collectEvidence(db, {scenarios: get, url: path.join(dir, 'missing-dir', 'x.sqlite')}, runContext()),
    ).toEqual({
      noData: expect.stringMatching(/^validator db failed: cannot open SQLite database .*missing-dir\/x\.sqlite: /),
    })
  })

  it('measures every target of the storage example gate, with no error and no violation', async () => {
    expectMeasuredCleanly(await runExample())
  })
})

describe.skipIf(!INITDB)('db validator on PostgreSQL', () => {
  let server: PostgresServer
  beforeAll(async () => {
    server = await startPostgres()
  })
  afterAll(async () => {
    await server?.stop()
  })

  const activeSessions = async (): Promise<number> => {
    const client = new pg.Client({connectionString: server.url})
    await client.connect()
    try {
      const {rows} = await client.query(
        "SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'phasegate'",
      )
      return (rows[0] as {n: number}).n
    } finally {
      await client.end()
    }
  }

  it('runs the same storage scenarios, each session on its own backend', async () => {
    const evidence = await measure(db, storage(server.urlWithPassword))
    expectStorageEvidence(evidence)
    expect(evidence.source).toBe(
      `db: 4 scenarios on postgres: postgres://postgres:***@127.0.0.1:${server.port}/${server.database}`,
    )
    expect(await activeSessions()).toBe(0)
  })

  it("makes a SQL error evidence, with PostgreSQL's code and message", async () => {
    const collected = await collectEvidence(db, {...misspelt, url: server.url}, runContext())
    const {evidence} = collected as {evidence: Evidence}
    expect(valueOf(evidence.metrics.errors)).toBe(5)
    expect(evidence.notes).toContain(
      'scenario write: ERROR 42P01: relation "sesions" does not exist (statement 1, iteration 0)',
    )
    const target = judge(collected, ['p95(write_latency) < 10ms', 'errors == 0'])
    expect(statusOf(target, 'errors == 0')).toBe('FAIL')
    expect(statusOf(target, 'p95(write_latency) < 10ms')).toBe('NO_DATA')
  })

  it('finds the writes a scenario loses', async () => {
    const {metrics, notes} = await measure(db, {...lossy, url: server.url})
    expect(valueOf(metrics.consistency_violations)).toBe(1)
    expect(notes?.join('\n')).toMatch(
      /consistency violation: SELECT count\(\*\) FROM ledger WHERE run = \$1 returned ([1-9]|10), expected 50/,
    )
  })

  it('holds N connections at once: every session sees all of them open', async () => {
    const {metrics, notes} = await measure(db, {
      scenarios: {
        seen: {
          // 12 distinct backends, each of which saw the 12 sessions and the control connection connected.
          check: {
            equals: 12,
            params: [{gen: 'run'}],
            query: 'SELECT count(DISTINCT pid) FROM seen WHERE run = $1 AND backends >= 13',
          },
          concurrency: 12,
          iterations: 3,
          params: [{gen: 'run'}],
          statement:
            'INSERT INTO seen (run, pid, backends) SELECT $1, pg_backend_pid(), count(*) FROM pg_stat_activity ' +
            "WHERE datname = current_database() AND application_name = 'phasegate'",
        },
      },
      setup: 'CREATE TABLE IF NOT EXISTS seen (run TEXT NOT NULL, pid INTEGER NOT NULL, backends INTEGER NOT NULL)',
      url: server.url,
    })
    expect(valueOf(metrics.consistency_violations)).toBe(0)
    expect(valueOf(metrics.seen_sessions)).toBe(12)
    expect(notes).toContain(
      'scenario seen: check SELECT count(DISTINCT pid) FROM seen WHERE run = $1 AND backends >= 13 returned 12, as ' +
        'expected',
    )
  })

  it("is NO_DATA with the driver's message and the password redacted when it cannot connect", async () => {
    const closed = new URL(await closedPortUrl())
    const unreachable = `postgres://app:s3cret-pw@127.0.0.1:${closed.port}/app`
    const refused = await collectEvidence(
      db,
      {scenarios: {get: {statement: 'SELECT 1'}}, url: unreachable},
      runContext(),
    )
    expect(refused).toEqual({
      noData:
        `validator db failed: cannot connect to postgres://app:***@127.0.0.1:${closed.port}/app: connect ` +
        `ECONNREFUSED 127.0.0.1:${closed.port}`,
    })
    const missing = await collectEvidence(
      db,
      {scenarios: {get: {statement: 'SELECT 1'}}, url: server.urlWithPassword.replace(/\/\w+$/, '/nope')},
      runContext(),
    )
    expect(missing).toEqual({
      noData:
        `validator db failed: cannot connect to postgres://postgres:***@127.0.0.1:${server.port}/nope: FATAL ` +
        `3D000: database "nope" does not exist`,
    })
  })

  it('stops statements in flight when interrupted, closes every connection and still runs teardown', async () => {
    const controller = new AbortController()
    const collecting = collectEvidence(
      db,
      {
        scenarios: {wait: {concurrency: 3, iterations: 2, statement: 'SELECT pg_sleep(30)'}},
        teardown: 'CREATE TABLE IF NOT EXISTS teardown_ran ()',
        url: server.url,
      },
      runContext({signal: controller.signal}),
    )
    // Once the control connection and the three sessions are connected; the sessions then sleep.
    expect(await waitFor(async () => (await activeSessions()) === 4, 10_000)).toBe(true)
    controller.abort()
    expect(await collecting).toEqual({noData: 'interrupted'})
    // Backends left in pg_sleep(30) would stay for half a minute: gone sooner means their statements were cancelled.
    expect(await waitFor(async () => (await activeSessions()) === 0, 10_000)).toBe(true)
    const client = new pg.Client({connectionString: server.url})
    await client.connect()
    try {
      expect((await client.query("SELECT to_regclass('teardown_ran') IS NOT NULL AS ran")).rows).toEqual([{ran: true}])
    } finally {
      await client.end()
    }
  })

  it('measures every target of the storage example gate with --arg db=postgres://…', async () => {
    expectMeasuredCleanly(await runExample({db: server.url}))
  })

  it(
    '`gate check storage --arg db=postgres://…` measures every target of the shipped gate on PostgreSQL, password ' +
      'kept out',
    async () => {
      const r = await runGate(['check', 'storage', '--json', '--arg', `db=${server.urlWithPassword}`], {
        cwd: ROOT,
        timeoutMs: 240_000,
      })
      expect([0, 1, 3]).toContain(r.code)
      const results = JSON.parse(r.stdout)
      expect(results.gate.args.db).toMatch(/^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:/)
      expect(results.targets.map((target: {status: string}) => target.status)).not.toContain('NO_DATA')
      const password = new URL(server.urlWithPassword).password
      expect(`${r.stdout}${r.stderr}`).not.toContain(password)
    },
    300_000,
  )
})
