import {describeError, emptyErrorCounts} from './errors.js'
import {createHistogram, type Histogram, mergeHistograms, recordLatency} from './histogram.js'
import {ReservoirSlots} from './reservoir.js'
import type {RequestOutcome} from './request.js'
import type {ErrorKind, LatencySamples, RequestCounts, TimelinePoint} from './types.js'

/** The counts and histograms of one stage; fixed size whatever the number of requests. */
export class StageTally {
  readonly requests: RequestCounts = {completed: 0, errors: 0, ok: 0, sent: 0}
  readonly errors = emptyErrorCounts()
  readonly latency = createHistogram()
  /**
   * Open model only: the closed model sends when it intends to, so both latencies are one value; it records `latency`
   * alone and its results copy it (uncorrectedLatency).
   */
  readonly latencyUncorrected = createHistogram()
  /** Open model: arrivals the schedule intended while the stage was sending; null in the closed model. */
  intended: number | null = null
  constructor(
    /** Open model: requests have an intended send, apart from the actual one. */
    readonly scheduled: boolean,
  ) {}

  /** The latency timed from the actual send: in the closed model a copy of `latency`, which is the same. */
  uncorrectedLatency(): Histogram {
    return this.scheduled ? this.latencyUncorrected : mergeHistograms([this.latency])
  }
}

/** Everything measured over the run: per-stage tallies plus the run-wide reservoir, timeline and error examples. */
export class RunRecorder {
  readonly startMs = performance.now()
  bytesReceived = 0
  /** Run-wide totals, for progress reports that must not build histograms. */
  completed = 0
  errors = 0
  readonly errorExamples: Partial<Record<ErrorKind, string>> = {}
  /** Set once in-flight requests are cut on abort: what they report then is not a measurement. */
  discarding = false
  private readonly slots: ReservoirSlots
  private readonly latency: Float64Array
  private readonly latencyUncorrected: Float64Array
  private readonly completedPerSecond: number[] = []
  private readonly errorsPerSecond: number[] = []

  constructor(reservoirSize: number, seed: number | string) {
    this.slots = new ReservoirSlots(reservoirSize, seed)
    this.latency = new Float64Array(reservoirSize)
    this.latencyUncorrected = new Float64Array(reservoirSize)
  }

  /**
   * One finished request: the corrected latency runs from its intended send, the uncorrected one from the actual send.
   */
  record(tally: StageTally, outcome: RequestOutcome, intendedMs: number, sentMs: number, doneMs: number): void {
    if (this.discarding) return
    tally.requests.completed++
    this.completed++
    this.bytesReceived += outcome.bytes
    const second = Math.floor((doneMs - this.startMs) / 1000)
    this.completedPerSecond[second] = (this.completedPerSecond[second] ?? 0) + 1
    if (outcome.error === null) {
      tally.requests.ok++
      this.recordLatency(tally, doneMs - intendedMs, doneMs - sentMs)
      return
    }

    tally.requests.errors++
    this.errors++
    tally.errors[outcome.error]++
    this.errorsPerSecond[second] = (this.errorsPerSecond[second] ?? 0) + 1
    this.errorExamples[outcome.error] ??=
      outcome.error === 'status' ? `status ${outcome.status}` : describeError(outcome.cause)
  }

  samples(): LatencySamples {
    const size = this.slots.size
    return {
      latency: Array.from(this.latency.subarray(0, size)),
      latencyUncorrected: Array.from(this.latencyUncorrected.subarray(0, size)),
      seen: this.slots.seen,
    }
  }

  /** Requests completed and errors per second since the start; seconds with nothing are zeros. */
  timeline(): TimelinePoint[] {
    const seconds = Math.max(this.completedPerSecond.length, this.errorsPerSecond.length)
    return Array.from({length: seconds}, (_, second) => ({
      completed: this.completedPerSecond[second] ?? 0,
      errors: this.errorsPerSecond[second] ?? 0,
      second,
    }))
  }

  private recordLatency(tally: StageTally, correctedMs: number, uncorrectedMs: number): void {
    recordLatency(tally.latency, correctedMs)
    if (tally.scheduled) recordLatency(tally.latencyUncorrected, uncorrectedMs)
    const slot = this.slots.next()
    if (slot < 0) return
    this.latency[slot] = correctedMs
    this.latencyUncorrected[slot] = uncorrectedMs
  }
}
