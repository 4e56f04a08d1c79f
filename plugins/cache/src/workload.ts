// The traffic the validator drives itself, so the hit rate is measured under a known load: Zipf-distributed keys,
// a read/write mix and cache-aside fills, against Redis directly or an HTTP cache's items.
import {setMaxListeners} from 'node:events'

import type {CollectContext, ErrorKind, Histogram, PhasegateApi, SampleReservoir} from 'phasegate'
import type {Redis} from 'ioredis'
import type {Pool} from 'undici'

import {preview} from './counters.js'
import {ZipfSampler} from './zipf.js'

export interface WorkloadPlan {
  keys: number
  skew: number
  /** Share of operations that read; the rest write. */
  reads: number
  /** Stop after this many operations, or else after durationMs. */
  operations?: number
  durationMs: number
  concurrency: number
  valueSize: number
  /** Ranks 0..preload−1 (the hottest) are in the cache before the window opens. */
  preload: number
  /** Cache-aside: write the item after a read that did not find it. */
  fill: boolean
  keyPrefix: string
  target: {redis: string} | {items: string}
  headers: Record<string, string>
  timeoutMs: number
}

/** What one read learned: whether the item came back, and whether the cache says it answered from itself. */
interface Lookup {
  found: boolean
  /** undefined when an HTTP cache does not say (no x-cache header). */
  hit: boolean | undefined
}

/** One store the workload talks to; a lane is one concurrent worker with its own connection. */
interface ItemCache {
  readonly name: string
  get(lane: number, key: string): Promise<Lookup>
  /** Cache-aside fill after a miss, and preload. */
  put(lane: number, key: string): Promise<void>
  /** A write by the application: invalidates (Redis DEL) or replaces (HTTP PUT) the item. */
  write(lane: number, key: string): Promise<void>
  preload(keys: string[], signal: AbortSignal): Promise<void>
  /** Removes what the workload wrote, where the cache allows it. */
  cleanup(keys: string[]): Promise<void>
  close(): Promise<void>
}

/** A failed operation: its kind (phasegate's error kinds) and what happened. */
class OperationError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
  ) {
    super(message)
  }
}

export interface WorkloadResult {
  operations: number
  reads: number
  writes: number
  fills: number
  failed: number
  /** Reads the cache itself marked as hits (Redis: a value came back; HTTP: x-cache HIT). */
  ownHits: number
  ownMisses: number
  /** Reads whose hit or miss the cache did not say. */
  unmarked: number
  errors: Record<ErrorKind, number>
  examples: Partial<Record<ErrorKind, string>>
  latency: SampleReservoir
  histogram: Histogram
  elapsedMs: number
  /**
   * Share of reads that fall on the preloaded ranks: the hit rate by construction when nothing is filled, written or
   * evicted.
   */
  preloadedShare: number
}

const PROGRESS_EVERY_MS = 1000
const PRELOAD_BATCH = 1000

export class Workload {
  private readonly keyNames: string[]
  private readonly sampler: ZipfSampler
  private readonly uniform: () => number
  private readonly stopper = new AbortController()

  private constructor(
    private readonly api: PhasegateApi,
    private readonly plan: WorkloadPlan,
    private readonly cache: ItemCache,
    seed: string,
  ) {
    const random = new api.Random(api.hashSeed(seed))
    this.uniform = () => random.uniform()
    this.sampler = new ZipfSampler(plan.keys, plan.skew, this.uniform)
    this.keyNames = Array.from({length: plan.keys}, (_, rank) => `${plan.keyPrefix}${rank}`)
    setMaxListeners(plan.concurrency + 10, this.stopper.signal)
  }

  /** Connects every lane before anything is timed. */
  static async open(api: PhasegateApi, plan: WorkloadPlan, ctx: CollectContext): Promise<Workload> {
    const cache =
      'redis' in plan.target
        ? await redisItems(api, plan, plan.target.redis, ctx.signal)
        : await httpItems(api, plan, plan.target.items)
    return new Workload(api, plan, cache, `${ctx.seed}:${ctx.target.id}:workload`)
  }

  get name(): string {
    const {plan} = this
    const amount =
      plan.operations === undefined
        ? `for ${this.api.formatValue(plan.durationMs, 'duration')}`
        : `${plan.operations} operations`
    const mix = plan.reads === 1 ? 'reads only' : `${this.api.formatValue(plan.reads, 'proportion')} reads`
    return (
      `workload of ${amount} over ${plan.keys} keys (Zipf ` +
      `skew ${plan.skew}, ${mix}, ${plan.fill ? 'fill on miss' : 'no fill'}, ${plan.concurrency} concurrent) ` +
      `against ${this.cache.name}`
    )
  }

  async preload(signal: AbortSignal): Promise<void> {
    if (this.plan.preload > 0) await this.cache.preload(this.keyNames.slice(0, this.plan.preload), signal)
  }

  async run(ctx: CollectContext): Promise<WorkloadResult> {
    const {api, plan} = this
    const result: WorkloadResult = {
      elapsedMs: 0,
      errors: Object.fromEntries(api.ERROR_KINDS.map((kind) => [kind, 0])) as Record<ErrorKind, number>,
      examples: {},
      failed: 0,
      fills: 0,
      histogram: api.createHistogram(),
      latency: new api.SampleReservoir(api.LOAD_DEFAULTS.reservoirSize, `${ctx.seed}:${ctx.target.id}:get_latency`),
      operations: 0,
      ownHits: 0,
      ownMisses: 0,
      preloadedShare: this.sampler.massOfTop(plan.preload),
      reads: 0,
      unmarked: 0,
      writes: 0,
    }
    const stop = (): void => this.stopper.abort()
    ctx.signal.addEventListener('abort', stop, {once: true})
    if (ctx.signal.aborted) stop()
    const startMs = performance.now()
    const timers = [
      ...(plan.operations === undefined ? [setTimeout(stop, plan.durationMs)] : []),
      setInterval(() => ctx.progress(this.progress(result, startMs)), PROGRESS_EVERY_MS),
    ]
    let issued = 0
    const lane = async (index: number): Promise<void> => {
      while (!this.stopper.signal.aborted && (plan.operations === undefined || issued < plan.operations)) {
        issued++
        // Drawn when issued, from one seeded stream: the same operations for the same seed, whatever the interleaving.
        const key = this.keyNames[this.sampler.next()]!
        const read = plan.reads >= 1 || this.uniform() < plan.reads
        await this.operate(index, key, read, result)
      }
    }

    try {
      await Promise.all(Array.from({length: plan.concurrency}, (_, index) => lane(index)))
    } finally {
      for (const timer of timers) clearTimeout(timer)
      ctx.signal.removeEventListener('abort', stop)
    }

    result.elapsedMs = performance.now() - startMs
    ctx.signal.throwIfAborted()
    if (result.failed === result.operations && result.errors.connect === result.operations && result.operations > 0) {
      throw new Error(
        `the workload could not reach ${this.cache.name} in ${result.operations} operations ` +
          `(${result.examples.connect ?? 'connection refused'})`,
      )
    }

    return result
  }

  /** Stops the lanes, removes what the workload wrote (Redis), closes every connection. */
  async close(): Promise<void> {
    this.stopper.abort()
    try {
      await this.cache.cleanup(this.keyNames)
    } finally {
      await this.cache.close()
    }
  }

  private async operate(lane: number, key: string, read: boolean, result: WorkloadResult): Promise<void> {
    result.operations++
    try {
      if (!read) {
        result.writes++
        await this.cache.write(lane, key)
        return
      }

      result.reads++
      const started = performance.now()
      const lookup = await this.cache.get(lane, key)
      const ms = performance.now() - started
      result.latency.add(ms)
      this.api.recordLatency(result.histogram, ms)
      if (lookup.hit === true) result.ownHits++
      else if (lookup.hit === false) result.ownMisses++
      else result.unmarked++
      if (!lookup.found && this.plan.fill) {
        result.fills++
        await this.cache.put(lane, key)
      }
    } catch (error) {
      const failure =
        error instanceof OperationError ? error : new OperationError('other', this.api.describeError(error))
      result.failed++
      result.errors[failure.kind]++
      result.examples[failure.kind] ??= failure.message
    }
  }

  private progress(result: WorkloadResult, startMs: number): {fraction: number; message: string} {
    const {plan} = this
    const fraction =
      plan.operations === undefined
        ? (performance.now() - startMs) / plan.durationMs
        : result.operations / plan.operations
    return {
      fraction: Math.min(1, fraction),
      message: `${result.reads} reads (${result.ownHits} hits), ${result.writes} writes, ${result.failed} failed`,
    }
  }
}

/** Redis as the cache: GET; on a miss SET (cache-aside fill); a write is DEL (cache-aside invalidation). */
async function redisItems(api: PhasegateApi, plan: WorkloadPlan, url: string, signal: AbortSignal): Promise<ItemCache> {
  const lanes: Redis[] = []
  const close = async (): Promise<void> => {
    await Promise.all(lanes.map((client) => api.closeRedis(client)))
  }

  try {
    for (let lane = 0; lane < plan.concurrency; lane++) lanes.push(await api.connectRedis(url, plan.timeoutMs, signal))
  } catch (error) {
    await close()
    throw error
  }

  const value = 'x'.repeat(plan.valueSize)
  const on = <T>(lane: number, command: (client: Redis) => Promise<T>): Promise<T> =>
    command(lanes[lane]!).catch((error: unknown) => {
      throw redisFailure(error)
    })
  return {
    async cleanup(keys) {
      if (lanes[0]?.status !== 'ready') return
      for (let start = 0; start < keys.length; start += PRELOAD_BATCH)
        await lanes[0].unlink(...keys.slice(start, start + PRELOAD_BATCH)).catch(() => {})
    },
    close,
    async get(lane, key) {
      const found = (await on(lane, (client) => client.get(key))) !== null
      return {found, hit: found}
    },
    name: `Redis at ${api.redisAddress(url)}`,
    async preload(keys) {
      for (let start = 0; start < keys.length; start += PRELOAD_BATCH) {
        const batch = lanes[0]!.pipeline()
        for (const key of keys.slice(start, start + PRELOAD_BATCH)) batch.set(key, value)
        const replies = (await batch.exec()) ?? []
        const failed = replies.find(([error]) => error)
        if (failed) throw new Error(`preloading Redis at ${api.redisAddress(url)} failed: ${failed[0]!.message}`)
      }
    },
    async put(lane, key) {
      await on(lane, (client) => client.set(key, value))
    },
    async write(lane, key) {
      await on(lane, (client) => client.del(key))
    },
  }
}

function redisFailure(error: unknown): OperationError {
  const message = (error as Error).message ?? String(error)
  const code = (error as {code?: unknown}).code
  if (/timed out/i.test(message)) return new OperationError('timeout', message)
  if (code === 'ECONNREFUSED') return new OperationError('connect', message)
  if (/connection is closed|ECONNRESET|EPIPE/i.test(message)) return new OperationError('reset', message)
  // An error reply (OOM, READONLY, WRONGTYPE …): the server answered, but not with the item.
  if ((error as Error).name === 'ReplyError') return new OperationError('status', message)
  return new OperationError('other', message)
}

/**
 * An HTTP cache such as the demo's: GET {items with the key} answers 200 (x-cache: HIT or MISS) or 404;
 * the server fills its cache from its store itself, so the workload PUTs an item only when the server has none.
 */
async function httpItems(api: PhasegateApi, plan: WorkloadPlan, items: string): Promise<ItemCache> {
  const {Pool} = await import('undici')
  const origin = new URL(items.replace('{key}', 'k')).origin
  const pool = new Pool(origin, {
    bodyTimeout: plan.timeoutMs,
    connections: plan.concurrency,
    connectTimeout: plan.timeoutMs,
    headersTimeout: plan.timeoutMs,
  })
  const pathOf = (key: string): string => {
    const url = new URL(items.replace('{key}', encodeURIComponent(key)))
    return `${url.pathname}${url.search}`
  }

  const body = JSON.stringify('x'.repeat(Math.max(0, plan.valueSize - 2)))
  const send = async (
    method: 'GET' | 'PUT',
    key: string,
  ): Promise<{status: number; text: string; marked: string | undefined}> => {
    let response: Awaited<ReturnType<Pool['request']>>
    try {
      response = await pool.request({
        ...(method === 'PUT' ? {body} : {}),
        headers: {
          accept: 'application/json',
          ...(method === 'PUT' ? {'content-type': 'application/json'} : {}),
          ...plan.headers,
        },
        method,
        path: pathOf(key),
      })
    } catch (error) {
      throw new OperationError(api.classifyError(error, false), api.describeError(error))
    }

    try {
      const text = await response.body.text()
      const marked = response.headers['x-cache']
      return {marked: typeof marked === 'string' ? marked.toUpperCase() : undefined, status: response.statusCode, text}
    } catch (error) {
      throw new OperationError(api.classifyError(error, true), api.describeError(error))
    }
  }

  const put = async (key: string): Promise<void> => {
    const reply = await send('PUT', key)
    if (reply.status < 200 || reply.status > 299)
      throw new OperationError('status', `PUT ${pathOf(key)} answered ${reply.status} ${preview(reply.text)}`)
  }

  const get = async (key: string): Promise<Lookup> => {
    const reply = await send('GET', key)
    if (reply.status !== 200 && reply.status !== 404)
      throw new OperationError('status', `GET ${pathOf(key)} answered ${reply.status} ${preview(reply.text)}`)
    const hit = reply.marked === 'HIT' ? true : reply.marked === 'MISS' || reply.status === 404 ? false : undefined
    return {found: reply.status === 200, hit}
  }

  return {
    // The items API has no DELETE; what was PUT stays in the server's store.
    async cleanup() {},
    close: () => api.closeGracefully(pool, 1000),
    get: (_lane, key) => get(key),
    name: `${origin}${pathOf('{key}').replace(encodeURIComponent('{key}'), '{key}')}`,
    async preload(keys, signal) {
      // Written to the store, then read once so a read-through cache holds them.
      let next = 0
      const lane = async (): Promise<void> => {
        for (let index = next++; index < keys.length && !signal.aborted; index = next++) {
          await put(keys[index]!)
          await get(keys[index]!)
        }
      }

      await Promise.all(Array.from({length: plan.concurrency}, lane)).catch((error: unknown) => {
        throw new Error(`preloading ${origin} failed: ${(error as Error).message}`)
      })
      signal.throwIfAborted()
    },
    put: (_lane, key) => put(key),
    write: (_lane, key) => put(key),
  }
}
