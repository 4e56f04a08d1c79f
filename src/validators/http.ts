import type {MetricEvidence} from '../engine/types.js'
import {formatValue} from '../engine/units.js'
import type {LatencySummary} from '../load/histogram.js'
// Only the light modules load with the CLI; undici and hdr-histogram-js wait until a target needs them.
import {LOAD_DEFAULTS, LOAD_LIMITS} from '../load/plan.js'
import {ERROR_KINDS, type LoadPlan, type LoadResult, type Stage, type StageResult} from '../load/types.js'
import {durationOption, readDuration} from './schema.js'
import {defineValidator} from './types.js'

export interface HttpStageOptions {
  duration?: string
  connections?: number
  rate?: number
  ramp_from?: number
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
}

const CONNECTIONS = {maximum: LOAD_LIMITS.connections, minimum: 1, type: 'integer'}
const RATE = {exclusiveMinimum: 0, maximum: LOAD_LIMITS.rate, type: 'number'}

export const http = defineValidator<HttpOptions>({
  name: 'http',
  description:
    'Loads one URL and measures latency, errors and throughput. Closed model by default (connections each send the next request when the last returns); with rate, an open model timed from each request\'s intended send, so a stalled server is not hidden.',
  kind: 'measured',
  options: {
    additionalProperties: false,
    properties: {
      body: {description: 'Request body, sent as is with every request.', type: 'string'},
      connections: {
        ...CONNECTIONS,
        default: LOAD_DEFAULTS.connections,
        description: 'Concurrent connections: virtual users in the closed model; with rate, the cap on requests in flight.',
      },
      duration: durationOption(`How long to send; with stages, each stage's default. At most ${formatValue(LOAD_LIMITS.durationMs, 'duration')} in all.`, '10s'),
      headers: {additionalProperties: {type: 'string'}, description: 'Request headers, e.g. {authorization: "Bearer ${env.TOKEN}"}.', type: 'object'},
      method: {default: 'GET', description: 'HTTP method.', pattern: '^[A-Za-z]+$', type: 'string'},
      ok_status: {
        description: 'Statuses that count as success (default: 200–399); any other is an error of kind status.',
        items: {maximum: 599, minimum: 100, type: 'integer'},
        minItems: 1,
        type: 'array',
      },
      rate: {...RATE, description: 'Requests per second on a fixed schedule: switches to the open model.'},
      requests: {description: 'Stop after sending this many requests.', maximum: LOAD_LIMITS.requests, minimum: 1, type: 'integer'},
      stages: {
        description: 'Run these one after another, each measured on its own and merged, e.g. [{connections: 5}, {connections: 50, ramp_from: 5, duration: 30s}].',
        items: {
          additionalProperties: false,
          properties: {
            connections: {...CONNECTIONS, description: 'Level of this stage (default: the connections option).'},
            duration: durationOption('Length of this stage (default: the duration option).'),
            ramp_from: {description: 'Start the stage at this level (connections, or rate with rate) and move linearly to its own.', minimum: 0, type: 'number'},
            rate: {...RATE, description: 'Open model: arrivals per second of this stage.'},
          },
          type: 'object',
        },
        minItems: 1,
        type: 'array',
      },
      timeout: durationOption('Per request: the response headers, and each piece of the body, must arrive within it; a request over it is an error of kind timeout.', '10s'),
      url: {description: 'The URL to load, e.g. ${services.demo.url}/health.', format: 'uri', type: 'string'},
    },
    required: ['url'],
    type: 'object',
  },
  metrics: [
    {
      description: 'Latency of each successful request; with rate, timed from its intended send (coordinated omission corrected). A uniform sample of up to 10,000.',
      dimension: 'duration',
      name: 'latency',
      type: 'samples',
    },
    {description: 'Latency of each successful request timed from its actual send.', dimension: 'duration', name: 'latency_uncorrected', type: 'samples'},
    {description: 'Failed requests (connect, timeout, status, body, reset) out of those completed.', dimension: 'proportion', name: 'error_rate', type: 'proportion'},
    {description: 'Successful requests per second achieved over the run.', dimension: 'rate', name: 'throughput', type: 'value'},
    {description: 'Requests completed, successful or not.', dimension: 'count', name: 'requests', type: 'value'},
  ],
  async collect(ctx, options) {
    const plan = loadPlan(options)
    const {runLoad, summarizeLatency} = await import('../load/index.js')
    const result = await runLoad({
      ...plan,
      onProgress: ({completed, elapsedMs, errors, plannedMs}) =>
        ctx.progress({fraction: Math.min(1, elapsedMs / plannedMs), message: `${completed.toLocaleString('en-US')} requests, ${errors.toLocaleString('en-US')} errors`}),
      seed: `${ctx.seed}:${ctx.target.id}`,
      signal: ctx.signal,
    })
    const source = `http: ${result.method} ${options.url}`
    refuseUnreached(result, source)
    return {durationMs: result.durationMs, kind: 'measured', metrics: metricsOf(result), notes: notesOf(result, summarizeLatency), source}
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

function stageOf(options: HttpStageOptions, index: number, defaultMs: number): Stage {
  return {
    connections: options.connections,
    durationMs: options.duration === undefined ? defaultMs : readDuration(options.duration, `stages[${index}].duration`),
    rampFrom: options.ramp_from,
    rate: options.rate,
  }
}


/**
 * Not one request reached the server: there is nothing about the system under test to judge, so
 * this is NO_DATA with the reason rather than an error rate of 100% over a system that was not there.
 */
function refuseUnreached(result: LoadResult, source: string): void {
  const {completed} = result.requests
  if (completed === 0) throw new Error(`${source}: no request completed in ${formatValue(result.durationMs, 'duration')}`)
  if (result.errors.connect === completed) {
    throw new Error(`${source}: could not connect in ${completed.toLocaleString('en-US')} attempts (${result.errorExamples.connect ?? 'connection failed'})`)
  }
}

function metricsOf(result: LoadResult): Record<string, MetricEvidence> {
  const {samples} = result
  return {
    error_rate: {events: result.requests.errors, trials: result.requests.completed, type: 'proportion'},
    latency: {dimension: 'duration', samples: samples.latency, seen: samples.seen, type: 'samples'},
    latency_uncorrected: {dimension: 'duration', samples: samples.latencyUncorrected, seen: samples.seen, type: 'samples'},
    requests: {dimension: 'count', type: 'value', value: result.requests.completed},
    throughput: {dimension: 'rate', type: 'value', value: result.rates.ok},
  }
}

function notesOf(result: LoadResult, summarize: (stage: StageResult['latency']) => LatencySummary): string[] {
  const notes: string[] = []
  if (result.partial) notes.push(`partial run: ${result.stopReason} after ${formatValue(result.durationMs, 'duration')}`)
  if (result.stopReason === 'requests') notes.push(`stopped after ${result.requests.sent.toLocaleString('en-US')} requests, the requests limit`)
  if (result.client.saturated) {
    notes.push(`the load generator used ${formatValue(result.client.cpu, 'proportion')} of a CPU core: it may have limited the results, not the server`)
  }

  const errors = ERROR_KINDS.filter((kind) => result.errors[kind] > 0).map((kind) => `${result.errors[kind].toLocaleString('en-US')} ${kind} (${result.errorExamples[kind] ?? 'no detail'})`)
  if (errors.length > 0) notes.push(`errors: ${errors.join(', ')}`)
  if (result.rates.offered !== null) notes.push(`offered ${formatValue(result.rates.offered, 'rate')}, achieved ${formatValue(result.rates.achieved, 'rate')}`)
  if (result.unsent > 0) {
    notes.push(`${result.unsent.toLocaleString('en-US')} scheduled requests were never sent: every connection was busy until their stage ended (raise connections)`)
  }

  if (result.stages.length > 1) notes.push(...result.stages.map((stage) => describeStage(stage, summarize(stage.latency))))
  return notes
}

/** "stage 2 (25 connections, 10 s): 4,210 requests, 0 errors, p50 3.1 ms, p95 8.4 ms" */
function describeStage(stage: StageResult, latency: LatencySummary): string {
  const connections = `${stage.connections} connection${stage.connections === 1 ? '' : 's'}`
  const level = stage.rate === null ? connections : `${formatValue(stage.rate, 'rate')}, ${connections}`
  const ramp = stage.rampFrom === null ? '' : ` from ${stage.rampFrom}`
  const percentiles = latency.count === 0 ? 'no successful request' : `p50 ${formatValue(latency.p50, 'duration')}, p95 ${formatValue(latency.p95, 'duration')}`
  const counts = `${stage.requests.completed.toLocaleString('en-US')} requests, ${stage.requests.errors.toLocaleString('en-US')} errors`
  return `stage ${stage.index + 1} (${level}${ramp}, ${formatValue(stage.durationMs, 'duration')}): ${counts}, ${percentiles}`
}
