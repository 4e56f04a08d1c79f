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
import type WebSocket from 'ws'

export type DashboardMode = 'http' | 'websocket'

export interface DashboardOptions {
  url: string
  clients: number
  mode: DashboardMode
  duration: string
  interval: string
  timeout: string
}

const MAX_CLIENTS = 10_000
const SNAPSHOT_PATH = '/dashboard/snapshot'
const WEBSOCKET_PATH = '/dashboard/ws'
/** Sockets that do not finish their closing handshake within this are cut. */
const CLOSE_WAIT_MS = 1000

export function makeDashboardValidator(api: PhasegateApi): Validator<DashboardOptions> {
  return api.defineValidator<DashboardOptions>({
    name: 'dashboard',
    description:
      `Runs \`clients\` concurrent dashboard clients for \`duration\`. mode http: each polls GET ` +
      `{url}${SNAPSHOT_PATH} every \`interval\` and times each answer. mode websocket: each subscribes to ` +
      `{url}${WEBSOCKET_PATH} and times every pushed update from its serverTime to its arrival, and the gaps ` +
      `between updates.`,
    kind: 'measured',
    options: {
      additionalProperties: false,
      properties: {
        clients: {
          default: 100,
          description: 'Concurrent dashboard clients, each on its own connection.',
          maximum: MAX_CLIENTS,
          minimum: 1,
          type: 'integer',
        },
        duration: api.durationOption('How long the clients watch the dashboard.', '10s'),
        interval: api.durationOption(
          'The refresh a client expects: http, how often it polls (a slow answer delays the next poll, as in a ' +
            'browser); websocket, each interval without an update is a failed refresh.',
          '1s',
        ),
        mode: {
          default: 'http',
          description: 'http: poll the snapshot; websocket: subscribe to pushed updates.',
          enum: ['http', 'websocket'],
          type: 'string',
        },
        timeout: api.durationOption(
          'Per poll, and for a WebSocket to open; over it is an error of kind timeout.',
          '10s',
        ),
        url: {description: 'Base URL of the system, e.g. ${services.demo.url}.', format: 'uri', type: 'string'},
      },
      required: ['url'],
      type: 'object',
    },
    metrics: [
      {
        description:
          'http: time to answer each poll; websocket: from each update’s serverTime to its arrival at the client ' +
          '(same-machine clock). In ms; a uniform sample of up to 10,000.',
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
          'Failed refreshes: http, polls that failed out of all polls; websocket, each client’s intervals in which ' +
          'no good update arrived (it could not connect, was dropped, or nothing came) out of all.',
        dimension: 'proportion',
        name: 'error_rate',
        type: 'proportion',
      },
    ],
    collect: (ctx, options) => watchDashboard(api, ctx, options),
  })
}

/** What every client adds to, whatever the mode. */
class Observations {
  attempts = 0
  failures = 0
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

interface Watch {
  api: PhasegateApi
  ctx: CollectContext
  options: DashboardOptions
  base: URL
  /** Fires at the end of the duration, on abort or timeout. */
  stop: AbortSignal
  /** Fires on abort or timeout only: requests in flight at the end of the duration may finish. */
  signal: AbortSignal
  seen: Observations
  timeoutMs: number
}

async function watchDashboard(api: PhasegateApi, ctx: CollectContext, options: DashboardOptions): Promise<Evidence> {
  const durationMs = api.readDuration(options.duration, 'duration')
  const base = new URL(options.url)
  const seen = new Observations(api, `${ctx.seed}:${ctx.target.id}`)
  const stopper = new AbortController()
  setMaxListeners(options.clients * 2 + 10, stopper.signal)
  const stop = (): void => stopper.abort()
  const timer = setTimeout(stop, durationMs)
  ctx.signal.addEventListener('abort', stop, {once: true})
  // Every client's request in flight listens to the run's signal.
  const signal = AbortSignal.any([ctx.signal])
  setMaxListeners(options.clients * 2 + 10, signal)
  const watch: Watch = {
    api,
    base,
    ctx,
    options,
    seen,
    signal,
    stop: stopper.signal,
    timeoutMs: api.readDuration(options.timeout, 'timeout'),
  }
  const cpu = api.cpuMeter()
  const started = performance.now()
  try {
    const source = options.mode === 'http' ? await poll(watch) : await subscribe(watch)
    const elapsedMs = performance.now() - started
    return evidenceOf(api, seen, {client: cpu.read(), elapsedMs, source})
  } finally {
    clearTimeout(timer)
    ctx.signal.removeEventListener('abort', stop)
  }
}

/** mode http: every client polls the snapshot on its own schedule, the clients' schedules spread over one interval. */
async function poll({api, base, options, seen, signal, stop, timeoutMs}: Watch): Promise<string> {
  const intervalMs = api.readDuration(options.interval, 'interval')
  const path = `${prefixOf(base)}${SNAPSHOT_PATH}`
  const {Pool} = await import('undici')
  const pool = new Pool(base.origin, {
    bodyTimeout: timeoutMs,
    connections: options.clients,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
    keepAliveTimeout: 30_000,
  })
  // A dashboard that cannot be reached at all is NO_DATA at once, not after the whole duration.
  const probe = await getSnapshot(api, pool, path, signal)
  if (probe?.kind === 'connect') {
    await api.closeGracefully(pool, 1000)
    throw new Error(`GET ${base.origin}${path}: could not connect (${probe.detail})`)
  }

  const client = async (index: number): Promise<void> => {
    let next = performance.now() + (intervalMs * index) / options.clients
    let lastRefresh: number | undefined
    for (;;) {
      await sleep(Math.max(0, next - performance.now()), undefined, {signal: stop}).catch(() => {})
      if (stop.aborted) return
      next += intervalMs
      seen.attempts++
      const sent = performance.now()
      const problem = await getSnapshot(api, pool, path, signal)
      const done = performance.now()
      if (problem) {
        seen.failures++
        seen.problem(problem.kind, problem.detail)
        continue
      }

      seen.refreshed(done - sent)
      if (lastRefresh !== undefined) seen.gaps.add(done - lastRefresh)
      lastRefresh = done
      // A poll slower than the interval delays the next one instead of queueing a backlog.
      next = Math.max(next, done)
    }
  }

  try {
    await Promise.all(Array.from({length: options.clients}, (_, index) => client(index)))
  } finally {
    await api.closeGracefully(pool, 1000)
  }

  return (
    `dashboard: ${options.clients} clients polling ` +
    `GET ${base.origin}${path} every ${api.formatValue(intervalMs, 'duration')}`
  )
}

/** GET the snapshot; undefined when it is a 200 JSON object with a numeric generatedAt, else what went wrong. */
async function getSnapshot(
  api: PhasegateApi,
  pool: Pool,
  path: string,
  signal: AbortSignal,
): Promise<{kind: ErrorKind; detail: string} | undefined> {
  let response: Awaited<ReturnType<Pool['request']>>
  try {
    response = await pool.request({headers: {accept: 'application/json'}, method: 'GET', path, signal})
  } catch (error) {
    return {detail: api.describeError(error), kind: api.classifyError(error, false)}
  }

  let body: unknown
  try {
    body = JSON.parse(await response.body.text())
  } catch (error) {
    return {detail: `${response.statusCode}: ${api.describeError(error)}`, kind: 'body'}
  }

  if (response.statusCode !== 200) return {detail: `${response.statusCode} ${preview(body)}`, kind: 'status'}
  if (typeof (body as {generatedAt?: unknown} | null)?.generatedAt !== 'number')
    return {detail: `snapshot without a numeric generatedAt: ${preview(body)}`, kind: 'body'}
  return undefined
}

/**
 * mode websocket: every client holds one subscription for the whole duration. Its trials for
 * error_rate are the intervals of the run: one in which it received no good update (it could not
 * connect, was dropped, or the server went quiet) is a failed refresh.
 */
async function subscribe({api, base, ctx, options, seen, stop, timeoutMs}: Watch): Promise<string> {
  const {WebSocket} = await import('ws')
  const url = new URL(`${prefixOf(base)}${WEBSOCKET_PATH}`, base)
  url.protocol = base.protocol === 'https:' ? 'wss:' : 'ws:'
  const intervalMs = api.readDuration(options.interval, 'interval')
  const durationMs = api.readDuration(options.duration, 'duration')
  const windows = Math.floor(durationMs / intervalMs)
  const startedAt = performance.now()
  const sockets = new Set<WebSocket>()
  let updates = 0
  let unstamped = 0
  let early = 0
  let unopened = 0
  const client = (): Promise<void> =>
    new Promise<void>((resolve) => {
      const ws = new WebSocket(url, {handshakeTimeout: timeoutMs})
      sockets.add(ws)
      const refreshed = new Uint8Array(windows)
      let opened = false
      let lastArrival: number | undefined
      let broken = false
      const problem = (kind: ErrorKind, detail: string): void => {
        if (broken) return
        broken = true
        seen.problem(kind, detail)
      }

      const finish = (): void => {
        stop.removeEventListener('abort', finish)
        if (!opened) unopened++
        seen.attempts += windows
        seen.failures += windows - refreshed.reduce((sum, bit) => sum + bit, 0)
        resolve()
      }

      ws.on('open', () => (opened = true))
      ws.on('message', (data) => {
        const arrivedAt = Date.now()
        const arrival = performance.now()
        const update = parseUpdate(data)
        if (!update) return seen.problem('body', `not a JSON update: ${String(data).slice(0, 80)}`)
        updates++
        const window = Math.floor((arrival - startedAt) / intervalMs)
        if (window < windows) refreshed[window] = 1
        if (lastArrival !== undefined) seen.gaps.add(arrival - lastArrival)
        lastArrival = arrival
        if (typeof update.serverTime !== 'number') {
          unstamped++
          return
        }

        // Server and client share this machine's clock; an update "from the future" is the clock's granularity.
        const delay = arrivedAt - update.serverTime
        if (delay < 0) early++
        seen.refreshed(Math.max(0, delay))
      })
      ws.on('error', (error) => {
        if (stop.aborted) return
        const timedOut = /handshake has timed out/i.test(error.message)
        problem(opened ? 'reset' : timedOut ? 'timeout' : api.classifyError(error, false), api.describeError(error))
      })
      ws.on('close', (code) => {
        if (stop.aborted) return
        problem(
          opened ? 'reset' : 'connect',
          opened ? `closed by the server (code ${code}) before the end` : `could not open (code ${code})`,
        )
        finish()
      })
      if (stop.aborted) finish()
      else stop.addEventListener('abort', finish, {once: true})
    })

  try {
    await Promise.all(Array.from({length: options.clients}, client))
  } finally {
    await closeAll(sockets)
  }

  if (unopened === options.clients && updates === 0) {
    throw new Error(`${url.href}: no subscription opened (${Object.values(seen.examples)[0] ?? 'connection failed'})`)
  }

  if (windows === 0)
    seen.notes.push(
      `duration ${options.duration} is shorter than interval ${options.interval}: no whole interval to count ` +
        `refreshes in, so no error_rate`,
    )
  else
    seen.notes.push(
      `error_rate counts each client's ${windows} intervals ` +
        `of ${api.formatValue(intervalMs, 'duration')}; one without a good update is a failed refresh`,
    )
  seen.notes.push(
    `refresh_latency is the client's arrival time minus the update's serverTime, both on this machine's clock ` +
      `(${updates} updates)`,
  )
  if (unopened > 0) seen.notes.push(`${unopened} of ${options.clients} subscriptions never opened`)
  if (unstamped > 0) seen.notes.push(`${unstamped} updates had no serverTime; they count in update_interval only`)
  if (early > 0)
    seen.notes.push(`${early} updates arrived before their serverTime by the clock's granularity; counted as 0 ms`)
  ctx.log(`${options.clients} subscribers received ${updates} updates`)
  return `dashboard: ${options.clients} WebSocket subscribers to ${url.href}`
}

function parseUpdate(data: WebSocket.RawData): {serverTime?: unknown} | undefined {
  try {
    const parsed: unknown = JSON.parse(String(data))
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)
      ? (parsed as {serverTime?: unknown})
      : undefined
  } catch {
    return undefined
  }
}

/** Says goodbye on every socket, then cuts those that do not finish the closing handshake in time. */
async function closeAll(sockets: Set<WebSocket>): Promise<void> {
  const open = [...sockets].filter((ws) => ws.readyState !== ws.CLOSED)
  const closed = open.map((ws) => new Promise((resolve) => ws.once('close', resolve)))
  for (const ws of open) {
    if (ws.readyState === ws.OPEN) ws.close(1000, 'measurement over')
    else ws.terminate()
  }

  await Promise.race([Promise.all(closed), sleep(CLOSE_WAIT_MS, undefined, {ref: false})])
  for (const ws of open) ws.terminate()
}

function evidenceOf(
  api: PhasegateApi,
  seen: Observations,
  run: {client: ClientLoad; elapsedMs: number; source: string},
): Evidence {
  const notes = [...seen.notes]
  const errors = api.ERROR_KINDS.filter((kind) => seen.errors[kind] > 0).map(
    (kind) => `${seen.errors[kind]} ${kind} (${seen.examples[kind] ?? 'no detail'})`,
  )
  if (errors.length > 0) notes.push(`errors: ${errors.join(', ')}`)
  if (seen.refresh.seen > 0) {
    const summary = api.summarizeLatency(seen.refreshHistogram)
    const at = (value: number): string => api.formatValue(value, 'duration')
    notes.push(
      `refresh latency over all ${seen.refresh.seen} refreshes: ` +
        `p50 ${at(summary.p50)}, p95 ${at(summary.p95)}, max ${at(summary.max)}`,
    )
  }

  if (run.client.saturated)
    notes.push(
      `the clients used ${api.formatValue(run.client.cpu, 'proportion')} of a CPU core: they may have limited the ` +
        `results, not the dashboard`,
    )
  return {
    durationMs: run.elapsedMs,
    kind: 'measured',
    metrics: {
      error_rate: {events: seen.failures, trials: seen.attempts, type: 'proportion'},
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

/** The base URL's path without a trailing slash, so {url}/dashboard/… works for a URL with or without one. */
function prefixOf(base: URL): string {
  return base.pathname.replace(/\/+$/, '')
}

function preview(body: unknown): string {
  const text = JSON.stringify(body) ?? String(body)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}
