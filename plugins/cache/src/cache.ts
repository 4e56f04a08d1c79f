import {setTimeout as sleep} from 'node:timers/promises'

import type {CollectContext, Evidence, MetricSpec, PhasegateApi, Validator} from 'phasegate'

import {type CounterSource, countersDelta, prometheusCounters, redisCounters, urlCounters} from './counters.js'
import {Workload, type WorkloadPlan, type WorkloadResult} from './workload.js'
import {MAX_KEYS} from './zipf.js'

export interface WorkloadOptions {
  keys: number
  skew: number
  reads: number
  operations?: number
  duration?: string
  concurrency: number
  value_size: number
  preload: number
  on_miss: 'fill' | 'none'
  key_prefix: string
  redis?: string
  items?: string
}

export interface CacheOptions {
  redis?: string
  url?: string
  hits_path?: string
  misses_path?: string
  headers?: Record<string, string>
  prometheus?: {url: string; hits: string; misses: string; token?: string; settle: string}
  window: string
  timeout: string
  workload?: WorkloadOptions
}

const MAX_CONCURRENCY = 256
const PROGRESS_EVERY_MS = 1000
const REDIS_URL = {format: 'uri', pattern: '^rediss?://', type: 'string'}

const METRICS: MetricSpec[] = [
  {
    description:
      'Lookups answered from the cache out of all lookups in the window (Δhits / (Δhits + Δmisses)), from the ' +
      'cache’s own counters.',
    dimension: 'proportion',
    name: 'hit_rate',
    type: 'proportion',
  },
  {
    description: 'Lookups answered from the cache during the window (the hits counter’s increase).',
    dimension: 'count',
    name: 'hits',
    type: 'value',
  },
  {
    description: 'Lookups the cache could not answer during the window (the misses counter’s increase).',
    dimension: 'count',
    name: 'misses',
    type: 'value',
  },
]

const WORKLOAD_METRICS: MetricSpec[] = [
  {
    description:
      'Time of each of the workload’s reads (GET), hits and misses alike, in ms; a uniform sample of up to 10,000.',
    dimension: 'duration',
    name: 'get_latency',
    type: 'samples',
  },
  {
    description: 'The workload’s failed operations (unreachable, timed out, error replies) out of all it sent.',
    dimension: 'proportion',
    name: 'error_rate',
    type: 'proportion',
  },
]

/** The options made concrete: durations in ms, exactly one counter source, the workload's target resolved. */
export interface CachePlan {
  source:
    | {redis: string}
    | {url: string; hits: string; misses: string}
    | {prometheus: {url: string; hits: string; misses: string; token?: string}}
  windowMs: number
  timeoutMs: number
  /** Prometheus lags its targets by a scrape: with a workload, wait this long before each reading. */
  settleMs: number
  headers: Record<string, string>
  workload?: WorkloadPlan
}

export function makeCacheValidator(api: PhasegateApi): Validator<CacheOptions> {
  return api.defineValidator<CacheOptions>({
    name: 'cache',
    description:
      'Measures a cache’s hit rate from its own hit and miss counters over a window: read them, wait `window` (or ' +
      'drive a `workload` of Zipf-distributed keys), read them again. Counters from Redis (INFO stats), a JSON ' +
      'stats URL, or Prometheus queries.',
    kind: 'measured',
    options: {
      additionalProperties: false,
      properties: {
        headers: {
          additionalProperties: {type: 'string'},
          description:
            'Headers for the stats URL and the workload’s item requests, e.g. {authorization: "Bearer ${env.TOKEN}"}.',
          type: 'object',
        },
        hits_path: {
          description:
            'With `url`: where the hits counter is in the JSON, a dotted path such as stats.hits (default: hits).',
          minLength: 1,
          type: 'string',
        },
        misses_path: {
          description: 'With `url`: where the misses counter is in the JSON (default: misses).',
          minLength: 1,
          type: 'string',
        },
        prometheus: {
          additionalProperties: false,
          description: 'Counters from Prometheus: two instant queries, at the start and the end of the window.',
          properties: {
            hits: {
              description: 'PromQL giving the cumulative hits as one series, e.g. sum(demo_cache_hits_total).',
              minLength: 1,
              type: 'string',
            },
            misses: {
              description: 'PromQL giving the cumulative misses as one series, e.g. sum(demo_cache_misses_total).',
              minLength: 1,
              type: 'string',
            },
            settle: api.durationOption(
              'With a workload: how long Prometheus needs to have scraped what came before (its scrape interval, ' +
                'plus a rule’s interval for a recorded series); waited before the first reading and after the window.',
              '15s',
            ),
            token: {
              description: 'Bearer token for Prometheus, e.g. ${env.PROM_TOKEN}; never shown in messages.',
              type: 'string',
            },
            url: {description: 'Base URL of Prometheus, e.g. http://127.0.0.1:9090.', format: 'uri', type: 'string'},
          },
          required: ['url', 'hits', 'misses'],
          type: 'object',
        },
        redis: {
          ...REDIS_URL,
          description:
            'Counters from Redis: redis://[user:password@]127.0.0.1:6379[/db]; INFO stats keyspace_hits and ' +
            'keyspace_misses count the whole server.',
        },
        timeout: api.durationOption(
          'For each counter reading and each workload operation; over it, a reading is an error and an operation ' +
            'fails with kind timeout.',
          '5s',
        ),
        url: {
          description: 'Counters from a JSON stats URL (GET), e.g. ${services.demo.url}/cache → {hits, misses, …}.',
          format: 'uri',
          type: 'string',
        },
        window: api.durationOption(
          'How long to observe the counters when there is no workload, and how long the workload runs when it gives ' +
            'neither duration nor operations.',
          '10s',
        ),
        workload: {
          additionalProperties: false,
          description:
            'Traffic the validator drives itself during the window, so the rate is measured under a known load.',
          properties: {
            concurrency: {
              default: 8,
              description: 'Operations in flight at once, each lane on its own connection.',
              maximum: MAX_CONCURRENCY,
              minimum: 1,
              type: 'integer',
            },
            duration: api.durationOption('Run for this long (default: window).'),
            items: {
              description:
                'HTTP cache: the item URL with {key}, e.g. ${services.demo.url}/cache/items/{key} (default with ' +
                '`url`: {url}/items/{key}).',
              format: 'uri',
              pattern: '\\{key\\}',
              type: 'string',
            },
            key_prefix: {
              default: 'phasegate-cache-',
              description: 'Keys are this prefix and a rank: phasegate-cache-0 is the most popular.',
              pattern: '^[A-Za-z0-9:_.-]*$',
              type: 'string',
            },
            keys: {
              default: 1000,
              description: 'Distinct keys the workload touches.',
              maximum: MAX_KEYS,
              minimum: 1,
              type: 'integer',
            },
            on_miss: {
              default: 'fill',
              description:
                'fill: cache-aside, a read that finds nothing writes the item (Redis SET; HTTP PUT when the server ' +
                'answers 404); none: leave it missing.',
              enum: ['fill', 'none'],
            },
            operations: {
              description: 'Stop after this many operations instead of after a duration.',
              maximum: 100_000_000,
              minimum: 1,
              type: 'integer',
            },
            preload: {
              default: 0,
              description:
                'The this-many most popular keys are written before the window opens (over HTTP also read once, so ' +
                'a read-through cache holds them).',
              maximum: MAX_KEYS,
              minimum: 0,
              type: 'integer',
            },
            reads: {
              default: 1,
              description:
                'Share of operations that read (0..1); the rest write: Redis DEL (cache-aside invalidation), HTTP PUT.',
              maximum: 1,
              minimum: 0,
              type: 'number',
            },
            redis: {...REDIS_URL, description: 'Drive this Redis (default with `redis`: the same server).'},
            skew: {
              default: 0.99,
              description:
                'Zipf exponent s of key popularity: P(rank k) ∝ 1/(k+1)^s; 0 is uniform, larger puts more traffic ' +
                'on fewer keys.',
              maximum: 10,
              minimum: 0,
              type: 'number',
            },
            value_size: {
              default: 100,
              description: 'Bytes of each value written.',
              maximum: 1024 ** 2,
              minimum: 0,
              type: 'integer',
            },
          },
          type: 'object',
        },
      },
      type: 'object',
    },
    // A function so the combination of options is checked with the gate file, before anything runs.
    metrics(options) {
      return planOf(api, options).workload ? [...METRICS, ...WORKLOAD_METRICS] : METRICS
    },
    collect: (ctx, options) => measureCache(api, ctx, planOf(api, options)),
  })
}

/** Reads the options into a plan; throws (naming the option) when they do not fit together. */
export function planOf(api: PhasegateApi, options: CacheOptions): CachePlan {
  const given = (['redis', 'url', 'prometheus'] as const).filter((name) => options[name] !== undefined)
  if (given.length !== 1) {
    throw new Error(
      given.length === 0
        ? 'give the counters’ source: one of `redis`, `url` or `prometheus`'
        : `give one source of counters, not ${given.map((name) => `\`${name}\``).join(' and ')}`,
    )
  }

  if (!options.url && (options.hits_path || options.misses_path))
    throw new Error('`hits_path` and `misses_path` read the JSON of `url`; with another source leave them out')
  const timeoutMs = api.readDuration(options.timeout, 'timeout')
  const windowMs = api.readDuration(options.window, 'window')
  const source: CachePlan['source'] = options.redis
    ? {redis: options.redis}
    : options.url
      ? {hits: options.hits_path ?? 'hits', misses: options.misses_path ?? 'misses', url: options.url}
      : {
          prometheus: {
            hits: options.prometheus!.hits,
            misses: options.prometheus!.misses,
            url: options.prometheus!.url,
            ...(options.prometheus!.token ? {token: options.prometheus!.token} : {}),
          },
        }
  const plan: CachePlan = {
    headers: options.headers ?? {},
    settleMs: options.prometheus ? api.readDuration(options.prometheus.settle, 'prometheus.settle') : 0,
    source,
    timeoutMs,
    windowMs,
  }
  if (windowMs <= 0 && !options.workload?.operations)
    throw new Error('`window` must be longer than 0s: nothing can be counted in no time')
  if (options.workload) plan.workload = workloadPlan(api, options, plan)
  return plan
}

function workloadPlan(api: PhasegateApi, options: CacheOptions, plan: CachePlan): WorkloadPlan {
  const workload = options.workload!
  if (workload.operations !== undefined && workload.duration !== undefined)
    throw new Error('give `workload.operations` or `workload.duration`, not both')
  if (workload.redis && workload.items)
    throw new Error('the workload drives one cache: give `workload.redis` or `workload.items`, not both')
  if (workload.preload > workload.keys)
    throw new Error(`workload.preload (${workload.preload}) cannot exceed workload.keys (${workload.keys})`)
  const target = workload.redis
    ? {redis: workload.redis}
    : workload.items
      ? {items: workload.items}
      : options.redis
        ? {redis: options.redis}
        : options.url
          ? {items: `${options.url.replace(/\/+$/, '')}/items/{key}`}
          : undefined
  if (!target)
    throw new Error(
      'with `prometheus`, say what the workload drives: `workload.redis` (a Redis URL) or `workload.items` (an item ' +
        'URL with {key})',
    )
  return {
    concurrency: workload.concurrency,
    durationMs:
      workload.duration === undefined ? plan.windowMs : api.readDuration(workload.duration, 'workload.duration'),
    fill: workload.on_miss === 'fill',
    headers: plan.headers,
    keyPrefix: workload.key_prefix,
    keys: workload.keys,
    preload: workload.preload,
    reads: workload.reads,
    skew: workload.skew,
    target,
    timeoutMs: plan.timeoutMs,
    valueSize: workload.value_size,
    ...(workload.operations === undefined ? {} : {operations: workload.operations}),
  }
}

async function openSource(api: PhasegateApi, plan: CachePlan, signal: AbortSignal): Promise<CounterSource> {
  const {source, timeoutMs} = plan
  if ('redis' in source) return redisCounters(api, source.redis, timeoutMs, signal)
  if ('url' in source) return urlCounters(api, source.url, source, plan.headers, timeoutMs)
  return prometheusCounters(api, source.prometheus, timeoutMs)
}

async function measureCache(api: PhasegateApi, ctx: CollectContext, plan: CachePlan): Promise<Evidence> {
  const counters = await openSource(api, plan, ctx.signal)
  let workload: Workload | undefined
  try {
    if (plan.workload) {
      workload = await Workload.open(api, plan.workload, ctx)
      if (plan.workload.preload > 0) ctx.progress({message: `preloading ${plan.workload.preload} keys`})
      await workload.preload(ctx.signal)
      // The start reading must include the preload and whatever ran before us, not leave it to be counted in the
      // window.
      await settle(api, plan, ctx)
    }

    const before = await counters.read(ctx.signal)
    const startMs = performance.now()
    const run = workload ? await workload.run(ctx) : await observe(api, plan.windowMs, ctx)
    const windowMs = performance.now() - startMs
    if (workload) await settle(api, plan, ctx)
    const after = await counters.read(ctx.signal)
    const {hits, misses} = countersDelta(before, after, counters.name)
    const how = workload ? `under a ${workload.name}` : `observing ${api.formatValue(windowMs, 'duration')}`
    const source = `cache: ${counters.name}, ${how}`
    if (hits + misses === 0) {
      throw new Error(
        `no cache lookups in the ${api.formatValue(windowMs, 'duration')} window: the hits and misses counters ` +
          `of ${counters.name} did not move ` +
          `(hits ${after.hits}, misses ${after.misses}); ${
            workload
              ? 'the workload’s reads did not reach these ' + 'counters — do they count this cache?'
              : 'measure while traffic runs, or give a `workload`'
          }`,
      )
    }

    const evidence: Evidence = {
      durationMs: windowMs,
      kind: 'measured',
      metrics: {
        hit_rate: {events: hits, trials: hits + misses, type: 'proportion'},
        hits: {dimension: 'count', type: 'value', value: hits},
        misses: {dimension: 'count', type: 'value', value: misses},
      },
      notes: [
        `${hits} hits and ${misses} misses in ${api.formatValue(windowMs, 'duration')} (counters from ` +
          `hits ${before.hits}, misses ${before.misses} to hits ${after.hits}, misses ${after.misses})`,
      ],
      source,
    }
    if (run) addWorkload(api, evidence, run, hits, misses, plan.workload!)
    return evidence
  } finally {
    // Also on abort or timeout: no connection or key of ours is left behind.
    await workload?.close().catch(() => {})
    await counters.close()
  }
}

/** Waits the window out, reporting progress; only someone else's traffic moves the counters. */
async function observe(api: PhasegateApi, windowMs: number, ctx: CollectContext): Promise<undefined> {
  const startMs = performance.now()
  const tell = (): void => {
    const elapsed = performance.now() - startMs
    ctx.progress({
      fraction: Math.min(1, elapsed / windowMs),
      message:
        `observing the ` +
        `counters: ${api.formatValue(elapsed, 'duration')} of ${api.formatValue(windowMs, 'duration')}`,
    })
  }

  tell()
  const report = setInterval(tell, PROGRESS_EVERY_MS)
  try {
    await sleep(windowMs, undefined, {signal: ctx.signal})
  } finally {
    clearInterval(report)
  }

  return undefined
}

async function settle(api: PhasegateApi, plan: CachePlan, ctx: CollectContext): Promise<void> {
  if (plan.settleMs <= 0) return
  ctx.progress({message: `waiting ${api.formatValue(plan.settleMs, 'duration')} for Prometheus to scrape`})
  await sleep(plan.settleMs, undefined, {signal: ctx.signal})
}

function addWorkload(
  api: PhasegateApi,
  evidence: Evidence,
  run: WorkloadResult,
  hits: number,
  misses: number,
  plan: WorkloadPlan,
): void {
  const notes = evidence.notes!
  if (run.reads > 0) {
    evidence.metrics.get_latency = {
      dimension: 'duration',
      samples: run.latency.samples(),
      seen: run.latency.seen,
      type: 'samples',
    }
    const latency = api.summarizeLatency(run.histogram)
    const at = (value: number): string => api.formatValue(value, 'duration')
    const spread = `p50 ${at(latency.p50)}, p95 ${at(latency.p95)}, p99 ${at(latency.p99)}, max ${at(latency.max)}`
    notes.push(`get latency over all ${run.reads} reads: ${spread}`)
  }

  if (run.operations > 0) evidence.metrics.error_rate = {events: run.failed, trials: run.operations, type: 'proportion'}
  const marked = run.unmarked > 0 ? `, ${run.unmarked} unmarked (no x-cache header)` : ''
  notes.push(
    `the workload ` +
      `sent ${run.operations} operations: ${run.reads} reads (${run.ownHits} hits, ${run.ownMisses} misses by the ` +
      `cache’s own mark${marked}), ${run.writes} writes, ${run.fills} fills after a miss, ${run.failed} failed`,
  )
  const seen = run.ownHits + run.ownMisses
  if (run.unmarked === 0 && (seen !== hits + misses || run.ownHits !== hits)) {
    notes.push(
      `the counters moved by ${hits} hits and ${misses} misses, the workload ` +
        `saw ${run.ownHits} and ${run.ownMisses}: other clients used the cache during the window, or the counters ` +
        `count more than these reads`,
    )
  }

  if (plan.preload > 0) {
    notes.push(
      `the ${plan.preload} preloaded keys draw ${api.formatValue(run.preloadedShare, 'proportion')} of the reads: ` +
        `the hit rate by construction when nothing is filled, written or evicted`,
    )
  }

  const errors = api.describeErrorCounts(run.errors, run.examples)
  if (errors) notes.push(`failed operations: ${errors}`)
}
