import {describeError} from './errors.js'
import {LoadPlanError, type PlannedStage} from './plan.js'
import {RunRecorder, StageTally} from './recorder.js'
import type {Connection, RequestOutcome, RequestSender} from './request.js'
import type {StopReason} from './types.js'

/** The run-wide state every stage consults: the request budget and whether, and why, the run stops early. */
export class RunControl {
  stopReason: StopReason | null = null
  /** A caller's mistake found while running (an invalid request, a throwing predicate): the run stops and throws it. */
  failure: unknown
  current: StageRun | undefined
  constructor(
    readonly recorder: RunRecorder,
    private budget: number,
  ) {}

  /** Takes one request from the budget; when it is spent the run stops. */
  takeRequest(): boolean {
    if (this.budget > 0) {
      this.budget--
      return true
    }

    this.stop('requests')
    return false
  }

  fail(error: unknown): void {
    this.failure ??= error
    this.stop('aborted')
  }

  /** The first reason wins: a run stopped by its request count and then aborted stopped for its count. */
  stop(reason: StopReason): void {
    this.stopReason ??= reason
    this.current?.end()
  }
}

/**
 * One stage in progress: it sends until its deadline or until the run stops, then waits for the
 * requests in flight; `finished` settles when the last of them has been recorded.
 */
export class StageRun implements RequestSender {
  readonly tally: StageTally
  readonly startMs = performance.now()
  readonly finished: Promise<void>
  /** When the stage stopped sending; undefined while it sends. */
  endedMs: number | undefined
  /** When its last request finished. */
  finishedMs: number | undefined
  private inFlight = 0
  private readonly deadline: NodeJS.Timeout
  private resolveFinished!: () => void

  constructor(
    readonly stage: PlannedStage,
    private readonly control: RunControl,
  ) {
    this.tally = new StageTally(stage.model === 'open')
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve))
    this.deadline = setTimeout(() => this.end(), stage.durationMs)
    control.current = this
  }

  /** Milliseconds since the stage started. */
  elapsed(now = performance.now()): number {
    return now - this.startMs
  }

  get sending(): boolean {
    return this.endedMs === undefined
  }

  /**
   * Sends one request; false when the stage has ended or the run's budget is spent. `then` runs
   * after it is recorded. Without an intended time (closed model) it is timed from the send alone.
   */
  send(connection: Connection, then: () => void, intendedMs?: number): boolean {
    if (!this.sending || !this.control.takeRequest()) return false
    this.inFlight++
    this.tally.requests.sent++
    const sentMs = performance.now()
    connection.send(this, sentMs, intendedMs ?? sentMs, then)
    return true
  }

  /** A request this stage sent has ended: recorded, then the driver's `then`. */
  requestEnded(connection: Connection, outcome: RequestOutcome): void {
    this.inFlight--
    if (outcome.invalid)
      this.control.fail(new LoadPlanError(`undici refuses the request: ${describeError(outcome.cause)}`))
    this.control.recorder.record(this.tally, outcome, connection.intendedMs, connection.sentMs, performance.now())
    connection.then()
    this.finishIfIdle()
  }

  end(): void {
    if (!this.sending) return
    this.endedMs = performance.now()
    clearTimeout(this.deadline)
    this.finishIfIdle()
  }

  private finishIfIdle(): void {
    if (this.sending || this.inFlight > 0 || this.finishedMs !== undefined) return
    this.finishedMs = performance.now()
    this.resolveFinished()
  }
}
