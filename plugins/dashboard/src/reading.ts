// Reading updates, whatever carried them: the send time a message holds, the stamps this run published, and the
// event stream of Server-Sent Events. Pure, so the unit tests hold every rule.
import type {PhasegateApi} from 'phasegate'

import type {LatencyPlan, TimestampUnit} from './options.js'

const PER_MS: Record<Exclude<TimestampUnit, 'iso'>, number> = {ms: 1, ns: 1e6, s: 1e-3, us: 1e3}

/** A send time as epoch ms, or why it is not one. */
export function epochMsOf(value: unknown, unit: TimestampUnit): number | string {
  if (unit === 'iso') {
    const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN
    return Number.isFinite(ms) ? ms : `${JSON.stringify(value)} is not an ISO 8601 time`
  }

  // Nanoseconds since the epoch exceed 2^53: a string of digits is read as exactly as a number allows.
  const number = typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) ? Number(value) : value
  if (typeof number !== 'number' || !Number.isFinite(number))
    return `${JSON.stringify(value)} is not a number of ${unit} since the epoch`
  return number / PER_MS[unit]
}

/** What one message told: latencies of the stamps or send time it carries, or what was wrong with it. */
export type UpdateReading =
  | {kind: 'timed'; latencies: number[]; early: number}
  | {kind: 'untimed'; detail: string}
  | {kind: 'bad'; detail: string}

/** When each stamp of this run was published, on this process's monotonic clock, and who should receive it. */
export class StampLedger {
  private readonly sent = new Map<string, {at: number; audience: number}>()
  private readonly perAudience = new Map<number, number>()
  private issued = 0
  expected = 0
  delivered = 0
  readonly pattern: RegExp

  constructor(readonly runId: string) {
    this.pattern = new RegExp(`pgs-${runId}-\\d+`, 'g')
  }

  /** A new stamp for one audience (a channel, or everyone), expected by `receivers` clients, sent now. */
  issue(receivers: number, audience = 0): string {
    const stamp = `pgs-${this.runId}-${this.issued++}`
    this.sent.set(stamp, {at: performance.now(), audience})
    this.perAudience.set(audience, this.issuedTo(audience) + 1)
    this.expected += receivers
    return stamp
  }

  /** The publish failed: nobody is expected to see it. */
  withdraw(stamp: string, receivers: number): void {
    const sent = this.sent.get(stamp)
    if (!sent) return
    this.sent.delete(stamp)
    this.perAudience.set(sent.audience, this.issuedTo(sent.audience) - 1)
    this.expected -= receivers
  }

  /** Stamps published (and not withdrawn) to this audience. */
  issuedTo(audience: number): number {
    return this.perAudience.get(audience) ?? 0
  }

  get published(): number {
    return this.sent.size
  }

  get outstanding(): number {
    return this.expected - this.delivered
  }

  /** Latencies of the stamps in `text` this client has not seen yet, each counted as delivered once. */
  deliver(text: string, arrival: number, seen: Set<string>): number[] {
    const latencies: number[] = []
    for (const [stamp] of text.matchAll(this.pattern)) {
      const sent = this.sent.get(stamp)
      if (sent === undefined || seen.has(stamp)) continue
      seen.add(stamp)
      this.delivered++
      latencies.push(Math.max(0, arrival - sent.at))
    }

    return latencies
  }
}

/** Reads updates as the plan says; one per run, shared by its clients. */
export class UpdateReader {
  private readonly steps

  constructor(
    private readonly api: PhasegateApi,
    private readonly latency: LatencyPlan,
    private readonly ledger?: StampLedger,
  ) {
    this.steps = latency.from === 'message' ? api.parsePath(latency.path) : undefined
  }

  /**
   * One message: `arrivedAt` epoch ms for a send time in the message, `arrival` monotonic ms for stamps;
   * `seen` is the client's own set of stamps.
   */
  read(text: string, arrivedAt: number, arrival: number, seen: Set<string>): UpdateReading {
    if (this.latency.from === 'stamp') {
      const latencies = this.ledger!.deliver(text, arrival, seen)
      return latencies.length > 0
        ? {early: 0, kind: 'timed', latencies}
        : {detail: 'no new stamp of this run', kind: 'untimed'}
    }

    let document: unknown
    try {
      document = JSON.parse(text)
    } catch {
      return {detail: `not JSON: ${preview(text)}`, kind: 'bad'}
    }

    if (this.latency.from === 'response') return this.checkRequired(document)
    let value: unknown
    try {
      value = this.api.valueAt(document, this.steps!)
    } catch (error) {
      return {detail: (error as Error).message, kind: 'untimed'}
    }

    const sentAt = epochMsOf(value, this.latency.unit)
    if (typeof sentAt === 'string') return {detail: `${this.latency.path}: ${sentAt}`, kind: 'bad'}
    // Sender and client share this machine's clock; an update "from the future" is the clock's granularity.
    const delay = arrivedAt - sentAt
    return {early: delay < 0 ? 1 : 0, kind: 'timed', latencies: [Math.max(0, delay)]}
  }

  /** response: a good answer is JSON and holds the required field; its latency is the poll's, timed by the caller. */
  private checkRequired(document: unknown): UpdateReading {
    if (this.latency.from !== 'response' || this.latency.required === undefined)
      return {early: 0, kind: 'timed', latencies: []}
    try {
      const value = this.api.valueAt(document, this.api.parsePath(this.latency.required))
      if (typeof value === 'number' || typeof value === 'string') return {early: 0, kind: 'timed', latencies: []}
      return {detail: `${this.latency.required} is ${preview(JSON.stringify(value) ?? 'undefined')}`, kind: 'bad'}
    } catch (error) {
      return {detail: `answer without ${this.latency.required}: ${(error as Error).message}`, kind: 'bad'}
    }
  }
}

/**
 * Server-Sent Events (the WHATWG event-stream format): feed chunks of text, get each dispatched event's data.
 * Comments and fields other than data are dropped; a chunk may end anywhere, even between CR and LF.
 */
export class EventStreamParser {
  private buffer = ''
  private data: string[] = []

  push(chunk: string): string[] {
    this.buffer += chunk
    const events: string[] = []
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer)
      // A lone CR at the end may be the first half of CRLF: wait for the next chunk.
      if (!match || (match[0] === '\r' && match.index === this.buffer.length - 1)) break
      const line = this.buffer.slice(0, match.index)
      this.buffer = this.buffer.slice(match.index + match[0].length)
      if (line === '') {
        if (this.data.length > 0) events.push(this.data.join('\n'))
        this.data = []
        continue
      }

      const colon = line.indexOf(':')
      const field = colon === -1 ? line : line.slice(0, colon)
      if (field === 'data') this.data.push(colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, ''))
    }

    return events
  }
}

export function preview(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}
