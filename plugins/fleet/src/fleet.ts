import {setMaxListeners} from 'node:events'
import {setTimeout as sleep} from 'node:timers/promises'

import type {
  ClientLoad,
  CollectContext,
  ErrorKind,
  Evidence,
  Histogram,
  JsonClient,
  JsonPath,
  JsonReply,
  MetricSpec,
  PhasegateApi,
  RequestTemplate,
  SampleReservoir,
  Validator,
} from 'phasegate'

/** How an allocator is spoken to, as a gate file writes it (or a preset gives it). */
export interface FleetProtocol {
  /** Allocates one agent: 2xx with the ids in its body; a status in `exhausted` means the pool has none left. */
  allocate: {request: RequestTemplate; agent: string; allocation?: string; exhausted?: number[]}
  /** Releases one allocation: 2xx, or a status in `gone` (the allocator no longer knows it). */
  release: {request: RequestTemplate; gone?: number[]}
  /** Reads how many agents the allocator counts as allocated; without it the peak is not cross-checked. */
  count?: {request: RequestTemplate; allocated: string; pool_size?: string}
}

export interface FleetOptions {
  url?: string
  preset?: keyof typeof FLEET_PRESETS
  protocol?: Partial<FleetProtocol>
  agents: number
  duration: string
  hold: string
  ramp: string
  timeout: string
}

/** The bundled demo's allocator (demo/src/app.ts). */
export const FLEET_PRESETS = {
  demo: {
    allocate: {
      agent: 'agentId',
      allocation: 'allocationId',
      exhausted: [503],
      request: {method: 'POST', url: '{url}/fleet/allocations'},
    },
    count: {allocated: 'allocated', pool_size: 'poolSize', request: {method: 'GET', url: '{url}/fleet'}},
    release: {gone: [404], request: {method: 'DELETE', url: '{url}/fleet/allocations/{allocationId}'}},
  },
} satisfies Record<string, FleetProtocol>

/** Placeholders each request may use: {agent} is the run's agent number (1…agents). */
const ALLOCATE_PLACEHOLDERS = ['url', 'agent']
const RELEASE_PLACEHOLDERS = ['url', 'agentId', 'allocationId']
const COUNT_PLACEHOLDERS = ['url']

const MAX_AGENTS = 10_000
/** The final releases run this many at a time: quick, without becoming a load test of their own. */
const RELEASE_CONCURRENCY = 50
const PROGRESS_EVERY_MS = 1000

const FLEET_METRICS: MetricSpec[] = [
  {
    description:
      'Time to answer each successful allocation (POST /fleet/allocations), in ms; a uniform sample of up to 10,000.',
    dimension: 'duration',
    name: 'allocation_latency',
    type: 'samples',
  },
  {
    description: 'Most distinct agents this run held at once, checked against the allocator’s own count at the peak.',
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
]

export function makeFleetValidator(api: PhasegateApi): Validator<FleetOptions> {
  return api.defineValidator<FleetOptions>({
    name: 'fleet',
    description:
      'Runs `agents` concurrent agents against a fleet allocator: each allocates, holds the agent for about `hold`, ' +
      'releases it and allocates again, for `duration`. First every agent holds one allocation at once, checked ' +
      'against the allocator’s own count. Everything it allocated is released at the end. The requests are data: ' +
      '`preset: demo` (the bundled demo’s API, the default) or a `protocol`.',
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
        preset: {
          description:
            `A known allocator API: ${Object.keys(FLEET_PRESETS).join(', ')}; \`protocol\` overrides its ` +
            `parts. The default when no protocol is given.`,
          enum: Object.keys(FLEET_PRESETS),
          type: 'string',
        },
        protocol: protocolSchema(api),
        url: {
          description: 'Base URL of the system, e.g. ${services.demo.url}: {url} in the requests.',
          format: 'uri',
          type: 'string',
        },
      },
      // Something must say where the system is: a preset's {url}, a protocol's own URLs or a cluster's members.
      anyOf: [
        {properties: {url: true}, required: ['url']},
        {properties: {protocol: true}, required: ['protocol']},
      ],
      type: 'object',
    },
    // A function so the protocol is checked whole (preset, parts, placeholders, paths) with the gate, before anything
    // runs; with none of url, protocol (listing the validators) the schema's anyOf has already said what to give.
    metrics: (options) => {
      if (options.url !== undefined || options.protocol !== undefined) resolveFleetProtocol(api, options)
      return FLEET_METRICS
    },
    collect: (ctx, options) => measureFleet(api, ctx, options),
  })
}

function protocolSchema(api: PhasegateApi): Record<string, unknown> {
  const statuses = api.statusesSchema
  return {
    additionalProperties: false,
    description: 'The allocator’s API as data; with a preset, only the parts written here replace the preset’s.',
    properties: {
      allocate: {
        additionalProperties: false,
        properties: {
          agent: api.pathSchema('Where the 2xx answer holds the allocated agent’s id.'),
          allocation: api.pathSchema('Where it holds the allocation’s id, when that differs from the agent’s.'),
          exhausted: statuses('Statuses that mean the pool has no agent left (still a failed allocation).'),
          request: api.requestSchema('Allocates one agent.', ALLOCATE_PLACEHOLDERS),
        },
        required: ['request', 'agent'],
        type: 'object',
      },
      count: {
        additionalProperties: false,
        properties: {
          allocated: api.pathSchema('Where the answer holds how many agents are allocated.'),
          pool_size: api.pathSchema('Where it holds how many agents the pool has.'),
          request: api.requestSchema('Reads the allocator’s counts.', COUNT_PLACEHOLDERS),
        },
        required: ['request', 'allocated'],
        type: 'object',
      },
      release: {
        additionalProperties: false,
        properties: {
          gone: statuses('Statuses that mean the allocation no longer exists, so nothing is left to release.'),
          request: api.requestSchema('Releases one allocation.', RELEASE_PLACEHOLDERS),
        },
        required: ['request'],
        type: 'object',
      },
    },
    type: 'object',
  }
}

/** The protocol a run speaks, its paths parsed: the preset under the gate's own parts, checked whole. */
interface Speaking {
  allocate: {request: RequestTemplate; agent: JsonPath; allocation: JsonPath; exhausted: number[]}
  release: {request: RequestTemplate; gone: number[]}
  count?: {request: RequestTemplate; allocated: JsonPath; poolSize?: JsonPath}
  /** {url} without a trailing slash. */
  url?: string
}

export function resolveFleetProtocol(api: PhasegateApi, options: FleetOptions): Speaking {
  const preset = options.preset ?? (options.protocol ? undefined : 'demo')
  const protocol = api.mergeProtocol<FleetProtocol>(preset && FLEET_PRESETS[preset], options.protocol)
  const {allocate, count, release} = protocol
  const missing = [allocate ? '' : 'allocate', release ? '' : 'release'].filter(Boolean)
  if (!allocate || !release)
    throw new Error(
      `protocol needs ${missing.join(' and ')}: name a preset (${Object.keys(FLEET_PRESETS).join(', ')}) ` +
        'or write the requests under protocol',
    )
  // A preset without url fails here, not at the first request.
  const unset: Record<string, string> = options.url === undefined ? {url: 'give url, the system’s base URL'} : {}
  api.checkRequest(allocate.request, ALLOCATE_PLACEHOLDERS, 'protocol.allocate.request', unset)
  api.checkRequest(release.request, RELEASE_PLACEHOLDERS, 'protocol.release.request', unset)
  if (count) api.checkRequest(count.request, COUNT_PLACEHOLDERS, 'protocol.count.request', unset)
  const path = (text: string, where: string): JsonPath => new api.JsonPath(text, `protocol.${where}`)
  return {
    allocate: {
      agent: path(allocate.agent, 'allocate.agent'),
      allocation: path(allocate.allocation ?? allocate.agent, 'allocate.allocation'),
      exhausted: allocate.exhausted ?? [],
      request: allocate.request,
    },
    count: count && {
      allocated: path(count.allocated, 'count.allocated'),
      poolSize: count.pool_size === undefined ? undefined : path(count.pool_size, 'count.pool_size'),
      request: count.request,
    },
    release: {gone: release.gone ?? [], request: release.request},
    url: options.url?.replace(/\/+$/, ''),
  }
}

interface FleetState {
  poolSize: number | undefined
  allocated: number
}

interface Allocation {
  allocationId: string
  agentId: string
}

async function measureFleet(api: PhasegateApi, ctx: CollectContext, options: FleetOptions): Promise<Evidence> {
  const durationMs = api.readDuration(options.duration, 'duration')
  const holdMs = api.readDuration(options.hold, 'hold')
  // The ramp must end well inside the fill window (half the duration), or the peak would be checked before the last
  // agent asked.
  const rampMs = Math.min(api.readDuration(options.ramp, 'ramp'), durationMs / 4)
  const timeoutMs = api.readDuration(options.timeout, 'timeout')
  const protocol = resolveFleetProtocol(api, options)
  // One connection per agent, as each agent would have its own.
  const client = new api.JsonClient({connections: options.agents + 1, timeoutMs})
  const run = new FleetRun(api, client, protocol, options.agents, holdMs, rampMs, ctx)
  try {
    const before = await run.state()
    const allocate = api.fillRequest(protocol.allocate.request, {agent: 1, url: protocol.url})
    return await run.measure(
      before,
      durationMs,
      `fleet: ${options.agents} agents against ${allocate.method} ${allocate.url.href}`,
    )
  } finally {
    // Even on abort or timeout: the allocator must end the run holding nothing of ours.
    await run.releaseAll()
    await client.close()
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
  /** Allocations refused with an `exhausted` status, and the first such answer. */
  exhausted = 0
  exhaustedExample: string | undefined
  /** Allocations reported as made but without an id to release them by. */
  unreleasable = 0
  private readonly stopper = new AbortController()

  constructor(
    private readonly api: PhasegateApi,
    private readonly client: JsonClient,
    private readonly protocol: Speaking,
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

  /**
   * The allocator's own count (undefined without a count request); throws when it cannot be read, which makes the
   * target NO_DATA.
   */
  async state(): Promise<FleetState | undefined> {
    const {api, protocol} = this
    if (!protocol.count) return undefined
    const request = api.fillRequest(protocol.count.request, {url: protocol.url})
    const reply = await this.client.send(request, this.ctx.signal)
    if ('error' in reply) throw new Error(`cannot read the fleet's count: ${api.describeReply(request, reply)}`)
    const allocated = api.numberOf(protocol.count.allocated.read(reply.body))
    if (!api.succeeded(reply) || allocated === undefined) {
      throw new Error(
        `${api.describeReply(request, reply)}; expected 2xx with a number at ${protocol.count.allocated.text}`,
      )
    }

    return {allocated, poolSize: api.numberOf(protocol.count.poolSize?.read(reply.body))}
  }

  async measure(before: FleetState | undefined, durationMs: number, source: string): Promise<Evidence> {
    const cpu = this.api.cpuMeter()
    const onAbort = (): void => this.stop()
    this.ctx.signal.addEventListener('abort', onAbort, {once: true})
    if (this.ctx.signal.aborted) this.stop()
    // Connect every agent first, untimed: agents are long-lived and connected, so a connection storm is not allocation
    // latency.
    if (this.protocol.count)
      await this.client.connect(
        this.api.fillRequest(this.protocol.count.request, {url: this.protocol.url}),
        this.agents,
        this.stopper.signal,
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
      let held = await this.allocateUntil(index + 1, fillDeadline)
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

        held = await this.allocate(index + 1)
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
  private async allocateUntil(agent: number, deadline: number): Promise<Allocation | undefined> {
    for (;;) {
      if (this.over) return undefined
      const allocation = await this.allocate(agent)
      const left = deadline - performance.now()
      if (allocation || this.over || left <= 0) return allocation
      await this.pause(Math.min(this.holdMs, left))
    }
  }

  /**
   * One allocation attempt; in flight it is never cut short, so an allocation the server made is always known and
   * released.
   */
  private async allocate(agent: number): Promise<Allocation | undefined> {
    const {api, protocol} = this
    this.attempts++
    const request = api.fillRequest(protocol.allocate.request, {agent, url: protocol.url})
    const started = performance.now()
    const reply = await this.client.send(request)
    const ms = performance.now() - started
    if ('error' in reply) return this.fail(reply.error, reply.detail)
    if (protocol.allocate.exhausted.includes(reply.status)) {
      this.exhausted++
      this.exhaustedExample ??= `${reply.status} ${api.preview(reply.body)}`
    }

    if (!api.succeeded(reply)) return this.fail('status', `${reply.status} ${api.preview(reply.body)}`)
    const agentId = api.idOf(protocol.allocate.agent.read(reply.body))
    const allocationId = api.idOf(protocol.allocate.allocation.read(reply.body))
    if (agentId === undefined || allocationId === undefined) {
      this.unreleasable++
      const paths = [...new Set([protocol.allocate.agent.text, protocol.allocate.allocation.text])].join(' and ')
      return this.fail('body', `${reply.status} without an id at ${paths}: ${api.preview(reply.body)}`)
    }

    this.latency.add(ms)
    api.recordLatency(this.histogram, ms)
    const allocation = {agentId, allocationId}
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
   * Releases the allocation; it stays outstanding (to be tried again at the end) unless the allocator confirms it is
   * gone.
   */
  private async release({agentId, allocationId}: Allocation): Promise<void> {
    const {api, protocol} = this
    const holders = this.holding.get(agentId) ?? 0
    if (holders <= 1) this.holding.delete(agentId)
    else this.holding.set(agentId, holders - 1)
    const values = {agentId, allocationId, url: protocol.url}
    const reply: JsonReply = await this.client.send(api.fillRequest(protocol.release.request, values))
    // A `gone` status: the allocator no longer knows it, so nothing is left to release.
    if (api.succeeded(reply) || (!('error' in reply) && protocol.release.gone.includes(reply.status))) {
      this.outstanding.delete(allocationId)
      return
    }

    this.releaseFailures++
    this.releaseExample ??= 'error' in reply ? reply.detail : `${reply.status} ${api.preview(reply.body)}`
  }

  /** At the peak: how many distinct agents we hold, and how many more the allocator counts than before the run. */
  private async checkPeak(
    before: FleetState | undefined,
  ): Promise<{held: number; counted: number | undefined; problem?: string}> {
    const held = this.holding.size
    if (this.ctx.signal.aborted || !before) return {counted: undefined, held}
    try {
      const now = await this.state()
      return {counted: now && now.allocated - before.allocated, held}
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
    before: FleetState | undefined
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
        `${run.source}: could not connect in ${this.attempts} attempts ` +
          `(${this.examples.connect ?? 'connection failed'})`,
      )
    }

    const notes: string[] = []
    let allocatedAgents = this.peak
    if (everyoneHeldAfterMs === undefined) {
      notes.push(
        `only ${peak.held} of ${this.agents} agents held an allocation at once by half-time${poolNote(before)}`,
      )
    } else {
      notes.push(
        `all ${this.agents} agents held an allocation at once ${api.formatValue(everyoneHeldAfterMs, 'duration')} ` +
          `after the start`,
      )
    }

    if (peak.counted === undefined) {
      if (peak.problem) notes.push(`the peak could not be checked against the allocator's count: ${peak.problem}`)
      else if (!before) notes.push('the peak was not checked against the allocator: the protocol has no count request')
    } else if (peak.counted < peak.held) {
      // Our count cannot be trusted past what the allocator itself reports.
      allocatedAgents = Math.max(0, this.peak - (peak.held - peak.counted))
      notes.push(
        `at the peak this run held ${peak.held} agents but the allocator counted only ${peak.counted} more ` +
          `allocations than before the run; allocated_agents is lowered by the difference`,
      )
    } else {
      notes.push(
        `at the peak the allocator counted ${peak.counted} allocations more than before the run, for the ` +
          `${peak.held} this run held`,
      )
    }

    if (this.duplicates > 0)
      notes.push(
        `the allocator handed out an agent this run already held ${this.duplicates} times; allocated_agents counts ` +
          `distinct agents`,
      )
    if (this.exhausted > 0)
      notes.push(`${this.exhausted} allocations were refused because the pool was exhausted (${this.exhaustedExample})`)
    const errors = api.describeErrorCounts(this.errors, this.examples)
    if (errors) notes.push(`failed allocations: ${errors}`)
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

/**
 * Between half and one and a half times `ms`: after the first wave, agents must not allocate in lockstep just because
 * they started together.
 */
function jittered(ms: number): number {
  return ms * (0.5 + Math.random())
}

/** " (the pool has N agents, M allocated before the run)", from what the allocator's count told. */
function poolNote(before: FleetState | undefined): string {
  if (!before) return ''
  const pool = before.poolSize === undefined ? '' : `the pool has ${before.poolSize} agents, `
  return ` (${pool}${before.allocated} allocated before the run)`
}
