import {setTimeout as sleep} from 'node:timers/promises'

import type {Client, Dispatcher} from 'undici'

import {undici} from '../lazy.js'
import {classifyError} from './errors.js'
import type {ResolvedPlan} from './plan.js'
import type {ErrorKind} from './types.js'

/** How one request ended: an accepted status with its whole body, or an error of some kind. */
export interface RequestOutcome {
  /** 0 when no response arrived. */
  status: number
  bytes: number
  error: ErrorKind | null
  /** What undici reported, for error examples. */
  cause?: unknown
  /** undici refused the request itself (a forbidden header, a bad method): the plan is wrong, not the server. */
  invalid?: boolean
}

/** undici's codes for a request it will not send at all, whatever the server. */
const REFUSED_REQUEST_CODES: ReadonlySet<unknown> = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED'])

/** Who sent a connection's request and hears how it ended: the stage, one listener for all its requests. */
export interface RequestSender {
  requestEnded(connection: Connection, outcome: RequestOutcome): void
}

/**
 * One request through undici's low-level dispatch: no body stream, no promise, no parsed body —
 * bytes are counted and dropped, so a response costs a few small objects whatever its size.
 */
class ResponseHandler implements Dispatcher.DispatchHandler {
  private status = 0
  private bytes = 0
  settled = false
  /** True while dispatch() runs: undici reports some failures synchronously, and calling back then would recurse. */
  dispatching = true
  private controller: Dispatcher.DispatchController | undefined

  constructor(
    private readonly isOk: (status: number) => boolean,
    private readonly connection: UndiciConnection,
  ) {}

  // Its presence also tells undici this handler speaks the v7 handler API (the older one is deprecated).
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller
  }

  /**
   * Ends a request still running past its whole-response deadline (a slow drip passes undici's per-chunk bodyTimeout):
   * an error of kind timeout.
   */
  expire(timeoutMs: number): void {
    if (this.settled) return
    const cause = new Error(`the whole response took over ${timeoutMs} ms`)
    this.settle({bytes: this.bytes, cause, error: 'timeout', status: this.status})
    this.controller?.abort(cause)
  }

  onResponseStart(_controller: Dispatcher.DispatchController, status: number): void {
    this.status = status
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bytes += chunk.length
  }

  onResponseEnd(): void {
    this.settle({bytes: this.bytes, error: this.isOk(this.status) ? null : 'status', status: this.status})
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    const invalid = REFUSED_REQUEST_CODES.has((error as {code?: unknown}).code)
    this.settle({
      bytes: this.bytes,
      cause: error,
      error: classifyError(error, this.status !== 0),
      invalid,
      status: this.status,
    })
  }

  private settle(outcome: RequestOutcome): void {
    if (this.settled) return
    this.settled = true
    // After a failure undici is still emptying its queue and asserts it stays empty, so the next send must wait a turn.
    if (this.dispatching || outcome.cause !== undefined) setImmediate(reportFinished, this.connection, outcome)
    else this.connection.sender.requestEnded(this.connection, outcome)
  }
}

export const noop = (): void => {}
export const NO_SENDER: RequestSender = {requestEnded: noop}

function reportFinished(connection: Connection, outcome: RequestOutcome): void {
  connection.sender.requestEnded(connection, outcome)
}

/** A keep-alive connection to the system under test; one request at a time, as a user would. */
export interface Connection {
  // The request in flight, kept here rather than in a closure per request: one at a time per connection.
  /** Who sent it. */
  sender: RequestSender
  /** The caller's performance.now() for the send: the whole-response deadline runs from here. */
  sentMs: number
  /** When the schedule intended it (open model); the send itself in the closed model. */
  intendedMs: number
  /** What the sender runs once it is recorded. */
  then: () => void
  send(sender: RequestSender, sentMs: number, intendedMs: number, then: () => void): void
  /** Cuts the request in flight if it has run longer than the plan's timeout, however steadily its body trickles in. */
  expireOverdue(now: number): void
  /** Cuts the request in flight: it reports an error, which the recorder then discards. */
  abort(): void
  /** Waits up to `graceMs` for the request in flight, then cuts it. */
  close(graceMs: number): Promise<void>
}

/** The request's parts as undici takes them. */
function dispatchOptions(plan: ResolvedPlan): Dispatcher.DispatchOptions {
  return {
    body: plan.body,
    headers: plan.headers,
    method: plan.method as Dispatcher.HttpMethod,
    path: `${plan.url.pathname}${plan.url.search}`,
  }
}

/**
 * Why undici would refuse to send the plan's request at all (a forbidden header, a bad method), found once without
 * connecting: undici checks a request as it is dispatched.
 */
export function refusedRequest(plan: ResolvedPlan): Error | undefined {
  let refusal: Error | undefined
  const client = new (undici().Client)(plan.url.origin, {
    connect: (_options, callback) => callback(new Error('only checking the request'), null),
  })
  client.dispatch(dispatchOptions(plan), {
    onRequestStart: noop,
    onResponseData: noop,
    onResponseEnd: noop,
    onResponseStart: noop,
    onResponseError(_controller, error) {
      if (REFUSED_REQUEST_CODES.has((error as {code?: unknown}).code)) refusal ??= error
    },
  })
  client.destroy().catch(noop)
  return refusal
}

/** A connection through undici, for https (and whatever else is not plain HTTP). */
export class UndiciConnection implements Connection {
  sender: RequestSender = NO_SENDER
  sentMs = 0
  intendedMs = 0
  then: () => void = noop
  private readonly client: Client
  private readonly options: Dispatcher.DispatchOptions
  constructor(private readonly plan: ResolvedPlan) {
    this.client = new (undici().Client)(plan.url.origin, {
      bodyTimeout: plan.timeoutMs,
      connectTimeout: plan.timeoutMs,
      headersTimeout: plan.timeoutMs,
      // The server's keep-alive hint decides; this only bounds an idle socket between stages.
      keepAliveTimeout: 30_000,
      maxResponseSize: plan.maxBodyBytes,
      // Never two requests at once (send waits for the last to end), but at 1 undici holds the next send back a
      // whole event-loop turn after each response (a setImmediate and a second resume per request); at 2 it writes
      // it at once.
      pipelining: 2,
    })
    this.options = dispatchOptions(plan)
  }

  /** The request in flight, if any: one at a time per connection. */
  private current: ResponseHandler | undefined

  send(sender: RequestSender, sentMs: number, intendedMs: number, then: () => void): void {
    this.sender = sender
    this.sentMs = sentMs
    this.intendedMs = intendedMs
    this.then = then
    const handler = new ResponseHandler(this.plan.isOk, this)
    this.current = handler
    this.client.dispatch(this.options, handler)
    handler.dispatching = false
  }

  expireOverdue(now: number): void {
    const {current} = this
    if (current && !current.settled && now - this.sentMs > this.plan.timeoutMs) current.expire(this.plan.timeoutMs)
  }

  abort(): void {
    this.client.destroy(new Error('the load run was aborted')).catch(() => {})
  }

  async close(graceMs: number): Promise<void> {
    await closeGracefully(this.client, graceMs)
  }
}

/** Closes a client or pool, letting requests in flight finish for up to `graceMs`, then cuts them. */
export async function closeGracefully(dispatcher: Dispatcher, graceMs: number): Promise<void> {
  const closing = dispatcher.close().catch(() => {})
  const closed = await Promise.race([closing.then(() => true), sleep(graceMs, false, {ref: false})])
  if (!closed) await dispatcher.destroy(new Error('closing after the run')).catch(() => {})
}
