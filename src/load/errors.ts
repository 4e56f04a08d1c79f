import {ERROR_KINDS, type ErrorCounts, type ErrorKind} from './types.js'
import {grouped} from '../engine/units.js'

/** A failure with undici's code for the same failure: kinds and error examples read alike over http and https. */
export function failure(code: string, message: string): Error {
  return Object.assign(new Error(message), {code})
}

const CONNECT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
])

const TIMEOUT_CODES: ReadonlySet<string> = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT'])

const LOST_CONNECTION_CODES: ReadonlySet<string> = new Set([
  'UND_ERR_SOCKET',
  'ECONNRESET',
  'EPIPE',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
])

/**
 * The kind of a failed request, from undici's error and whether the response had started:
 * a connection lost after the headers broke the body; lost before them, the server reset it.
 */
export function classifyError(error: unknown, responseStarted: boolean): ErrorKind {
  const code = codeOf(error)
  if (CONNECT_CODES.has(code)) return 'connect'
  if (TIMEOUT_CODES.has(code)) return 'timeout'
  if (code === 'UND_ERR_RES_EXCEEDED_MAX_SIZE' || responseStarted) return 'body'
  return LOST_CONNECTION_CODES.has(code) ? 'reset' : 'other'
}

/** "ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1" — the code and message, to show in notes. */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const code = codeOf(error)
  // A cause often carries the real reason (undici wraps the socket's error).
  // (Not when the message already says it, as messages that wrap their cause do.)
  const cause =
    error.cause instanceof Error && !error.message.includes(error.cause.message) ? `: ${error.cause.message}` : ''
  return `${code ? `${code}: ` : ''}${error.message}${cause}`
}

/**
 * "3 timeout (no answer in 10 s), 1 reset (…)": each kind that happened with its count and first detail, in
 * ERROR_KINDS order; null when nothing failed. The one error line of every load-generating validator's notes.
 */
export function describeErrorCounts(
  counts: Readonly<ErrorCounts>,
  examples: Readonly<Partial<Record<ErrorKind, string>>>,
): string | null {
  const parts = ERROR_KINDS.filter((kind) => counts[kind] > 0).map(
    (kind) => `${grouped(counts[kind])} ${kind} (${examples[kind] ?? 'no detail'})`,
  )
  return parts.length > 0 ? parts.join(', ') : null
}

export function emptyErrorCounts(): ErrorCounts {
  return Object.fromEntries(ERROR_KINDS.map((kind) => [kind, 0])) as ErrorCounts
}

export function addErrorCounts(into: ErrorCounts, from: ErrorCounts): ErrorCounts {
  for (const kind of ERROR_KINDS) into[kind] += from[kind]
  return into
}

function codeOf(error: unknown): string {
  const code = (error as {code?: unknown} | null)?.code
  if (typeof code === 'string') return code
  // AggregateError from a dual-stack connect: the first attempt's code is the one that matters.
  const first = (error as {errors?: unknown[]} | null)?.errors?.[0]
  return first === undefined ? '' : codeOf(first)
}
