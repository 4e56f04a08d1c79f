// One collection: open the store, run setup, each scenario in the order written (sessions connected
// first, then started together), its check, and teardown always; then the evidence.
import type {CollectContext, Evidence, Histogram, MetricEvidence, PhasegateApi, SampleReservoir} from 'phasegate'

import {describeDriverError, type OpFailure, type Session, type Store, type UnitResult} from './driver.js'
import {newRunId, SeededRandom, type Value} from './params.js'
import {type DbOptions, type DbTarget, planScenarios, resolveTarget, type ScenarioPlan} from './plan.js'
import {openPostgres} from './postgres.js'
import {forDriver} from './sql.js'
import {openSqlite} from './sqlite.js'

/** Driver errors quoted word for word in the notes; the rest are counted. */
const ERRORS_QUOTED = 5
const PROGRESS_EVERY_MS = 500

export async function measureDb(api: PhasegateApi, ctx: CollectContext, options: DbOptions): Promise<Evidence> {
  const target = resolveTarget(options, ctx.gateDir)
  const scenarios = planScenarios(options, target.driver)
  const store = await openStore(api, target, options)
  const run = new DbRun(api, ctx, store, target, scenarios)
  // Stops statements in flight too: a session blocked on a lock would otherwise hold the run past its deadline.
  const onAbort = (): void => void store.closeSessions()
  ctx.signal.addEventListener('abort', onAbort, {once: true})
  try {
    await run.setup(listOf(options.setup))
    await run.scenarios()
  } finally {
    ctx.signal.removeEventListener('abort', onAbort)
    await run.teardown(listOf(options.teardown))
    await store.close()
  }

  if (ctx.signal.aborted) throw new Error('interrupted')
  return run.evidence()
}

async function openStore(api: PhasegateApi, target: DbTarget, options: DbOptions): Promise<Store> {
  const onConnect = listOf(options.on_connect)
  if (target.driver === 'postgres') {
    return openPostgres({
      connectTimeoutMs: api.readDuration(options.connect_timeout, 'connect_timeout'),
      onConnect,
      redactedUrl: target.redactedUrl,
      url: target.url,
    })
  }

  return openSqlite({
    busyTimeoutMs: api.readDuration(options.busy_timeout, 'busy_timeout'),
    file: target.file,
    onConnect,
  })
}

function listOf(sql: string | string[] | undefined): string[] {
  return sql === undefined ? [] : Array.isArray(sql) ? sql : [sql]
}

/** Latencies kept two ways: a bounded sample for the engine, a histogram over all of them for the notes. */
class Timings {
  readonly reservoir: SampleReservoir
  readonly histogram: Histogram
  constructor(
    private readonly api: PhasegateApi,
    seed: string,
  ) {
    this.reservoir = new api.SampleReservoir(api.LOAD_DEFAULTS.reservoirSize, seed)
    this.histogram = api.createHistogram()
  }

  add(ms: number): void {
    this.reservoir.add(ms)
    this.api.recordLatency(this.histogram, ms)
  }

  get count(): number {
    return this.reservoir.seen
  }

  metric(): MetricEvidence {
    return {dimension: 'duration', samples: this.reservoir.samples(), seen: this.reservoir.seen, type: 'samples'}
  }

  describe(): string {
    const {max, p50, p95} = this.api.summarizeLatency(this.histogram)
    const ms = (value: number): string => this.api.formatValue(value, 'duration')
    return `p50 ${ms(p50)}, p95 ${ms(p95)}, max ${ms(max)}`
  }
}

/** What a scenario's sessions add up to while they run. */
interface Tally {
  latency: Timings
  duration: Timings | undefined
  inFlight: number
  /** Most units in flight at once: how many sessions really ran together. */
  peak: number
  /** Sessions that ran every unit without an error. */
  completed: number
}

class DbRun {
  private errors = 0
  private readonly quoted: string[] = []
  private violations = 0
  private readonly violationNotes: string[] = []
  private readonly scenarioNotes: string[] = []
  private readonly metrics: Record<string, MetricEvidence> = {}
  private readonly connect: Timings
  private readonly runId = newRunId()
  private readonly totalUnits: number
  private doneUnits = 0
  private lastProgress = 0
  private startedAt = performance.now()

  constructor(
    private readonly api: PhasegateApi,
    private readonly ctx: CollectContext,
    private readonly store: Store,
    private readonly target: DbTarget,
    private readonly plans: ScenarioPlan[],
  ) {
    this.connect = new Timings(api, `${ctx.seed}:${ctx.target.id}:connect`)
    this.connect.add(store.connectMs)
    this.totalUnits = plans.reduce((sum, plan) => sum + plan.concurrency * (plan.warmup + plan.iterations), 0)
  }

  /** A failed setup leaves nothing to measure: the target is NO_DATA with the driver's message. */
  async setup(statements: string[]): Promise<void> {
    for (const [index, sql] of statements.entries()) {
      if (this.ctx.signal.aborted) return
      try {
        await this.store.exec(sql)
      } catch (error) {
        throw new Error(`setup statement ${index + 1} failed: ${describeDriverError(error)}`, {cause: error})
      }
    }
  }

  async scenarios(): Promise<void> {
    this.startedAt = performance.now()
    for (const plan of this.plans) {
      if (this.ctx.signal.aborted) return
      await this.scenario(plan)
    }
  }

  /** Runs even after a failure or an abort; its errors count like any other. */
  async teardown(statements: string[]): Promise<void> {
    for (const [index, sql] of statements.entries()) {
      try {
        await this.store.exec(sql)
      } catch (error) {
        this.error(`teardown statement ${index + 1}: ${describeDriverError(error)}`)
      }
    }
  }

  evidence(): Evidence {
    const {connect, errors, violations} = this
    const quotedAll = errors <= this.quoted.length
    const errorNotes =
      errors === 0
        ? []
        : [
            `${errors} driver error${errors === 1 ? '' : 's'}${quotedAll ? '' : `; the first ${this.quoted.length}`}:`,
            ...this.quoted,
          ]
    return {
      durationMs: performance.now() - this.startedAt,
      kind: 'measured',
      metrics: {
        ...this.metrics,
        connect_latency: connect.metric(),
        consistency_violations: {dimension: 'count', type: 'value', value: violations},
        errors: {dimension: 'count', type: 'value', value: errors},
      },
      notes: [
        ...errorNotes,
        ...this.violationNotes,
        ...this.scenarioNotes,
        `${connect.count} connection${connect.count === 1 ? '' : 's'} opened: ${connect.describe()}`,
        `run id ${this.runId} (what {gen: run} gave)`,
      ],
      source: `db: ${this.plans.length} scenario${this.plans.length === 1 ? '' : 's'} on ${this.store.source}`,
    }
  }

  private error(message: string): void {
    this.errors++
    if (this.quoted.length < ERRORS_QUOTED) this.quoted.push(message)
  }

  private async scenario(plan: ScenarioPlan): Promise<void> {
    const statements = plan.statements.map((statement) => forDriver(statement, this.target.driver))
    const seed = `${this.ctx.seed}:${this.ctx.target.id}:${plan.name}`
    const tally: Tally = {
      completed: 0,
      duration: plan.batch === undefined ? undefined : new Timings(this.api, `${seed}:batch`),
      inFlight: 0,
      latency: new Timings(this.api, seed),
      peak: 0,
    }
    await this.store.reserve?.(plan.concurrency)
    // Connected one after another, so each connect_latency sample is one connection's start-up, not a crowd's;
    // then every session starts at once.
    const sessions: Array<{index: number; session: Session}> = []
    for (let index = 0; index < plan.concurrency; index++) {
      const session = await this.open(plan, index, statements)
      if (session) sessions.push({index, session})
    }

    try {
      await Promise.all(sessions.map(({index, session}) => this.runSession(plan, session, index, tally)))
    } finally {
      await Promise.all(sessions.map(({session}) => session.close()))
    }

    if (this.ctx.signal.aborted) return
    this.summarize(plan, tally, sessions.length)
    if (plan.check) await this.check(plan)
  }

  /** One session's warm-up and timed units, one after another; a session whose connection breaks stops there. */
  private async runSession(plan: ScenarioPlan, session: Session, index: number, tally: Tally): Promise<void> {
    const random = new SeededRandom(
      new this.api.Random(this.api.hashSeed(this.ctx.seed, this.ctx.target.id, plan.name, index)),
    )
    const size = plan.batch ?? 1
    let iteration = 0
    let clean = true
    for (let unit = 0; unit < plan.warmup + plan.iterations; unit++) {
      if (this.ctx.signal.aborted) return
      const first = iteration
      const ops: Value[][] = []
      for (let op = 0; op < size; op++)
        ops.push(plan.params({iteration: iteration++, session: index}, {random, runId: this.runId}))
      tally.peak = Math.max(tally.peak, ++tally.inFlight)
      let result: UnitResult
      try {
        result = await session.run({ops, transaction: plan.transaction})
      } catch (error) {
        if (!this.ctx.signal.aborted)
          this.error(`scenario ${plan.name}: ${describeDriverError(error)} (${place(plan, index, first)})`)
        return
      } finally {
        tally.inFlight--
      }

      this.record(plan, index, first, result)
      if (result.failed > 0) clean = false
      if (unit >= plan.warmup) {
        if (tally.duration) {
          for (const ms of result.opMs) tally.latency.add(ms)
          if (result.failed === 0) tally.duration.add(result.durationMs)
        } else if (result.failed === 0) {
          // One operation: its time is the whole unit, BEGIN and COMMIT included.
          tally.latency.add(result.durationMs)
        }
      }

      this.progress(plan.name)
    }

    if (clean) tally.completed++
  }

  private async open(
    plan: ScenarioPlan,
    index: number,
    statements: ReturnType<typeof forDriver>[],
  ): Promise<Session | undefined> {
    if (this.ctx.signal.aborted) return undefined
    try {
      const session = await this.store.openSession(statements)
      this.connect.add(session.connectMs)
      return session
    } catch (error) {
      if (!this.ctx.signal.aborted)
        this.error(`scenario ${plan.name}: session ${index} could not connect: ${describeDriverError(error)}`)
      return undefined
    }
  }

  private record(plan: ScenarioPlan, session: number, first: number, result: UnitResult): void {
    for (const failure of result.failures)
      this.error(`scenario ${plan.name}: ${failure.message} (${place(plan, session, first, failure)})`)
    // Beyond the few quoted per unit, the rest are counted.
    this.errors += result.failed - result.failures.length
  }

  private summarize(plan: ScenarioPlan, {completed, duration, latency, peak}: Tally, connected: number): void {
    const {name} = plan
    const planned = plan.concurrency * plan.iterations * (plan.batch ?? 1)
    const on = plan.concurrency === 1 ? 'on 1 connection' : `on ${plan.concurrency} concurrent sessions`
    if (latency.count > 0) {
      this.metrics[`${name}_latency`] = latency.metric()
      this.scenarioNotes.push(
        `scenario ${name}: ${latency.count} of ${planned} operations succeeded ${on}: ${latency.describe()}`,
      )
    } else {
      this.scenarioNotes.push(
        `scenario ${name}: none of ${planned} operations succeeded ${on}, so ${name}_latency has no samples`,
      )
    }

    if (duration) {
      const batches = plan.concurrency * plan.iterations
      const what = `batches of ${plan.batch} operations${plan.transaction ? ' (one transaction each)' : ''}`
      if (duration.count > 0) {
        this.metrics[`${name}_duration`] = duration.metric()
        this.scenarioNotes.push(
          `scenario ${name}: ${duration.count} of ${batches} ${what} succeeded whole: ${duration.describe()}`,
        )
      } else {
        this.scenarioNotes.push(
          `scenario ${name}: none of ${batches} ${what} succeeded whole, so ${name}_duration has no samples`,
        )
      }
    }

    if (plan.concurrency > 1) {
      this.metrics[`${name}_sessions`] = {dimension: 'count', type: 'value', value: completed}
      this.scenarioNotes.push(
        `scenario ${name}: ${completed} of ${plan.concurrency} sessions ran every operation without an ` +
          `error; ${connected} connected, each on its own ` +
          `connection${this.target.driver === 'sqlite' ? ' and thread' : ''}; up to ${peak} operations were in ` +
          `flight at once`,
      )
    }
  }

  private async check(plan: ScenarioPlan): Promise<void> {
    const check = plan.check!
    const values = check.params(
      {iteration: 0, session: 0},
      {
        random: new SeededRandom(
          new this.api.Random(this.api.hashSeed(this.ctx.seed, this.ctx.target.id, plan.name, 'check')),
        ),
        runId: this.runId,
      },
    )
    const query = oneLine(check.query)
    let got: Awaited<ReturnType<Store['firstValue']>>
    try {
      got = await this.store.firstValue(forDriver(check.statement, this.target.driver), values)
    } catch (error) {
      // A check that cannot run proves nothing: it counts as a violation, never as a pass.
      this.error(`scenario ${plan.name}: check failed: ${describeDriverError(error)}`)
      this.violation(`scenario ${plan.name}: check ${query} could not run, so consistency is not shown`)
      return
    }

    const expected = `expected ${show(check.equals)}`
    if (!got.row) this.violation(`scenario ${plan.name}: consistency violation: ${query} returned no row, ${expected}`)
    else if (!sameValue(check.equals, got.value))
      this.violation(`scenario ${plan.name}: consistency violation: ${query} returned ${show(got.value)}, ${expected}`)
    else this.scenarioNotes.push(`scenario ${plan.name}: check ${query} returned ${show(got.value)}, as expected`)
  }

  private violation(note: string): void {
    this.violations++
    this.violationNotes.push(note)
  }

  private progress(scenario: string): void {
    this.doneUnits++
    const now = performance.now()
    if (now - this.lastProgress < PROGRESS_EVERY_MS) return
    this.lastProgress = now
    const units = this.plans.some((plan) => plan.batch) ? 'units' : 'operations'
    this.ctx.progress({
      fraction: this.doneUnits / this.totalUnits,
      message: `scenario ${scenario}: ${this.doneUnits} of ${this.totalUnits} ${units}, ${this.errors} errors`,
    })
  }
}

/** Where a failure happened, in the numbers {gen: session} and {gen: iteration} give. */
function place(plan: ScenarioPlan, session: number, first: number, failure?: OpFailure): string {
  const statement =
    failure === undefined ? undefined : failure.statement === -1 ? 'BEGIN/COMMIT' : `statement ${failure.statement + 1}`
  return [statement, plan.concurrency > 1 ? `session ${session}` : undefined, `iteration ${first + (failure?.op ?? 0)}`]
    .filter(Boolean)
    .join(', ')
}

/**
 * The driver's value compared with the one stated: numbers by value (PostgreSQL sends bigint and numeric as text),
 * booleans by truth (SQLite has 0 and 1).
 */
export function sameValue(expected: Value, actual: unknown): boolean {
  if (expected === null) return actual === null || actual === undefined
  if (actual === null || actual === undefined) return false
  if (typeof expected === 'number') return Number(actual) === expected
  if (typeof expected === 'boolean')
    return (
      ['1', 'true', 't'].includes(String(actual).toLowerCase()) === expected &&
      ['0', '1', 'true', 'false', 't', 'f'].includes(String(actual).toLowerCase())
    )
  return String(actual) === expected
}

function show(value: unknown): string {
  // PostgreSQL sends count(*) and numeric as text: shown as the numbers they are.
  if (typeof value === 'bigint' || (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value))) return String(value)
  if (value instanceof Date) return value.toISOString()
  return JSON.stringify(value) ?? String(value)
}

function oneLine(sql: string): string {
  const text = sql.replaceAll(/\s+/g, ' ').trim()
  return text.length > 100 ? `${text.slice(0, 97)}...` : text
}
