// The load engine's public shapes: what a caller plans, and what a run measured.
// Times are milliseconds, rates per second; histograms record microseconds.

import type {Histogram} from 'hdr-histogram-js'

/**
 * How a request failed: it never connected, took too long, got a status the caller does not accept, broke mid-body, or
 * lost its connection before a response.
 */
export type ErrorKind = 'connect' | 'timeout' | 'status' | 'body' | 'reset' | 'other'

export const ERROR_KINDS: readonly ErrorKind[] = ['connect', 'timeout', 'status', 'body', 'reset', 'other']

export type ErrorCounts = Record<ErrorKind, number>

/**
 * One step of a run. Closed model: `connections` virtual users; open model: `rate` arrivals per
 * second, with `connections` capping concurrency. With `rampFrom` the level moves linearly from
 * it to `connections` (closed) or `rate` (open) over the stage.
 */
export interface Stage {
  durationMs: number
  /** Defaults to the plan's connections. */
  connections?: number
  /** Open model only; defaults to the plan's rate. */
  rate?: number
  rampFrom?: number
  name?: string
}

/** The caller's hook for `until: confident`: asked every second after `minDurationMs`; true stops the run. */
export interface UntilDecided {
  minDurationMs: number
  decided(snapshot: LoadResult): boolean
  /** How often to ask; default 1000 ms. */
  everyMs?: number
}

export interface LoadProgress {
  elapsedMs: number
  plannedMs: number
  completed: number
  errors: number
}

export interface LoadPlan {
  url: string
  method?: string
  headers?: Record<string, string>
  body?: string | Uint8Array
  /** Statuses that count as success; default 200–399. */
  okStatus?: readonly number[]
  /** Closed model: virtual users (default 10); open model: the concurrency cap. */
  connections?: number
  /** Arrivals per second: switches to the open model. */
  rate?: number
  /** Length of the run when there are no stages; default 10 s. */
  durationMs?: number
  /** Stop after this many requests have been sent, over all stages. */
  requests?: number
  /** Run these one after another instead of one stage of `durationMs`. */
  stages?: readonly Stage[]
  /** Per request: the connection and the whole response must come within it; default 10 s. */
  timeoutMs?: number
  /** Response bodies over this are cut and counted as body errors; default 1 MiB. */
  maxBodyBytes?: number
  /** Raw latency samples kept for resampling; default 10,000. */
  reservoirSize?: number
  /** Seeds the reservoir's choice of samples. */
  seed?: number | string
  signal?: AbortSignal
  until?: UntilDecided
  /** Called about once a second while the run goes on. */
  onProgress?(progress: LoadProgress): void
}

export type LoadModel = 'closed' | 'open'

/** Why the run stopped: it ran its plan, used up its request count, the caller decided, or it was aborted. */
export type StopReason = 'completed' | 'requests' | 'decided' | 'aborted'

export interface RequestCounts {
  /** Requests handed to a connection. */
  sent: number
  /** Requests that finished, with a response or an error. */
  completed: number
  /** Completed with an accepted status and a whole body. */
  ok: number
  errors: number
}

export interface Rates {
  /** Open model: intended arrivals per second over the time measured; null in the closed model. */
  offered: number | null
  /** Completed requests per second. */
  achieved: number
  /** Successful requests per second. */
  ok: number
}

/** What one stage measured. Histograms hold the latency of successful requests, in microseconds. */
export interface StageResult {
  index: number
  name?: string
  model: LoadModel
  /** Level at the stage's end: virtual users (closed) or concurrency cap (open). */
  connections: number
  /** Open model: arrival rate at the stage's end. */
  rate: number | null
  rampFrom: number | null
  /** From the run's start. */
  startMs: number
  durationMs: number
  requests: RequestCounts
  errors: ErrorCounts
  rates: Rates
  /** Open model: intended sends that never went out because every connection was busy until the stage ended. */
  unsent: number
  /** Timed from each request's intended send (open model); the same as `latencyUncorrected` in the closed model. */
  latency: Histogram
  /** Timed from the actual send. */
  latencyUncorrected: Histogram
}

export interface TimelinePoint {
  /** Seconds since the run's start. */
  second: number
  completed: number
  errors: number
}

export interface ClientLoad {
  /** CPU time the client process used over the run's wall time: 1 = one core fully busy. */
  cpu: number
  /** True when the client itself was the bottleneck (cpu over 0.9): slow results may not be the server's fault. */
  saturated: boolean
}

/** A uniform sample of successful requests' latency, in milliseconds; both arrays describe the same requests. */
export interface LatencySamples {
  latency: number[]
  latencyUncorrected: number[]
  /** Successful requests the sample was drawn from. */
  seen: number
}

export interface LoadResult extends Omit<
  StageResult,
  'connections' | 'index' | 'name' | 'rampFrom' | 'rate' | 'startMs'
> {
  url: string
  method: string
  partial: boolean
  stopReason: StopReason
  stages: StageResult[]
  samples: LatencySamples
  timeline: TimelinePoint[]
  client: ClientLoad
  bytesReceived: number
  /** The first message seen for each error kind, to show what went wrong. */
  errorExamples: Partial<Record<ErrorKind, string>>
}
