import {randomBytes} from 'node:crypto'
import {setMaxListeners} from 'node:events'
import {setTimeout as sleep} from 'node:timers/promises'

import type {
  ClientLoad,
  CollectContext,
  ErrorKind,
  Evidence,
  Histogram,
  MetricSpec,
  PhasegateApi,
  SampleReservoir,
  Validator,
} from 'phasegate'
import type {Pool} from 'undici'

import {type DashboardOptions, type DashboardPlan, optionsSchema, planDashboard} from './options.js'
import {preview, StampLedger, UpdateReader} from './reading.js'
import {startPublishing} from './stamps.js'
import {openTransport, type Subscriber} from './transports.js'

export {type DashboardMode, type DashboardOptions} from './options.js'

const METRICS: MetricSpec[] = [
  {
    description:
      'Per update: http, time to answer each poll; message latency, arrival minus the send time the update holds ' +
      '(same-machine clock); stamp latency, from publishing a stamp to its arrival. In ms; a uniform sample of up ' +
      'to 10,000.',
    dimension: 'duration',
    name: 'refresh_latency',
    type: 'samples',
  },
  {
    description: 'Time between consecutive updates a client received (http: successful polls), per client, in ms.',
    dimension: 'duration',
    name: 'update_interval',
    type: 'samples',
  },
  {
    description:
      'Failed refreshes: http, failed polls of all polls; push modes, each client’s intervals in which no good ' +
      'update arrived; stamp latency, deliveries of published stamps that never arrived.',
    dimension: 'proportion',
    name: 'error_rate',
    type: 'proportion',
  },
]

export function makeDashboardValidator(api: PhasegateApi): Validator<DashboardOptions> {
  return api.defineValidator<DashboardOptions>({
    name: 'dashboard',
    description:
      'Runs `clients` concurrent dashboard clients for `duration`. mode http polls {url}{path} every `interval`; ' +
      'websocket and sse hold a subscription to {url}{path}; redis SUBSCRIBEs across `channels` pub/sub channels. ' +
      'Each update is timed from the send time it holds (latency.from message) or from a stamp the validator ' +
      'publishes itself (latency.from stamp). Without path or latency it measures the bundled demo.',
    kind: 'measured',
    options: optionsSchema(api),
    // Options that fit the schema one by one but not together are reported by `gate validate`.
    metrics(options) {
      if (options.url !== undefined) planDashboard(api, options)
      return METRICS
    },
    collect: (ctx, options) => watchDashboard(api, ctx, options),
  })
}

/** What every client adds to, whatever the mode. */
class Observations {
  attempts = 0
  failures = 0
  updates = 0
  untimed = 0
  untimedExample?: string
  early = 0
  readonly errors: Record<ErrorKind, number>
  readonly examples: Partial<Record<ErrorKind, string>> = {}
  readonly refresh: SampleReservoir
  readonly refreshHistogram: Histogram
  readonly gaps: SampleReservoir
  readonly notes: string[] = []

  constructor(
    private readonly api: PhasegateApi,
    seed: string,
  ) {
    this.errors = Object.fromEntries(api.ERROR_KINDS.map((kind) => [kind, 0])) as Record<ErrorKind, number>
    this.refresh = new api.SampleReservoir(api.LOAD_DEFAULTS.reservoirSize, `${seed}:refresh`)
    this.gaps = new api.SampleReservoir(api.LOAD_DEFAULTS.reservoirSize, `${seed}:gaps`)
    this.refreshHistogram = api.createHistogram()
  }

  refreshed(ms: number): void {
    this.refresh.add(ms)
    this.api.recordLatency(this.refreshHistogram, ms)
  }

  /** Something went wrong, of this kind; whether it also failed a trial is the mode's business. */
  problem(kind: ErrorKind, detail: string): void {
    this.errors[kind]++
    this.examples[kind] ??= detail
  }
}

export interface Watch {
  api: PhasegateApi
  ctx: CollectContext
  options: DashboardOptions
  plan: DashboardPlan
  /** Fires when the clients stop: the end of the duration (stamps: once the last were delivered), abort or timeout. */
  stop: AbortSignal
  /** Fires at the end of the duration: no new stamps after it. */
  ending: AbortSignal
  /** Fires on abort or timeout only: requests in flight at the end may finish. */
  signal: AbortSignal
  /** Starts the duration once the clients start (stamps: once they are connected); loading a library is not in it. */
  begin(): void
  seen: Observations
  reader: UpdateReader
  ledger?: StampLedger
  intervalMs: number
  durationMs: number
  timeoutMs: number
}

async function watchDashboard(api: PhasegateApi, ctx: CollectContext, options: DashboardOptions): Promise<Evidence> {
  const plan = planDashboard(api, options)
  const durationMs = api.readDuration(options.duration, 'duration')
  const seen = new Observations(api, `${ctx.seed}:${ctx.target.id}`)
  // A stamp names its run, so one left in a snapshot by an earlier run is never mistaken for this run's.
  const ledger = plan.latency.from === 'stamp' ? new StampLedger(randomBytes(4).toString('hex')) : undefined
  const stopper = new AbortController()
  const ender = new AbortController()
  for (const signal of [stopper.signal, ender.signal]) setMaxListeners(options.clients * 2 + 10, signal)
  const stop = (): void => stopper.abort()
  const end = (): void => ender.abort()
  let timer: NodeJS.Timeout | undefined
  // Clients that have all stopped (none could connect, or every one was dropped) end the run early.
  stopper.signal.addEventListener('abort', end, {once: true})
  ctx.signal.addEventListener('abort', stop, {once: true})
  ctx.signal.addEventListener('abort', end, {once: true})
  // Every client's request in flight listens to the run's signal.
  const signal = AbortSignal.any([ctx.signal])
  setMaxListeners(options.clients * 2 + 10, signal)
  const watch: Watch = {
    api,
    begin: () => (timer ??= setTimeout(end, durationMs)),
    ctx,
    durationMs,
    ending: ender.signal,
    intervalMs: api.readDuration(options.interval, 'interval'),
    ...(ledger ? {ledger} : {}),
    options,
    plan,
    reader: new UpdateReader(api, plan.latency, ledger),
    seen,
    signal,
    stop: stopper.signal,
    timeoutMs: api.readDuration(options.timeout, 'timeout'),
  }
  const cpu = api.cpuMeter()
  const started = performance.now()
  try {
    const source = plan.mode === 'http' ? await poll(watch, stop) : await subscribe(watch, stop)
    const elapsedMs = performance.now() - started
    return evidenceOf(api, watch, {client: cpu.read(), elapsedMs, source})
  } finally {
    clearTimeout(timer)
    ctx.signal.removeEventListener('abort', stop)
    ctx.signal.removeEventListener('abort', end)
  }
}

/** How a run's clients stand, for deciding when it is over. */
interface ClientsState {
  /** Resolves once every client has connected or failed to; true when at least one connected. */
  settled: Promise<boolean>
  /** Whether a client still connected has not yet seen every stamp published to it. */
  awaitingStamps(): boolean
}

/**
 * Ends the clients once the duration is over, or at once when none could connect. With stamp latency it publishes
 * meanwhile and, after the duration, waits up to `timeout` for the stamps still on their way to live clients.
 */
async function runUntilDone(watch: Watch, clients: ClientsState, stopClients: () => void): Promise<void> {
  const {ending, ledger, timeoutMs} = watch
  const aborted = (signal: AbortSignal): Promise<void> =>
    new Promise((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve())))
  try {
    const anyOpen = await Promise.race([clients.settled, aborted(ending).then(() => true)])
    if (!anyOpen) return
    if (!ledger) return await aborted(ending)
    // Stamps go out for the whole duration to subscribers that are all connected (or failed to).
    watch.begin()
    const publishing = await startPublishing(watch)
    await aborted(ending)
    await publishing.finish()
    const deadline = performance.now() + timeoutMs
    while (clients.awaitingStamps() && performance.now() < deadline && !watch.ctx.signal.aborted)
      await sleep(20, undefined, {ref: false})
  } finally {
    stopClients()
  }
}

/** mode http: every client polls on its own schedule, the clients' schedules spread over one interval. */
async function poll(watch: Watch, stopClients: () => void): Promise<string> {
  const {api, intervalMs, ledger, options, plan, reader, seen, signal, stop, timeoutMs} = watch
  const target = plan.target
  const stampSets: Array<Set<string>> = []
  const path = `${target.pathname}${target.search}`
  const {Pool} = await import('undici')
  const pool = new Pool(target.origin, {
    bodyTimeout: timeoutMs,
    connections: options.clients,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    keepAliveTimeout: 30_000,
  })
  const headers = {accept: 'application/json', ...options.headers}
  // A dashboard that cannot be reached at all is NO_DATA at once, not after the whole duration.
  const probe = await getSnapshot(api, pool, path, headers, signal)
  if ('kind' in probe && probe.kind === 'connect') {
    await api.closeGracefully(pool, 1000)
    throw new Error(`GET ${target.href}: could not connect (${probe.detail})`)
  }

  watch.begin()

  const client = async (index: number): Promise<void> => {
    let next = performance.now() + (intervalMs * index) / options.clients
    let lastRefresh: number | undefined
    const stamps = new Set<string>()
    stampSets.push(stamps)
    for (;;) {
      await sleep(Math.max(0, next - performance.now()), undefined, {signal: stop}).catch(() => {})
      if (stop.aborted) return
      next += intervalMs
      seen.attempts++
      const sent = performance.now()
      const answer = await getSnapshot(api, pool, path, headers, signal)
      const done = performance.now()
      const reading = 'text' in answer ? reader.read(answer.text, Date.now(), done, stamps) : answer
      if (reading.kind !== 'timed' && reading.kind !== 'untimed') {
        seen.failures++
        seen.problem(reading.kind === 'bad' ? 'body' : reading.kind, reading.detail)
        continue
      }

      seen.updates++
      if (plan.latency.from === 'response') seen.refreshed(done - sent)
      else if (reading.kind === 'timed') recordTimes(seen, reading.latencies, reading.early)
      else noteUntimed(seen, reading.detail)
      if (lastRefresh !== undefined) seen.gaps.add(done - lastRefresh)
      lastRefresh = done
      // A poll slower than the interval delays the next one instead of queueing a backlog.
      next = Math.max(next, done)
    }
  }

  try {
    const clients = Promise.all(Array.from({length: options.clients}, (_, index) => client(index)))
    const awaitingStamps = (): boolean => stampSets.some((stamps) => stamps.size < (ledger?.published ?? 0))
    await Promise.all([clients, runUntilDone(watch, {awaitingStamps, settled: Promise.resolve(true)}, stopClients)])
  } finally {
    await api.closeGracefully(pool, 1000)
  }

  const every = api.formatValue(intervalMs, 'duration')
  return `dashboard: ${options.clients} clients polling GET ${target.href} every ${every}`
}

/** GET the snapshot: its text when the answer is a 200, else what went wrong. */
async function getSnapshot(
  api: PhasegateApi,
  pool: Pool,
  path: string,
  headers: Record<string, string>,
  signal: AbortSignal,
): Promise<{text: string} | {kind: ErrorKind; detail: string}> {
  try {
    const response = await pool.request({headers, method: 'GET', path, signal})
    const text = await response.body.text()
    if (response.statusCode !== 200) return {detail: `${response.statusCode} ${preview(text)}`, kind: 'status'}
    return {text}
  } catch (error) {
    return {detail: api.describeError(error), kind: api.classifyError(error, false)}
  }
}

/** Which stamps a client should see: redis, those of its channel; otherwise all of them (audience 0). */
export function audienceOf({plan}: Watch, client: number): number {
  return plan.mode === 'redis' ? client % plan.channels.length : 0
}

function recordTimes(seen: Observations, latencies: number[], early: number): void {
  for (const ms of latencies) seen.refreshed(ms)
  seen.early += early
}

function noteUntimed(seen: Observations, detail: string): void {
  seen.untimed++
  seen.untimedExample ??= detail
}

/**
 * Push modes (websocket, sse, redis): every client holds one subscription for the whole run. Without stamps, its
 * trials for error_rate are the intervals of the duration: one in which it received no good update (it could not
 * connect, was dropped, or the server went quiet) is a failed refresh.
 */
async function subscribe(watch: Watch, stopClients: () => void): Promise<string> {
  const {api, ctx, durationMs, intervalMs, ledger, options, reader, seen} = watch
  const windows = ledger ? 0 : Math.floor(durationMs / intervalMs)
  const transport = await openTransport(watch)
  // The duration and its intervals start once the client library is loaded: its import is not the dashboard's silence.
  if (!ledger) watch.begin()
  const startedAt = performance.now()
  let unopened = 0
  const settled: Array<Promise<void>> = []
  const live: Array<{audience: number; stamps: Set<string>; ended(): boolean}> = []
  const client = (index: number): Promise<void> => {
    const refreshed = new Uint8Array(windows)
    const stamps = new Set<string>()
    let lastArrival: number | undefined
    let broken = false
    let ended = false
    let settle!: () => void
    settled.push(new Promise<void>((resolve) => (settle = resolve)))
    live.push({audience: audienceOf(watch, index), ended: () => ended, stamps})
    const subscriber: Subscriber = {
      end() {
        if (ended) return
        ended = true
        settle()
        if (!subscriber.opened) unopened++
        seen.attempts += windows
        seen.failures += windows - refreshed.reduce((sum, bit) => sum + bit, 0)
      },
      index,
      message(text) {
        const arrivedAt = Date.now()
        const arrival = performance.now()
        const reading = reader.read(text, arrivedAt, arrival, stamps)
        if (reading.kind === 'bad') return seen.problem('body', reading.detail)
        seen.updates++
        const window = Math.floor((arrival - startedAt) / intervalMs)
        if (window < windows) refreshed[window] = 1
        if (lastArrival !== undefined) seen.gaps.add(arrival - lastArrival)
        lastArrival = arrival
        if (reading.kind === 'timed') recordTimes(seen, reading.latencies, reading.early)
        else noteUntimed(seen, reading.detail)
      },
      open() {
        subscriber.opened = true
        settle()
      },
      opened: false,
      problem(kind, detail) {
        if (broken) return
        broken = true
        seen.problem(kind, detail)
      },
    }
    return transport.connect(subscriber)
  }

  try {
    const clients = Promise.all(Array.from({length: options.clients}, (_, index) => client(index)))
    const state: ClientsState = {
      awaitingStamps: () =>
        live.some(({audience, ended, stamps}) => !ended() && stamps.size < (ledger?.issuedTo(audience) ?? 0)),
      settled: Promise.all(settled).then(() => unopened < options.clients),
    }
    // Without stamps nothing more can be learnt once every client ended; with them, the missed stamps count.
    const ended = clients.then(() => ledger || stopClients())
    await Promise.all([ended, runUntilDone(watch, state, stopClients)])
  } finally {
    await transport.close()
  }

  if (unopened === options.clients && seen.updates === 0)
    throw new Error(`${transport.where}: no subscription opened (${Object.values(seen.examples)[0] ?? 'no detail'})`)
  if (ledger) seen.notes.push(`error_rate counts deliveries: each stamp to each subscriber of its channel`)
  else if (windows === 0)
    seen.notes.push(
      `duration ${options.duration} is shorter than interval ${options.interval}: no whole interval to count ` +
        'refreshes in, so no error_rate',
    )
  else
    seen.notes.push(
      `error_rate counts each client's ${windows} intervals of ${api.formatValue(intervalMs, 'duration')}; ` +
        'one without a good update is a failed refresh',
    )
  if (unopened > 0) seen.notes.push(`${unopened} of ${options.clients} subscriptions never opened`)
  ctx.log(`${options.clients} subscribers received ${seen.updates} updates`)
  return `dashboard: ${transport.source}`
}

function evidenceOf(
  api: PhasegateApi,
  {ledger, plan, seen}: Watch,
  run: {client: ClientLoad; elapsedMs: number; source: string},
): Evidence {
  const notes = [...seen.notes, ...latencyNotes(plan, seen, ledger)]
  const errors = api.describeErrorCounts(seen.errors, seen.examples)
  if (errors) notes.push(`errors: ${errors}`)
  if (seen.refresh.seen > 0) {
    const summary = api.summarizeLatency(seen.refreshHistogram)
    const format = (ms: number): string => api.formatValue(ms, 'duration')
    notes.push(
      `refresh latency over all ${seen.refresh.seen} refreshes: p50 ${format(summary.p50)}, ` +
        `p95 ${format(summary.p95)}, max ${format(summary.max)}`,
    )
  }

  if (run.client.saturated)
    notes.push(
      `the clients used ${api.formatValue(run.client.cpu, 'proportion')} of a CPU core: they may have limited ` +
        'the results, not the dashboard',
    )
  const errorRate = ledger
    ? {events: ledger.outstanding, trials: ledger.expected}
    : {events: seen.failures, trials: seen.attempts}
  return {
    durationMs: run.elapsedMs,
    kind: 'measured',
    metrics: {
      error_rate: {...errorRate, type: 'proportion'},
      refresh_latency: {
        dimension: 'duration',
        samples: seen.refresh.samples(),
        seen: seen.refresh.seen,
        type: 'samples',
      },
      update_interval: {dimension: 'duration', samples: seen.gaps.samples(), seen: seen.gaps.seen, type: 'samples'},
    },
    notes,
    source: run.source,
  }
}

/** Says what refresh_latency is in this run, and what did not count in it. */
function latencyNotes(plan: DashboardPlan, seen: Observations, ledger: StampLedger | undefined): string[] {
  const {latency} = plan
  const notes: string[] = []
  if (latency.from === 'message')
    notes.push(
      `refresh_latency is the client's arrival time minus the update's ${latency.path} (${latency.unit}), both on ` +
        `this machine's clock (${seen.updates} updates)`,
    )
  if (ledger)
    notes.push(
      `refresh_latency is the time from publishing each stamp to its arrival, on this process's monotonic clock: ` +
        `${ledger.published} stamps, ${ledger.delivered} of ${ledger.expected} deliveries arrived`,
    )
  if (seen.untimed > 0)
    notes.push(
      `${seen.untimed} updates carried no ${ledger ? 'new stamp of this run' : 'send time'} ` +
        `(${seen.untimedExample}); they count in update_interval only`,
    )
  if (seen.early > 0)
    notes.push(`${seen.early} updates arrived before their send time by the clock's granularity; counted as 0 ms`)
  return notes
}
