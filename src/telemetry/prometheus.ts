// A small client for Prometheus's HTTP query API (instant and range queries), shared by the
// prometheus validator and by plugins that read counters from Prometheus (cache).
import {undici} from '../lazy.js'

/** One series of an instant query: its labels and value. */
export interface PromSample {
  labels: Record<string, string>
  /** Evaluation time, seconds since the epoch. */
  time: number
  value: number
}

/** One series of a range query: its labels and points in time order. */
export interface PromSeries {
  labels: Record<string, string>
  points: Array<{time: number; value: number}>
}

export interface PromQueryOptions {
  /** Base URL of the Prometheus server, e.g. http://127.0.0.1:9090 (a path prefix is kept). */
  url: string
  query: string
  timeoutMs: number
  /** Sent as `Authorization: Bearer …`; never echoed in errors. */
  token?: string
  signal?: AbortSignal
}

export interface PromInstantOptions extends PromQueryOptions {
  /** Evaluation time, seconds since the epoch; default: now on the server. */
  time?: number
}

export interface PromRangeOptions extends PromQueryOptions {
  /** Seconds since the epoch. */
  start: number
  end: number
  stepSeconds: number
}

/** Prometheus answered, but not with data: a bad query, an HTTP error or an unexpected body. The message says which. */
export class PrometheusError extends Error {
  override name = 'PrometheusError'
}

/** Runs an instant query; a scalar result comes back as one sample with no labels. */
export async function queryPrometheus(options: PromInstantOptions): Promise<PromSample[]> {
  const data = await call(options, 'query', {...(options.time === undefined ? {} : {time: String(options.time)})})
  if (data.resultType === 'scalar') {
    const [time, value] = point(data.result, options.query)
    return [{labels: {}, time, value}]
  }

  if (data.resultType !== 'vector' || !Array.isArray(data.result)) {
    throw new PrometheusError(
      `query ${quote(options.query)} returned a ${String(data.resultType)}, expected an instant vector or a scalar`,
    )
  }

  return data.result.map((series) => {
    const [time, value] = point((series as {value?: unknown}).value, options.query)
    return {labels: labelsOf(series), time, value}
  })
}

/** Runs a range query over [start, end] at the given step. */
export async function queryPrometheusRange(options: PromRangeOptions): Promise<PromSeries[]> {
  if (!(options.stepSeconds > 0))
    throw new PrometheusError(`range query step must be positive, got ${options.stepSeconds}s`)
  const data = await call(options, 'query_range', {
    end: String(options.end),
    start: String(options.start),
    step: String(options.stepSeconds),
  })
  if (data.resultType !== 'matrix' || !Array.isArray(data.result)) {
    throw new PrometheusError(
      `range query ${quote(options.query)} returned a ${String(data.resultType)}, expected a range vector (matrix)`,
    )
  }

  return data.result.map((series) => {
    const values = (series as {values?: unknown}).values
    if (!Array.isArray(values))
      throw new PrometheusError(`range query ${quote(options.query)}: a series has no values array`)
    return {
      labels: labelsOf(series),
      points: values.map((entry) => point(entry, options.query)).map(([time, value]) => ({time, value})),
    }
  })
}

/** A series' labels as `name{a="1",b="2"}`, for messages and notes. */
export function describeSeries(labels: Record<string, string>): string {
  const {__name__: name = '', ...rest} = labels
  const pairs = Object.entries(rest).map(([key, value]) => `${key}=${JSON.stringify(value)}`)
  return pairs.length === 0 ? name || '{}' : `${name}{${pairs.join(',')}}`
}

interface QueryData {
  resultType?: unknown
  result?: unknown
}

async function call(
  options: PromQueryOptions,
  endpoint: 'query' | 'query_range',
  extra: Record<string, string>,
): Promise<QueryData> {
  const base = new URL(options.url)
  const target = new URL(`${base.pathname.replace(/\/+$/, '')}/api/v1/${endpoint}`, base.origin)
  // Prometheus's own evaluation timeout, so a heavy query stops on the server too.
  const form = new URLSearchParams({
    query: options.query,
    timeout: `${Math.max(1, Math.ceil(options.timeoutMs / 1000))}s`,
    ...extra,
  })
  const headers: Record<string, string> = {
    accept: 'application/json',
    'content-type': 'application/x-www-form-urlencoded',
  }
  if (options.token) headers.authorization = `Bearer ${options.token}`
  const signals = [AbortSignal.timeout(options.timeoutMs), ...(options.signal ? [options.signal] : [])]
  let status: number
  let text: string
  try {
    const response = await undici().request(target, {
      body: form.toString(),
      headers,
      method: 'POST',
      signal: AbortSignal.any(signals),
    })
    status = response.statusCode
    text = await response.body.text()
  } catch (error) {
    if (options.signal?.aborted) throw error
    const reason =
      (error as Error).name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : (error as Error).message
    throw new PrometheusError(`cannot query Prometheus at ${target.origin}: ${reason}`)
  }

  let body: {status?: unknown; data?: QueryData; error?: unknown; errorType?: unknown}
  try {
    body = JSON.parse(text) as typeof body
  } catch {
    throw new PrometheusError(
      `Prometheus at ${target.origin} answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`,
    )
  }

  if (body.status !== 'success' || body.data === undefined) {
    const detail =
      typeof body.error === 'string' ? `${String(body.errorType ?? 'error')}: ${body.error}` : `HTTP ${status}`
    throw new PrometheusError(`Prometheus rejected ${quote(options.query)}: ${detail}`)
  }

  return body.data
}

function point(entry: unknown, query: string): [number, number] {
  // Values arrive as [unix seconds, "string"]; "NaN", "+Inf" and "-Inf" are valid Prometheus values.
  if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'number' || typeof entry[1] !== 'string') {
    throw new PrometheusError(
      `query ${quote(query)}: a sample is not [time, "value"]: ${JSON.stringify(entry)?.slice(0, 100)}`,
    )
  }

  const value = entry[1] === '+Inf' ? Infinity : entry[1] === '-Inf' ? -Infinity : Number(entry[1])
  return [entry[0], value]
}

function labelsOf(series: unknown): Record<string, string> {
  const metric = (series as {metric?: unknown}).metric
  return metric && typeof metric === 'object' ? (metric as Record<string, string>) : {}
}

function quote(query: string): string {
  return JSON.stringify(query.length > 200 ? `${query.slice(0, 200)}…` : query)
}
