import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'

import {makeDbValidator} from '../../../plugins/db/src/db.js'
import {compileParams, SeededRandom, type ParamSpec} from '../../../plugins/db/src/params.js'
import {hashSeed, Random} from '../../../src/engine/random.js'
import {metricSpecsOf, planScenarios, redactUrl, resolveTarget} from '../../../plugins/db/src/plan.js'
import {sameValue} from '../../../plugins/db/src/run.js'
import {loadGate} from '../../../src/config/load.js'
import * as api from '../../../src/index.js'
import {checkTargetOptions, resolveOptions} from '../../../src/validators/options.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const db = makeDbValidator(api)
const problemsOf = (options: unknown): string[] =>
  resolveOptions(db, options).problems.map(({hint, message}) => (hint ? `${message} (${hint})` : message))

describe('db: which database', () => {
  it(
    'infers the driver from the url: postgres:// and postgresql:// are PostgreSQL, anything else a SQLite ' + 'file',
    () => {
      expect(resolveTarget({url: 'postgres://u:pw@127.0.0.1:5432/app'}, '/g')).toEqual({
        driver: 'postgres',
        redactedUrl: 'postgres://u:***@127.0.0.1:5432/app',
        url: 'postgres://u:pw@127.0.0.1:5432/app',
      })
      expect(resolveTarget({url: 'postgresql://127.0.0.1/app'}, '/g')).toMatchObject({driver: 'postgres'})
      expect(resolveTarget({url: 'state.db'}, '/g')).toEqual({driver: 'sqlite', file: '/g/state.db'})
      expect(resolveTarget({url: 'sqlite:data/state.db'}, '/g')).toEqual({driver: 'sqlite', file: '/g/data/state.db'})
      expect(resolveTarget({url: '/abs/state.db'}, '/g')).toEqual({driver: 'sqlite', file: '/abs/state.db'})
    },
  )

  it('uses a temporary SQLite file when url is omitted or empty (a gate argument defaulting to "")', () => {
    expect(resolveTarget({}, '/g')).toEqual({driver: 'sqlite', file: undefined})
    expect(resolveTarget({url: '  '}, '/g')).toEqual({driver: 'sqlite', file: undefined})
    expect(resolveTarget({driver: 'sqlite'}, '/g')).toEqual({driver: 'sqlite', file: undefined})
  })

  it('says which of driver and url to change when they disagree', () => {
    expect(() => resolveTarget({driver: 'postgres'}, '/g')).toThrow(
      'driver postgres needs url: a connection URL such as postgres://user:password@127.0.0.1:5432/dbname',
    )
    expect(() => resolveTarget({driver: 'postgres', url: 'state.db'}, '/g')).toThrow(
      'driver is postgres but url "state.db" is not a postgres:// or postgresql:// URL',
    )
    expect(() => resolveTarget({driver: 'sqlite', url: 'postgres://u:pw@h/db'}, '/g')).toThrow(
      'driver is sqlite but url is a PostgreSQL URL (postgres://u:***@h/db); leave driver out to use PostgreSQL, or ' +
        'give a SQLite file path',
    )
    expect(() => resolveTarget({url: 'mysql://root:pw@h/db'}, '/g')).toThrow(
      'url "mysql://root:***@h/db" is neither a PostgreSQL URL (postgres://…) nor a SQLite file path; the db ' +
        'validator speaks sqlite and postgres',
    )
    expect(() => resolveTarget({url: ':memory:'}, '/g')).toThrow(
      /in-memory SQLite database is private to one; leave url out/,
    )
  })

  it('redacts passwords in the authority and in a password parameter', () => {
    expect(redactUrl('postgres://app:hunter2@db:5432/x?sslmode=require')).toBe(
      'postgres://app:***@db:5432/x?sslmode=require',
    )
    expect(redactUrl('postgres://db/x?user=app&password=hunter2')).toBe('postgres://db/x?user=app&password=***')
    expect(redactUrl('postgres://app@db/x')).toBe('postgres://app@db/x')
  })
})

describe('db: scenarios', () => {
  it('settles defaults: 100 operations, or 10 batches when batch is set; no warm-up; one session', () => {
    const [single, bulk] = planScenarios({
      scenarios: {bulk: {batch: 1000, statement: 'INSERT INTO t VALUES (1)'}, single: {statement: 'SELECT 1'}},
    }).sort((a, b) => b.name.localeCompare(a.name))
    expect(single).toMatchObject({batch: undefined, concurrency: 1, iterations: 100, transaction: false, warmup: 0})
    expect(bulk).toMatchObject({batch: 1000, iterations: 10})
  })

  it('refuses a scenario without exactly one of statement and statements', () => {
    expect(() => planScenarios({scenarios: {s: {}}})).toThrow(
      'scenario s: give either statement (one SQL statement) or statements (a list run in order as one operation), ' +
        'not neither',
    )
    expect(() => planScenarios({scenarios: {s: {statement: 'SELECT 1', statements: ['SELECT 2']}}})).toThrow(
      /not both$/,
    )
  })

  it('refuses placeholders that do not match params, in statements and in checks', () => {
    expect(() => planScenarios({scenarios: {set: {params: [1], statement: 'INSERT INTO kv VALUES ($1, $2)'}}})).toThrow(
      'scenario set: the statement uses $2 but there is 1 params value ($1); give one params entry per placeholder ' +
        '$1, $2, …',
    )
    expect(() =>
      planScenarios({
        scenarios: {s: {check: {equals: 1, params: [1], query: 'SELECT count(*) FROM t'}, statement: 'SELECT 1'}},
      }),
    ).toThrow(/^scenario s: check: params has 1 value but no statement uses \$1/)
  })

  it('keeps the name connect for connect_latency, and SQLite sessions to what threads allow', () => {
    expect(() => planScenarios({scenarios: {connect: {statement: 'SELECT 1'}}})).toThrow(
      'scenario connect: the name is taken by connect_latency; call it something else',
    )
    expect(() => planScenarios({scenarios: {s: {concurrency: 500, statement: 'SELECT 1'}}}, 'sqlite')).toThrow(
      /concurrency 500 is above 128/,
    )
    expect(planScenarios({scenarios: {s: {concurrency: 500, statement: 'SELECT 1'}}}, 'postgres')[0]?.concurrency).toBe(
      500,
    )
  })

  it('names its metrics after the scenarios: _duration for batches, _sessions for concurrency', () => {
    const names = metricSpecsOf({
      scenarios: {
        bulk: {batch: 10, statement: 'SELECT 1'},
        get: {statement: 'SELECT 1'},
        many: {concurrency: 5, statement: 'SELECT 1'},
      },
    }).map(({name}) => name)
    expect(names).toEqual([
      'bulk_latency',
      'bulk_duration',
      'get_latency',
      'many_latency',
      'many_sessions',
      'connect_latency',
      'errors',
      'consistency_violations',
    ])
  })
})

describe('db: parameters', () => {
  const source = (seed = 'a'): {random: SeededRandom; runId: string} => ({
    random: new SeededRandom(new Random(hashSeed(1, seed))),
    runId: 'run-1',
  })

  it('binds constants, the iteration, the session and the run', () => {
    const make = compileParams(['x', 2, true, null, {gen: 'iteration'}, {gen: 'session'}, {gen: 'run'}], 'scenario s')
    expect(make({iteration: 7, session: 3}, source())).toEqual(['x', 2, true, null, 7, 3, 'run-1'])
  })

  it('draws seeded random ints and strings: in range, and the same for the same seed', () => {
    const specs: ParamSpec[] = [
      {gen: 'random_int', max: 3, min: 1},
      {gen: 'random_string', length: 12},
    ]
    const make = compileParams(specs, 'scenario s')
    const draw = (seed: string): unknown[][] => {
      const from = source(seed)
      return Array.from({length: 200}, (_, iteration) => make({iteration, session: 0}, from))
    }

    const values = draw('a')
    expect(new Set(values.map(([n]) => n))).toEqual(new Set([1, 2, 3]))
    expect(values.every(([, text]) => /^[A-Za-z0-9]{12}$/.test(text as string))).toBe(true)
    expect(draw('a')).toEqual(values)
    expect(draw('b')).not.toEqual(values)
  })

  it('gives a new UUID every time', () => {
    const make = compileParams([{gen: 'uuid'}], 'scenario s')
    const ids = Array.from({length: 100}, (_, iteration) => make({iteration, session: 0}, source())[0])
    expect(new Set(ids).size).toBe(100)
    expect(ids[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
  })

  it('says what a generator lacks or does not take', () => {
    expect(() => compileParams([{gen: 'random_int', min: 1}], 'scenario s')).toThrow(
      'scenario s: params[0]: {gen: random_int} needs min and max, e.g. {gen: random_int, min: 1, max: 1000}',
    )
    expect(() => compileParams([1, {gen: 'random_int', max: 1, min: 2}], 'scenario s')).toThrow(
      'scenario s: params[1]: random_int min 2 is above max 1',
    )
    expect(() => compileParams([{gen: 'random_string'}], 'scenario s')).toThrow(/needs length/)
    expect(() => compileParams([{gen: 'iteration', max: 3}], 'scenario s')).toThrow(
      'scenario s: params[0]: {gen: iteration} takes no max',
    )
  })
})

describe('db: checks compare what the driver returns with the value stated', () => {
  it('compares numbers by value (PostgreSQL sends count(*) as text) and booleans by truth (SQLite has 0 and 1)', () => {
    expect(sameValue(1000, '1000')).toBe(true)
    expect(sameValue(1000, 1000)).toBe(true)
    expect(sameValue(1000, '999')).toBe(false)
    expect(sameValue(true, 1)).toBe(true)
    expect(sameValue(true, 0)).toBe(false)
    expect(sameValue(false, false)).toBe(true)
    expect(sameValue('ok', 'ok')).toBe(true)
    expect(sameValue(null, null)).toBe(true)
    expect(sameValue(0, null)).toBe(false)
  })
})

describe('db: options schema', () => {
  const scenarios = {get: {statement: 'SELECT 1'}}

  it('names the option and the choices for an unknown driver or option', () => {
    expect(problemsOf({driver: 'mysql', scenarios})).toEqual([
      expect.stringMatching(/^option "driver" is "mysql"; it must be one of: sqlite, postgres/),
    ])
    expect(problemsOf({scenarios: {get: {iteration: 5, statement: 'SELECT 1'}}})).toEqual([
      expect.stringMatching(
        /^unknown option "scenarios.get.iteration" for validator "db" \(did you mean "iterations"\?/,
      ),
    ])
    expect(problemsOf({})).toEqual([expect.stringMatching(/^validator "db" needs option "scenarios"/)])
    expect(problemsOf({scenarios: {'bad-name': {statement: 'SELECT 1'}}})).toContain(
      'option "scenarios" is not valid: "bad-name" (A scenario name is letters, digits and _, not starting with a ' +
        'digit: it names metrics such as <name>_latency.)',
    )
  })

  it('fills in defaults', () => {
    expect(resolveOptions(db, {scenarios}).options).toEqual({
      busy_timeout: '5s',
      connect_timeout: '10s',
      scenarios: {get: {concurrency: 1, statement: 'SELECT 1', transaction: false, warmup: 0}},
    })
  })
})

describe('db: the shipped storage gate', () => {
  const validators = new Map([['db', {plugin: 'gate-validator-db', validator: db}]])
  const example = path.join(ROOT, 'gates/storage.yaml')
  // The gate's memory target runs the demo's store with the command validator; the rest are db targets.
  const dbTargets = (gate: ReturnType<typeof loadGate>) => ({
    ...gate,
    targets: gate.targets.filter((target) => target.validator === 'db'),
  })

  it('is a valid gate whose db targets fit the validator, on SQLite by default', () => {
    const gate = dbTargets(loadGate(example, {cwd: ROOT, env: {}}))
    expect(gate.targets.length).toBeGreaterThanOrEqual(6)
    expect(checkTargetOptions(gate, validators)).toEqual([])
    expect(gate.targets.map((target) => resolveTarget(target.with, gate.dir).driver)).toEqual(
      gate.targets.map(() => 'sqlite'),
    )
  })

  it('selects PostgreSQL with --arg db=postgres://…', () => {
    const gate = dbTargets(loadGate(example, {args: {db: 'postgres://app:pw@127.0.0.1:5432/app'}, cwd: ROOT, env: {}}))
    expect(checkTargetOptions(gate, validators)).toEqual([])
    expect(gate.targets.map((target) => resolveTarget(target.with, gate.dir).driver)).toEqual(
      gate.targets.map(() => 'postgres'),
    )
  })
})
