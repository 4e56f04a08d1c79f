import {setMaxListeners} from 'node:events'
import {setTimeout as sleep} from 'node:timers/promises'

import type {
  ClientLoad,
  CollectContext,
  ErrorKind,
  Evidence,
  Histogram,
  PhasegateApi,
  SampleReservoir,
  Validator,
} from 'phasegate'
import type {Pool} from 'undici'

export interface FleetOptions {
  url: string
  agents: number
  duration: string
  hold: string
  ramp: string
  timeout: string
}

const MAX_AGENTS = 10_000
/** The final releases run this many at a time: quick, without becoming a load test of their own. */
const RELEASE_CONCURRENCY = 50
const PROGRESS_EVERY_MS = 1000

export function makeFleetValidator(api: PhasegateApi): Validator<FleetOptions> {
  return api.defineValidator<FleetOptions>({
    name: 'fleet',
    description:
      'Runs `agents` concurrent agents against a fleet allocator: each allocates (POST {url}/fleet/allocations), ' +
      'holds the agent for about `hold`, releases it (DELETE) and allocates again, for `duration`. First every ' +
      'agent holds one allocation at once, checked against GET {url}/fleet. Everything it allocated is released at ' +
      'the end.',
    kind: 'measured',
    options: {
      additionalProperties: false,
      properties: {
        agents: {
          default: 1000,
          description: 'Concurrent agents, each on its own connection and holding at most one allocation.',
          maximum: MAX_AGENTS,
          minimum: 1,
          type: 'integer',
        },
        duration: api.durationOption('How long the agents allocate and release.', '10s'),
        hold: api.durationOption(
          'How long an agent holds an allocation before releasing it, and waits after a refused one before asking ' +
            'again; on average: each wait is drawn between half and one and a half times it.',
          '1s',
        ),
        ramp: api.durationOption(
          'The agents’ first allocations are spread evenly over it (at most a quarter of the duration), so they ' +
            'arrive at about the rate the hold sets; 0s sends them all at once, a burst of `agents` concurrent ' +
            'requests.',
          '1s',
        ),
        timeout: api.durationOption('Per request; a request over it is an error of kind timeout.', '10s'),
        url: {
          description: 'Base URL of the system, e.g. ${services.demo.url}; the allocator is at {url}/fleet.',
          format: 'uri',
          type: 'string',
        },
      },
      required: ['url'],
      type: 'object',
    },
    metrics: [
      {
        description:
          'Time to answer each successful allocation (POST /fleet/allocations), in ms; a uniform sample of up to ' +
          '10,000.',
        dimension: 'duration',
        name: 'allocation_latency',
        type: 'samples',
      },
      {
        description:
          'Most distinct agents this run held at once, checked against the allocator’s own count at the peak.',
        dimension: 'count',
        name: 'allocated_agents',
        type: 'value',
      },
      {
        description: 'Failed allocations (refused, timed out, unreachable, malformed) out of all attempts.',
        dimension: 'proportion',
        name: 'error_rate',
        type: 'proportion',
      },
      {
        description: 'Successful allocations per second over the run.',
        dimension: 'rate',
        name: 'throughput',
        type: 'value',
      },
    ],
    collect: (ctx, options) => measureFleet(api, ctx, options),
  })
}

interface FleetState {
  poolSize: number
  allocated: number
  available: number
}

interface Allocation {
  allocationId: string
  agentId: string
}

type Reply = {status: number; body: unknown} | {error: ErrorKind; detail: string}

async function measureFleet(api: PhasegateApi, ctx: CollectContext, options: FleetOptions): Promise<Evidence> {
  const durationMs = api.readDuration(options.duration, 'duration')
  const holdMs = api.readDuration(options.hold, 'hold')
  // The ramp must end well inside the fill window (half the duration), or the peak would be checked before the last
  // agent asked.
  const rampMs = Math.min(api.readDuration(options.ramp, 'ramp'), durationMs / 4)
  const timeoutMs = api.readDuration(options.timeout, 'timeout')
  const base = new URL(options.url)
  const prefix = base.pathname.replace(/\/+$/, '')
  const {Pool} = await import('undici')
  // One connection per agent, as each agent would have its own.
  const pool = new Pool(base.origin, {
    bodyTimeout: timeoutMs,
    connections: options.agents + 1,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    keepAliveTimeout: 30_000,
  })
  const run = new FleetRun(api, pool, prefix, options.agents, holdMs, rampMs, ctx)
  try {
    const before = await run.state()
    return await run.measure(
      before,
      durationMs,
      `fleet: ${options.agents} agents against ${base.origin}${prefix}/fleet/allocations`,
    )
  } finally {
    // Even on abort or timeout: the allocator must end the run holding nothing of ours.
    await run.releaseAll()
    await api.closeGracefully(pool, 1000)
  }
}

/** One measurement: the agents, what they hold, and what they saw. */
class FleetRun {
  attempts = 0
  failures = 0
  readonly errors: Record<ErrorKind, number>
  readonly examples: Partial<Record<ErrorKind, string>> = {}
  readonly latency: SampleReservoir
  readonly histogram: Histogram
  /** Every allocation this run made whose release the allocator has not confirmed: allocationId → agentId. */
  readonly outstanding = new Map<string, string>()
  /**
   * Agents held right now (an allocation leaves when its release is sent), with how many of our allocations name each.
   */
  private readonly holding = new Map<string, number>()
  peak = 0
  /** Allocations that named an agent this run already held: the allocator handed one agent out twice. */
  duplicates = 0
  releaseFailures = 0
  releaseExample: string | undefined
  /** Allocations reported as made but without an id to release them by. */
  unreleasable = 0
  private readonly stopper = new AbortController()

  constructor(
    private readonly api: PhasegateApi,
    private readonly pool: Pool,
    private readonly prefix: string,
    private readonly agents: number,
    private readonly holdMs: number,
    private readonly rampMs: number,
    private readonly ctx: CollectContext,
  ) {
    this.errors = Object.fromEntries(api.ERROR_KINDS.map((kind) => [kind, 0])) as Record<ErrorKind, number>
    this.latency = new api.SampleReservoir(api.LOAD_DEFAULTS.reservoirSize, `${ctx.seed}:${ctx.target.id}`)
    this.histogram = api.createHistogram()
    // Every agent waits on this one signal.
    setMaxListeners(agents * 2 + 10, this.stopper.signal)
  }

  get over(): boolean {
    return this.stopper.signal.aborted
  }

  /** GET /fleet; throws when the allocator cannot be read, which makes the target NO_DATA. */
  async state(): Promise<FleetState> {
    const reply = await call(this.api, this.pool, 'GET', `${this.prefix}/fleet`, this.ctx.signal)
    if ('error' in reply) throw new Error(`cannot read the fleet at ${this.prefix || ''}/fleet: ${reply.detail}`)
    const body = reply.body as Partial<FleetState> | undefined
    if (reply.status !== 200 || typeof body?.allocated !== 'number' || typeof body.poolSize !== 'number') {
      throw new Error(
        `GET ${this.prefix}/fleet answered ${reply.status} ${preview(reply.body)}; expected 200 {poolSize, ` +
          `allocated, available}`,
      )
    }

    return {
      allocated: body.allocated,
      available: body.available ?? body.poolSize - body.allocated,
      poolSize: body.poolSize,
    }
  }

  async measure(before: FleetState, durationMs: number, source: string): Promise<Evidence> {
    const cpu = this.api.cpuMeter()
    const onAbort = (): void => this.stop()
    this.ctx.signal.addEventListener('abort', onAbort, {once: true})
    if (this.ctx.signal.aborted) this.stop()
    // Connect every agent first, untimed: agents are long-lived and connected, so a connection storm is not allocation
    // latency.
    await Promise.all(
      Array.from({length: this.agents}, () =>
        call(this.api, this.pool, 'GET', `${this.prefix}/fleet`, this.stopper.signal),
      ),
    )
    const startMs = performance.now()
    const fillDeadline = startMs + durationMs / 2
    let arrived = 0
    let openBarrier!: () => void
    const barrier = new Promise<void>((resolve) => (openBarrier = resolve))
    // Checked while every agent still holds its first allocation, before anyone releases.
    const peakCheck = barrier.then(() => this.checkPeak(before))
    const timers = [
      setTimeout(openBarrier, durationMs / 2),
      setTimeout(() => this.stop(), durationMs),
      setInterval(() => this.report(startMs, durationMs), PROGRESS_EVERY_MS),
    ]
    this.stopper.signal.addEventListener('abort', () => openBarrier(), {once: true})
    if (this.over) openBarrier()
    let everyoneHeldAfterMs: number | undefined
    const agent = async (index: number): Promise<void> => {
      await this.pause((this.rampMs * index) / this.agents)
      let held = await this.allocateUntil(fillDeadline)
      if (++arrived === this.agents) {
        if (this.holding.size === this.agents) everyoneHeldAfterMs = performance.now() - startMs
        openBarrier()
      }

      await peakCheck
      while (!this.over) {
        if (held) {
          await this.pause(jittered(this.holdMs))
          if (this.over) break
          await this.release(held)
          if (this.over) break
        }

        held = await this.allocate()
        if (!held) await this.pause(jittered(this.holdMs))
      }
    }

    try {
      await Promise.all(Array.from({length: this.agents}, (_, index) => agent(index)))
    } finally {
      for (const timer of timers) clearTimeout(timer)
      this.ctx.signal.removeEventListener('abort', onAbort)
    }

    const elapsedMs = performance.now() - startMs
    const peak = await peakCheck
    return this.evidence({before, client: cpu.read(), elapsedMs, everyoneHeldAfterMs, peak, source})
  }

  /**
   * Releases every allocation this run still has, a few at a time, without the run's signal: this must happen even
   * after an abort.
   */
  async releaseAll(): Promise<void> {
    this.stop()
    const ids = [...this.outstanding.keys()]
    const worker = async (): Promise<void> => {
      for (let id = ids.pop(); id !== undefined; id = ids.pop())
        await this.release({agentId: this.outstanding.get(id) ?? '', allocationId: id})
    }

    await Promise.all(Array.from({length: Math.min(RELEASE_CONCURRENCY, ids.length)}, worker))
  }

  private stop(): void {
    this.stopper.abort()
  }

  private async pause(ms: number): Promise<void> {
    await sleep(ms, undefined, {signal: this.stopper.signal}).catch(() => {})
  }

  /** The first allocation of an agent: asks again after each refusal until the fill window closes. */
  private async allocateUntil(deadline: number): Promise<Allocation | undefined> {
    for (;;) {
      if (this.over) return undefined
      const allocation = await this.allocate()
      const left = deadline - performance.now()
      if (allocation || this.over || left <= 0) return allocation
      await this.pause(Math.min(this.holdMs, left))
    }
  }

  /**
   * One allocation attempt; in flight it is never cut short, so an allocation the server made is always known and
   * released.
   */
  private async allocate(): Promise<Allocation | undefined> {
    this.attempts++
    const started = performance.now()
    const reply = await call(this.api, this.pool, 'POST', `${this.prefix}/fleet/allocations`)
    const ms = performance.now() - started
    if ('error' in reply) return this.fail(reply.error, reply.detail)
    if (reply.status !== 201) return this.fail('status', `${reply.status} ${preview(reply.body)}`)
    const body = reply.body as Partial<Allocation> | undefined
    if (typeof body?.allocationId !== 'string' || typeof body.agentId !== 'string') {
      this.unreleasable++
      return this.fail('body', `201 without allocationId and agentId: ${preview(reply.body)}`)
    }

    this.latency.add(ms)
    this.api.recordLatency(this.histogram, ms)
    const allocation = {agentId: body.agentId, allocationId: body.allocationId}
    this.outstanding.set(allocation.allocationId, allocation.agentId)
    const holders = this.holding.get(allocation.agentId) ?? 0
    if (holders > 0) this.duplicates++
    this.holding.set(allocation.agentId, holders + 1)
    this.peak = Math.max(this.peak, this.holding.size)
    return allocation
  }

  private fail(kind: ErrorKind, detail: string): undefined {
    this.failures++
    this.errors[kind]++
    this.examples[kind] ??= detail
    return undefined
  }

  /**
   * DELETE the allocation; it stays outstanding (to be tried again at the end) unless the allocator confirms it is
   * gone.
   */
  private async release({agentId, allocationId}: Allocation): Promise<void> {
    const holders = this.holding.get(agentId) ?? 0
    if (holders <= 1) this.holding.delete(agentId)
    else this.holding.set(agentId, holders - 1)
    const reply = await call(
      this.api,
      this.pool,
      'DELETE',
      `${this.prefix}/fleet/allocations/${encodeURIComponent(allocationId)}`,
    )
    // 404: the allocator no longer knows it, so nothing is left to release.
    if (!('error' in reply) && (reply.status === 204 || reply.status === 200 || reply.status === 404)) {
      this.outstanding.delete(allocationId)
      return
    }

    this.releaseFailures++
    this.releaseExample ??= 'error' in reply ? reply.detail : `${reply.status} ${preview(reply.body)}`
  }

  /** At the peak: how many distinct agents we hold, and how many more the allocator counts than before the run. */
  private async checkPeak(before: FleetState): Promise<{held: number; counted: number | undefined; problem?: string}> {
    const held = this.holding.size
    if (this.ctx.signal.aborted) return {counted: undefined, held}
    try {
      const now = await this.state()
      return {counted: now.allocated - before.allocated, held}
    } catch (error) {
      return {counted: undefined, held, problem: (error as Error).message}
    }
  }

  private report(startMs: number, durationMs: number): void {
    const fraction = Math.min(1, (performance.now() - startMs) / durationMs)
    this.ctx.progress({
      fraction,
      message: `${this.holding.size} held, ${this.attempts - this.failures} allocations, ${this.failures} failed`,
    })
  }

  private evidence(run: {
    before: FleetState
    client: ClientLoad
    elapsedMs: number
    everyoneHeldAfterMs: number | undefined
    peak: {held: number; counted: number | undefined; problem?: string}
    source: string
  }): Evidence {
    const {api} = this
    const {before, client, elapsedMs, everyoneHeldAfterMs, peak} = run
    const ok = this.attempts - this.failures
    if (ok === 0 && this.errors.connect === this.attempts) {
      throw new Error(
        `${run.source}: could not connect in ${this.attempts} attempts (${
          this.examples.connect ?? 'connection ' + 'failed'
        })`,
      )
    }

    const notes: string[] = []
    let allocatedAgents = this.peak
    if (everyoneHeldAfterMs === undefined) {
      notes.push(
        `only ${peak.held} of ${this.agents} agents held an allocation at once by half-time (the pool ` +
          `has ${before.poolSize} agents, ${before.allocated} allocated before the run)`,
      )
    } else {
      notes.push(
        `all ${this.agents} agents held an allocation at ` +
          `once ${api.formatValue(everyoneHeldAfterMs, 'duration')} after the start`,
      )
    }

    if (peak.counted === undefined) {
      if (peak.problem) notes.push(`the peak could not be checked against GET /fleet: ${peak.problem}`)
    } else if (peak.counted < peak.held) {
      // Our count cannot be trusted past what the allocator itself reports.
      allocatedAgents = Math.max(0, this.peak - (peak.held - peak.counted))
      notes.push(
        `at the peak this run held ${peak.held} agents but the allocator counted ` +
          `only ${peak.counted} more allocations than before the run; allocated_agents is lowered by the difference`,
      )
    } else {
      notes.push(
        `at the peak the allocator counted ${peak.counted} allocations more than before the run, for ` +
          `the ${peak.held} this run held`,
      )
    }

    if (this.duplicates > 0)
      notes.push(
        `the allocator handed out an agent this run already held ${this.duplicates} times; allocated_agents counts ` +
          `distinct agents`,
      )
    const errors = api.ERROR_KINDS.filter((kind) => this.errors[kind] > 0).map(
      (kind) => `${this.errors[kind]} ${kind} (${this.examples[kind] ?? 'no detail'})`,
    )
    if (errors.length > 0) notes.push(`failed allocations: ${errors.join(', ')}`)
    if (this.unreleasable > 0)
      notes.push(`${this.unreleasable} allocations came back without an id and could not be released`)
    if (this.releaseFailures > 0)
      notes.push(
        `${this.releaseFailures} releases failed (first: ${this.releaseExample}); they were retried at the end`,
      )
    if (ok > 0) {
      const summary = api.summarizeLatency(this.histogram)
      const at = (value: number): string => api.formatValue(value, 'duration')
      notes.push(
        `allocation latency over all ${ok} allocations: ` +
          `p50 ${at(summary.p50)}, p95 ${at(summary.p95)}, p99 ${at(summary.p99)}, max ${at(summary.max)}`,
      )
    }

    if (client.saturated)
      notes.push(
        `the load generator used ${api.formatValue(client.cpu, 'proportion')} of a CPU core: it may have limited ` +
          `the results, not the allocator`,
      )
    return {
      durationMs: elapsedMs,
      kind: 'measured',
      metrics: {
        allocated_agents: {dimension: 'count', type: 'value', value: allocatedAgents},
        allocation_latency: {
          dimension: 'duration',
          samples: this.latency.samples(),
          seen: this.latency.seen,
          type: 'samples',
        },
        error_rate: {events: this.failures, trials: this.attempts, type: 'proportion'},
        throughput: {dimension: 'rate', type: 'value', value: ok / (elapsedMs / 1000)},
      },
      notes,
      source: run.source,
    }
  }
}

/** One JSON request; never throws: a failure comes back as an error kind with its detail. */
async function call(
  api: PhasegateApi,
  pool: Pool,
  method: 'DELETE' | 'GET' | 'POST',
  path: string,
  signal?: AbortSignal,
): Promise<Reply> {
  let response: Awaited<ReturnType<Pool['request']>>
  try {
    response = await pool.request({headers: {accept: 'application/json'}, method, path, signal})
  } catch (error) {
    return {detail: api.describeError(error), error: api.classifyError(error, false)}
  }

  try {
    const text = await response.body.text()
    return {body: text === '' ? undefined : JSON.parse(text), status: response.statusCode}
  } catch (error) {
    return {detail: `${response.statusCode}: ${api.describeError(error)}`, error: api.classifyError(error, true)}
  }
}

/**
 * Between half and one and a half times `ms`: after the first wave, agents must not allocate in lockstep just because
 * they started together.
 */
function jittered(ms: number): number {
  return ms * (0.5 + Math.random())
}

function preview(body: unknown): string {
  const text = body === undefined ? '(no body)' : JSON.stringify(body)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}
