// From the options of a `db` target to what runs: which database, and each scenario with its statements
// translated, its parameters compiled and its numbers settled. Pure; every problem is a message that
// names the option and says what to write instead.
import path from 'node:path'

import type {MetricSpec} from 'phasegate'

import {compileParams, type ParamGenerator, type ParamSpec, type Value} from './params.js'
import {type Driver, parseStatement, type ParsedStatement, placeholderProblem} from './sql.js'

export interface CheckOptions {
  query: string
  params?: ParamSpec[]
  equals: Value
}

export interface ScenarioOptions {
  statement?: string
  statements?: string[]
  params?: ParamSpec[]
  iterations?: number
  warmup?: number
  concurrency?: number
  batch?: number
  transaction?: boolean
  check?: CheckOptions
}

export interface DbOptions {
  driver?: Driver
  url?: string
  busy_timeout: string
  connect_timeout: string
  on_connect?: string | string[]
  setup?: string | string[]
  teardown?: string | string[]
  scenarios: Record<string, ScenarioOptions>
}

export interface CheckPlan {
  query: string
  statement: ParsedStatement
  params: ParamGenerator
  equals: Value
}

export interface ScenarioPlan {
  name: string
  statements: ParsedStatement[]
  params: ParamGenerator
  /** Timed units per session: operations, or batches when `batch` is set. */
  iterations: number
  /** Untimed units per session before them. */
  warmup: number
  concurrency: number
  /** Operations per timed batch; undefined: each operation is timed on its own. */
  batch: number | undefined
  transaction: boolean
  check: CheckPlan | undefined
}

export type DbTarget =
  {driver: 'postgres'; url: string; redactedUrl: string} | {driver: 'sqlite'; file: string | undefined}

export const LIMITS = {batch: 100_000, concurrency: 1000, iterations: 1_000_000, sqliteSessions: 128, warmup: 100_000}
export const DEFAULT_ITERATIONS = 100
export const DEFAULT_BATCHES = 10
export const SCENARIO_NAME_PATTERN = '^[a-zA-Z_][a-zA-Z0-9_]*$'

const POSTGRES_URL = /^postgres(ql)?:\/\//i
const OTHER_URL = /^[a-z][a-z\d+.-]*:\/\//i

/** The database the options name; throws a message saying which of driver and url to change. */
export function resolveTarget(options: Pick<DbOptions, 'driver' | 'url'>, gateDir: string): DbTarget {
  const url = options.url?.trim() || undefined
  const inferred: Driver = url !== undefined && POSTGRES_URL.test(url) ? 'postgres' : 'sqlite'
  const driver = options.driver ?? inferred
  if (driver === 'postgres') {
    if (url === undefined)
      throw new Error(
        'driver postgres needs url: a connection URL such as postgres://user:password@127.0.0.1:5432/dbname',
      )
    if (inferred !== 'postgres')
      throw new Error(`driver is postgres but url "${url}" is not a postgres:// or postgresql:// URL`)
    if (!URL.canParse(url))
      throw new Error(`url "${redactUrl(url)}" is not a valid URL; write postgres://user:password@host:port/dbname`)
    return {driver, redactedUrl: redactUrl(url), url}
  }

  if (inferred === 'postgres')
    throw new Error(
      `driver is sqlite but url is a PostgreSQL URL (${redactUrl(url!)}); leave driver out to use PostgreSQL, or ` +
        `give a SQLite file path`,
    )
  if (url === undefined) return {driver, file: undefined}
  const file = url.replace(/^sqlite:(\/\/)?/i, '')
  if (OTHER_URL.test(file))
    throw new Error(
      `url "${redactUrl(file)}" is neither a PostgreSQL URL (postgres://…) nor a SQLite file path; the db validator ` +
        `speaks sqlite and postgres`,
    )
  if (file === '' || file === ':memory:' || file.startsWith('file::memory:')) {
    throw new Error(
      `url "${url}": each session has its own connection and an in-memory SQLite database is private to one; leave ` +
        `url out (or empty) for a temporary file`,
    )
  }

  return {driver, file: path.resolve(gateDir, file)}
}

/** The URL with its password (in the authority or a password= parameter) replaced by ***. */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@')
  const parsed = new URL(url)
  if (parsed.password) parsed.password = '***'
  if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***')
  return parsed.toString()
}

/** Every scenario, in the order the gate file lists them; throws the first problem found. */
export function planScenarios(options: Pick<DbOptions, 'scenarios'>, driver?: Driver): ScenarioPlan[] {
  return Object.entries(options.scenarios).map(([name, scenario]) => planScenario(name, scenario, driver))
}

function planScenario(name: string, scenario: ScenarioOptions, driver: Driver | undefined): ScenarioPlan {
  const subject = `scenario ${name}`
  if (name === 'connect') throw new Error(`${subject}: the name is taken by connect_latency; call it something else`)
  if (!new RegExp(SCENARIO_NAME_PATTERN).test(name))
    throw new Error(
      `${subject}: a scenario name must be letters, digits and _ (it names metrics such as ${name}_latency)`,
    )
  if ((scenario.statement === undefined) === (scenario.statements === undefined)) {
    throw new Error(
      `${subject}: give either statement (one SQL statement) or statements (a list run in order as one operation), ` +
        `not ${scenario.statement === undefined ? 'neither' : 'both'}`,
    )
  }

  const statements = (scenario.statements ?? [scenario.statement!]).map((text) => parseStatement(text))
  const specs = scenario.params ?? []
  const problem = placeholderProblem(statements, specs.length, subject)
  if (problem) throw new Error(problem)
  const concurrency = scenario.concurrency ?? 1
  if (driver === 'sqlite' && concurrency > LIMITS.sqliteSessions) {
    throw new Error(
      `${subject}: concurrency ${concurrency} is above ${LIMITS.sqliteSessions}, the most SQLite sessions this ` +
        `validator runs (each is a thread of its own)`,
    )
  }

  return {
    batch: scenario.batch,
    check: scenario.check && planCheck(scenario.check, `${subject}: check`),
    concurrency,
    iterations: scenario.iterations ?? (scenario.batch === undefined ? DEFAULT_ITERATIONS : DEFAULT_BATCHES),
    name,
    params: compileParams(specs, subject),
    statements,
    transaction: scenario.transaction ?? false,
    warmup: scenario.warmup ?? 0,
  }
}

function planCheck(check: CheckOptions, subject: string): CheckPlan {
  const statement = parseStatement(check.query)
  const specs = check.params ?? []
  const problem = placeholderProblem([statement], specs.length, subject)
  if (problem) throw new Error(problem)
  return {equals: check.equals, params: compileParams(specs, subject), query: check.query, statement}
}

/** The metrics a target reports: three for the whole run, and one to three per scenario. */
export function metricSpecsOf(options: Pick<DbOptions, 'scenarios'>): MetricSpec[] {
  const perScenario = planScenarios(options).flatMap((scenario): MetricSpec[] => {
    const unit = scenario.batch === undefined ? 'operation' : `operation (each of the ${scenario.batch} in a batch)`
    return [
      {
        description:
          `Scenario ${scenario.name}: time of each successful ${unit}, in ms (a uniform sample of up to ` + `10,000).`,
        dimension: 'duration',
        name: `${scenario.name}_latency`,
        type: 'samples',
      },
      ...(scenario.batch === undefined
        ? []
        : [
            {
              description:
                `Scenario ${scenario.name}: time of each whole batch ` +
                `of ${scenario.batch} operations${scenario.transaction ? ', BEGIN to COMMIT' : ''}, in ms; only ` +
                `batches where every operation succeeded.`,
              dimension: 'duration',
              name: `${scenario.name}_duration`,
              type: 'samples',
            } satisfies MetricSpec,
          ]),
      ...(scenario.concurrency > 1
        ? [
            {
              description:
                `Scenario ${scenario.name}: of the ${scenario.concurrency} concurrent sessions, those ` +
                `that connected and ran every operation without an error.`,
              dimension: 'count',
              name: `${scenario.name}_sessions`,
              type: 'value',
            } satisfies MetricSpec,
          ]
        : []),
    ]
  })
  return [
    ...perScenario,
    {
      description:
        "Time to open a connection and run its per-connection set-up (on_connect), in ms: the store's start-up " +
        'time. One sample per connection.',
      dimension: 'duration',
      name: 'connect_latency',
      type: 'samples',
    },
    {
      description:
        'Driver errors over the whole run: failed operations, connections that could not open, failed checks and ' +
        'teardown.',
      dimension: 'count',
      name: 'errors',
      type: 'value',
    },
    {
      description: 'Scenario checks whose result differed from `equals` (or that could not run).',
      dimension: 'count',
      name: 'consistency_violations',
      type: 'value',
    },
  ]
}
