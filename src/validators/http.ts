import {type Scaling, scalingOf} from '../engine/regression.js'
import type {Dimension, MetricEvidence} from '../engine/types.js'
import {formatValue, grouped} from '../engine/units.js'
import {describeErrorCounts} from '../load/errors.js'
import {type Histogram, histogramBuckets, histogramSamples, type LatencySummary} from '../load/histogram.js'
// Only the light modules load with the CLI; undici and hdr-histogram-js wait until a target needs them.
import {LOAD_DEFAULTS, LOAD_LIMITS} from '../load/plan.js'
import {type LoadPlan, type LoadResult, type Stage, type StageResult} from '../load/types.js'
import {durationOption, readDuration} from './schema.js'
import {defineValidator, type MetricSpec, type Shard, shareOf} from './types.js'

export interface HttpStageOptions {
  duration?: string
  connections?: number
  rate?: number
  ramp_from?: number
  name?: string
}

export interface HttpOptions {
  url: string
  method: string
  headers?: Record<string, string>
  body?: string
  connections: number
  duration: string
  requests?: number
  rate?: number
  stages?: HttpStageOptions[]
  ok_status?: number[]
  timeout: string
  until?: 'confident'
  min_duration?: string
}

const CONNECTIONS = {maximum: LOAD_LIMITS.connections, minimum: 1, type: 'integer'}
const RATE = {exclusiveMinimum: 0, maximum: LOAD_LIMITS.rate, type: 'number'}
/** Latency samples kept per stage, drawn evenly from its histogram (the run-wide reservoir keeps the same number). */
const STAGE_SAMPLES = 10_000
/** With until: confident, how long to measure before asking whether the target is decided. */
const MIN_DURATION = '2s'

const METRICS: MetricSpec[] = [
  {
    description:
      'Latency of each successful request; with rate, timed from its intended send (coordinated omission ' +
      'corrected). A uniform sample of up to 10,000.',
    dimension: 'duration',
    name: 'latency',
    type: 'samples',
  },
  {
    description: 'Latency of each successful request timed from its actual send.',
    dimension: 'duration',
    name: 'latency_uncorrected',
    type: 'samples',
  },
  {
    description: 'Failed requests (connect, timeout, status, body, reset) out of those completed.',
    dimension: 'proportion',
    name: 'error_rate',
    type: 'proportion',
  },
  {
    description: 'Successful requests per second achieved over the run.',
    dimension: 'rate',
    name: 'throughput',
    type: 'value',
  },
  {description: 'Requests completed, successful or not.', dimension: 'count', name: 'requests', type: 'value'},
]

export const http = defineValidator<HttpOptions>({
  name: 'http',
  description:
    'Loads one URL and measures latency, errors and throughput. Closed model by default (connections each send the ' +
    "next request when the last returns); with rate, an open model timed from each request's intended send, so a " +
    'stalled server is not hidden. With stages, each stage also reports latency_<stage>, throughput_<stage> and ' +
    "error_rate_<stage> (<stage> is at_<connections>, at_<rate>rps with rate, or the stage's name: " +
    'p95(latency_at_50)), and with two or more, how throughput scales with the level: scaling_efficiency, ' +
    'scaling_slope, scaling_r2.',
  kind: 'measured',
  // Requests, errors and throughput add up across machines, and latency histograms merge exactly.
  shardable: true,
  options: {
    additionalProperties: false,
    properties: {
      body: {description: 'Request body, sent as is with every request.', type: 'string'},
      connections: {
        ...CONNECTIONS,
        default: LOAD_DEFAULTS.connections,
        description:
          'Concurrent connections: virtual users in the closed model; with rate, the cap on requests in flight.',
      },
      duration: durationOption(
        `How long to send; with stages, each stage's default. At ` +
          `most ${formatValue(LOAD_LIMITS.durationMs, 'duration')} in all.`,
        '10s',
      ),
      headers: {
        additionalProperties: {type: 'string'},
        description: 'Request headers, e.g. {authorization: "Bearer ${env.TOKEN}"}.',
        type: 'object',
      },
      method: {default: 'GET', description: 'HTTP method.', pattern: '^[A-Za-z]+$', type: 'string'},
      ok_status: {
        description: 'Statuses that count as success (default: 200–399); any other is an error of kind status.',
        items: {maximum: 599, minimum: 100, type: 'integer'},
        minItems: 1,
        type: 'array',
      },
      rate: {...RATE, description: 'Requests per second on a fixed schedule: switches to the open model.'},
      requests: {
        description: 'Stop after sending this many requests.',
        maximum: LOAD_LIMITS.requests,
        minimum: 1,
        type: 'integer',
      },
      stages: {
        description:
          'Run these one after another, each measured on its own and merged, e.g. [{connections: 5}, {connections: ' +
          '50, ramp_from: 5, duration: 30s}].',
        items: {
          additionalProperties: false,
          properties: {
            connections: {...CONNECTIONS, description: 'Level of this stage (default: the connections option).'},
            duration: durationOption('Length of this stage (default: the duration option).'),
            name: {
              description:
                "Names this stage's metrics instead of its level: name heavy gives latency_heavy, throughput_heavy, " +
                'error_rate_heavy.',
              pattern: '^[a-zA-Z][a-zA-Z0-9_]*$',
              type: 'string',
            },
            ramp_from: {
              description:
                'Start the stage at this level (connections, or rate with rate) and move linearly to its own.',
              minimum: 0,
              type: 'number',
            },
            rate: {...RATE, description: 'Open model: arrivals per second of this stage.'},
          },
          type: 'object',
        },
        minItems: 1,
        type: 'array',
      },
      until: {
        description:
          "confident: stop as soon as the evidence decides the target (PASS or FAIL at the gate's confidence, " +
          'judged exactly as at the end), asked once a second after min_duration; duration stays the ceiling.',
        enum: ['confident'],
      },
      min_duration: durationOption('With until: confident, measure at least this long before asking.', MIN_DURATION),
      timeout: durationOption(
        'Per request: the whole response, headers and body, must arrive within it (a body that trickles in slower ' +
          'is cut too); a request over it is an error of kind timeout.',
        '10s',
      ),
      url: {description: 'The URL to load, e.g. ${services.demo.url}/health.', format: 'uri', type: 'string'},
    },
    required: ['url'],
    type: 'object',
  },
  metrics: (options) => [...METRICS, ...stageMetricSpecs(options)],
  async collect(ctx, options) {
    const whole = loadPlan(options)
    const plan = ctx.shard ? planShare(whole, ctx.shard) : whole
    const keys = stageKeys(options)
    const {encodeHistogram, runLoad, summarizeLatency} = await import('../load/index.js')
    const {decided} = ctx
    const result = await runLoad({
      ...plan,
      // The partial evidence is built as the final one is, and judged by the engine through ctx.decided.
      ...(options.until === 'confident' && decided
        ? {
            until: {
              decided: (snapshot: LoadResult) =>
                decided({
                  durationMs: snapshot.durationMs,
                  kind: 'measured',
                  metrics: {...metricsOf(snapshot), ...stageEvidence(snapshot, keys, false).metrics},
                  source: '',
                }),
              minDurationMs: readDuration(options.min_duration ?? MIN_DURATION, 'min_duration'),
            },
          }
        : {}),
      onProgress: ({completed, elapsedMs, errors, plannedMs}) =>
        ctx.progress({
          completed,
          errors,
          fraction: Math.min(1, elapsedMs / plannedMs),
          message: `${grouped(completed)} requests, ${grouped(errors)} errors`,
        }),
      seed: `${ctx.seed}:${ctx.target.id}`,
      signal: ctx.signal,
    })
    const source = `http: ${result.method} ${options.url}`
    refuseUnreached(result, source)
    const stages = stageEvidence(result, keys, ctx.shard !== undefined)
    if (ctx.keepHistogram) {
      ctx.keepHistogram('latency', encodeHistogram(result.latency))
      ctx.keepHistogram('latency_uncorrected', encodeHistogram(result.latencyUncorrected))
      for (const stage of result.stages)
        if (keys[stage.index] !== undefined)
          ctx.keepHistogram(`latency_${keys[stage.index]}`, encodeHistogram(stage.latency))
    }
    return {
      durationMs: result.durationMs,
      kind: 'measured',
      metrics: {...metricsOf(result), ...stages.metrics},
      notes: [
        ...(ctx.shard ? [describeShare(whole, plan, ctx.shard)] : []),
        ...notesOf(result, summarizeLatency),
        ...stages.notes,
      ],
      source,
    }
  },
})

/** The validator's options as a load plan; durations parsed, snake_case mapped. */
export function loadPlan(options: HttpOptions): LoadPlan {
  const durationMs = readDuration(options.duration, 'duration')
  return {
    body: options.body,
    connections: options.connections,
    durationMs,
    headers: options.headers,
    method: options.method,
    okStatus: options.ok_status,
    rate: options.rate,
    requests: options.requests,
    stages: options.stages?.map((stage, index) => stageOf(stage, index, durationMs)),
    timeoutMs: readDuration(options.timeout, 'timeout'),
    url: options.url,
  }
}

/**
 * Shard i of n's part of the plan: connections, requests and closed-model ramps divided with the
 * remainder to the lowest shards (never zero), rates divided evenly, so n runners together offer the whole load.
 */
export function planShare(plan: LoadPlan, shard: Shard): LoadPlan {
  const open = (rate: number | undefined): boolean => rate !== undefined
  return {
    ...plan,
    connections: plan.connections === undefined ? undefined : shareOf(plan.connections, shard),
    rate: plan.rate === undefined ? undefined : plan.rate / shard.count,
    requests: plan.requests === undefined ? undefined : shareOf(plan.requests, shard),
    stages: plan.stages?.map((stage) => ({
      ...stage,
      connections: stage.connections === undefined ? undefined : shareOf(stage.connections, shard),
      rampFrom:
        stage.rampFrom === undefined
          ? undefined
          : open(stage.rate ?? plan.rate)
            ? stage.rampFrom / shard.count
            : shareOf(stage.rampFrom, shard, 0),
      rate: stage.rate === undefined ? undefined : stage.rate / shard.count,
    })),
  }
}

/** "share 1/2 of the load: 3 of 5 connections, 50/s of 100/s, 200 of 400 requests" */
function describeShare(whole: LoadPlan, share: LoadPlan, shard: Shard): string {
  const connections = (plan: LoadPlan): number => plan.connections ?? LOAD_DEFAULTS.connections
  const parts = [`${connections(share)} of ${connections(whole)} connections`]
  if (whole.rate !== undefined && share.rate !== undefined)
    parts.push(`${formatValue(share.rate, 'rate')} of ${formatValue(whole.rate, 'rate')}`)
  if (whole.requests !== undefined) parts.push(`${share.requests} of ${whole.requests} requests`)
  if (whole.stages) parts.push('each stage divided the same way')
  return `share ${shard.index}/${shard.count} of the load: ${parts.join(', ')}`
}

function stageOf(options: HttpStageOptions, index: number, defaultMs: number): Stage {
  return {
    connections: options.connections,
    durationMs:
      options.duration === undefined ? defaultMs : readDuration(options.duration, `stages[${index}].duration`),
    name: options.name,
    rampFrom: options.ramp_from,
    rate: options.rate,
  }
}

/**
 * What each stage's metrics are called after: its name, or its level — at_<connections> in the
 * closed model, at_<rate>rps in the open one. Two stages may not share one: a gate could not say which it means.
 */
export function stageKeys(options: Pick<HttpOptions, 'connections' | 'rate' | 'stages'>): string[] {
  const keys = (options.stages ?? []).map((stage) => {
    if (stage.name !== undefined) return stage.name
    const rate = stage.rate ?? options.rate
    return rate === undefined
      ? `at_${stage.connections ?? options.connections ?? LOAD_DEFAULTS.connections}`
      : `at_${rate}rps`
  })
  for (const [index, key] of keys.entries()) {
    const first = keys.indexOf(key)
    if (first !== index)
      throw new Error(
        `stages ${first + 1} and ${index + 1} would both report latency_${key}: give one of them a name ` +
          `(stages[${index}].name)`,
      )
  }

  return keys
}

/** The per-stage metrics, and the scaling ones once there are two stages to compare. */
function stageMetricSpecs(options: HttpOptions): MetricSpec[] {
  const keys = stageKeys(options)
  const perStage = keys.flatMap((key, index): MetricSpec[] => [
    {
      description:
        `Latency of stage ${index + 1}'s successful requests, drawn evenly from its histogram (up ` +
        `to ${grouped(STAGE_SAMPLES)}).`,
      dimension: 'duration',
      name: `latency_${key}`,
      type: 'samples',
    },
    {
      description: `Successful requests per second achieved in stage ${index + 1}.`,
      dimension: 'rate',
      name: `throughput_${key}`,
      type: 'value',
    },
    {
      description: `Failed requests out of those completed in stage ${index + 1}.`,
      dimension: 'proportion',
      name: `error_rate_${key}`,
      type: 'proportion',
    },
  ])
  if (keys.length < 2) return perStage
  return [
    ...perStage,
    {
      description:
        'Throughput at the highest level ÷ (throughput at the lowest level × highest level / lowest level): 1 when ' +
        'throughput grows in proportion to connections (or rate), 0.5 when the top stage achieves half of that.',
      dimension: 'ratio',
      name: 'scaling_efficiency',
      type: 'value',
    },
    {
      description:
        'Slope of the least-squares line of stage throughput against stage level: successful requests per second ' +
        'gained per added connection (or per 1/s of rate). Its 95% interval is in the notes.',
      dimension: 'rate',
      name: 'scaling_slope',
      type: 'value',
    },
    {
      description:
        'Share of the variance of stage throughput the line explains (r², 0 to 1): near 1 when throughput follows a ' +
        'straight line across the stages.',
      dimension: 'ratio',
      name: 'scaling_r2',
      type: 'value',
    },
  ]
}

/** Per-stage latency, throughput and errors under each stage's key, and how throughput scaled. */
function stageEvidence(
  result: LoadResult,
  keys: readonly string[],
  sharded: boolean,
): {metrics: Record<string, MetricEvidence>; notes: string[]} {
  const metrics: Record<string, MetricEvidence> = {}
  for (const stage of result.stages) {
    const key = keys[stage.index]
    if (key === undefined) continue
    const latency = histogramSamples(stage.latency, STAGE_SAMPLES)
    metrics[`latency_${key}`] = withBuckets(
      {dimension: 'duration', samples: latency, seen: stage.latency.totalCount, type: 'samples'},
      stage.latency,
    )
    metrics[`throughput_${key}`] = {dimension: 'rate', type: 'value', value: stage.rates.ok}
    metrics[`error_rate_${key}`] = {events: stage.requests.errors, trials: stage.requests.completed, type: 'proportion'}
  }

  if (keys.length < 2) return {metrics, notes: []}
  // A slope or an efficiency from one shard's levels does not add up across shards; the merged per-stage throughputs
  // still show it.
  if (sharded)
    return {metrics, notes: ['scaling is not reported on a shard: gate the merged throughput_<stage> metrics instead']}
  if (result.stages.length < keys.length)
    return {metrics, notes: [`scaling is not reported: ${result.stages.length} of ${keys.length} stages ran`]}
  const scaling = scalingOf(
    result.stages.map((stage) => ({level: stage.rate ?? stage.connections, throughput: stage.rates.ok})),
  )
  const notes = [describeScaling(scaling, result.model === 'open' ? 'rate' : 'connections')]
  const value = (dimension: Dimension, number: number): MetricEvidence => ({dimension, type: 'value', value: number})
  if (Number.isFinite(scaling.efficiency)) metrics.scaling_efficiency = value('ratio', scaling.efficiency)
  else notes.push('scaling_efficiency is not reported: the lowest stage achieved no successful request')
  if (scaling.fit) {
    metrics.scaling_slope = value('rate', scaling.fit.slope)
    if (Number.isFinite(scaling.fit.rSquared)) metrics.scaling_r2 = value('ratio', scaling.fit.rSquared)
    else
      notes.push('scaling_r2 is not reported: throughput was the same at every stage, there is no variance to explain')
  } else {
    notes.push('scaling_slope and scaling_r2 are not reported: every stage ran at the same level')
  }

  return {metrics, notes}
}

/**
 * "scaling: +4.9/s per connection (95% interval 4.7/s to 5.1/s, r² 1); 246/s at 50 connections is 0.98x of linear from
 * 24.6/s at 5"
 */
function describeScaling({efficiency, fit, highest, lowest}: Scaling, unit: 'connections' | 'rate'): string {
  const rate = (value: number): string => formatValue(value, 'rate')
  const level = (value: number): string => (unit === 'rate' ? `${rate(value)} offered` : `${value} connections`)
  const per = unit === 'rate' ? 'per 1/s offered' : 'per connection'
  let line = 'one level only'
  if (fit) {
    const bounds = fit.slopeInterval
    const interval = bounds ? `95% interval ${rate(bounds[0])} to ${rate(bounds[1])}, ` : ''
    const r2 = Number.isFinite(fit.rSquared) ? fit.rSquared.toFixed(3) : 'undefined'
    line = `${fit.slope >= 0 ? '+' : ''}${rate(fit.slope)} ${per} (${interval}r² ${r2})`
  }
  const linear = Number.isFinite(efficiency)
    ? `${formatValue(efficiency, 'ratio')} of linear`
    : 'no baseline for linear'
  const [from, to] = [lowest, highest].map((point) => `${rate(point.throughput)} at ${level(point.level)}`)
  return `scaling: ${line}; ${to} is ${linear} from ${from}`
}

/**
 * Not one request reached the server: there is nothing about the system under test to judge, so
 * this is NO_DATA with the reason rather than an error rate of 100% over a system that was not there.
 */
function refuseUnreached(result: LoadResult, source: string): void {
  const {completed} = result.requests
  if (completed === 0)
    throw new Error(`${source}: no request completed in ${formatValue(result.durationMs, 'duration')}`)
  if (result.errors.connect === completed) {
    throw new Error(
      `${source}: could not connect in ${grouped(completed)} attempts ` +
        `(${result.errorExamples.connect ?? 'connection failed'})`,
    )
  }
}

/**
 * The metric with every observation's bucket beside its samples, so quantiles count all of them (engine/quantile.ts).
 */
function withBuckets(metric: Extract<MetricEvidence, {type: 'samples'}>, histogram: Histogram): MetricEvidence {
  const buckets = histogram.totalCount > 0 ? histogramBuckets(histogram) : undefined
  return buckets ? {...metric, buckets} : metric
}

function metricsOf(result: LoadResult): Record<string, MetricEvidence> {
  const {samples} = result
  return {
    error_rate: {events: result.requests.errors, trials: result.requests.completed, type: 'proportion'},
    latency: withBuckets(
      {dimension: 'duration', samples: samples.latency, seen: samples.seen, type: 'samples'},
      result.latency,
    ),
    latency_uncorrected: withBuckets(
      {dimension: 'duration', samples: samples.latencyUncorrected, seen: samples.seen, type: 'samples'},
      result.latencyUncorrected,
    ),
    requests: {dimension: 'count', type: 'value', value: result.requests.completed},
    throughput: {dimension: 'rate', type: 'value', value: result.rates.ok},
  }
}

function notesOf(result: LoadResult, summarize: (stage: StageResult['latency']) => LatencySummary): string[] {
  const notes: string[] = []
  if (result.partial)
    notes.push(`partial run: ${result.stopReason} after ${formatValue(result.durationMs, 'duration')}`)
  if (result.stopReason === 'decided')
    notes.push(
      `stopped early after ${formatValue(result.durationMs, 'duration')}: the evidence already decided the target ` +
        `(until: confident)`,
    )
  if (result.stopReason === 'requests')
    notes.push(`stopped after ${grouped(result.requests.sent)} requests, the requests limit`)
  if (result.client.saturated) {
    notes.push(
      `the load generator used ${formatValue(result.client.cpu, 'proportion')} of a CPU core: it may have limited ` +
        `the results, not the server`,
    )
  }

  const errors = describeErrorCounts(result.errors, result.errorExamples)
  if (errors) notes.push(`errors: ${errors}`)
  if (result.rates.offered !== null)
    notes.push(
      `offered ${formatValue(result.rates.offered, 'rate')}, achieved ${formatValue(result.rates.achieved, 'rate')}`,
    )
  if (result.unsent > 0) {
    notes.push(
      `${grouped(result.unsent)} scheduled requests were never sent: every connection was busy until ` +
        `their stage ended (raise connections)`,
    )
  }

  if (result.stages.length > 1)
    notes.push(...result.stages.map((stage) => describeStage(stage, summarize(stage.latency))))
  return notes
}

/** "stage 2 (25 connections, 10 s): 4,210 requests, 0 errors, p50 3.1 ms, p95 8.4 ms" */
function describeStage(stage: StageResult, latency: LatencySummary): string {
  const connections = `${stage.connections} connection${stage.connections === 1 ? '' : 's'}`
  const level = stage.rate === null ? connections : `${formatValue(stage.rate, 'rate')}, ${connections}`
  const ramp = stage.rampFrom === null ? '' : ` from ${stage.rampFrom}`
  const percentiles =
    latency.count === 0
      ? 'no successful request'
      : `p50 ${formatValue(latency.p50, 'duration')}, p95 ${formatValue(latency.p95, 'duration')}`
  const {completed, errors} = stage.requests
  const counts = `${grouped(completed)} requests, ${grouped(errors)} errors`
  const duration = formatValue(stage.durationMs, 'duration')
  return `stage ${stage.index + 1} (${level}${ramp}, ${duration}): ${counts}, ${percentiles}`
}
