// The GitHub REST client: Octokit with pagination, retries of server errors and rate-limit handling,
// every wait bounded, and a log that never prints the token.
// Octokit is loaded only when a comment or check run is posted: every `gate check` imports this module.
import type {Octokit} from '@octokit/core'

import {createRedactor} from '../redact.js'

/** Retries of a 5xx or a network failure, after the first attempt. */
export const SERVER_ERROR_RETRIES = 3
/** Retries after a primary or secondary rate limit. */
export const RATE_LIMIT_RETRIES = 2
/** The longest wait for a rate limit or a Retry-After; a longer one fails now with a clear message instead. */
export const MAX_WAIT_SECONDS = 60
/** Per request: a hung connection counts as a server error and is retried. */
const REQUEST_TIMEOUT_MS = 30_000

type RetryRequest = (error: RetryableError, retries: number, retryAfter: number) => RetryableError
interface RetryableError extends Error {
  response?: {headers?: Record<string, string | number | undefined>}
}

/**
 * plugin-retry waits (n+1)² s between attempts whatever the server says; this makes it wait what
 * Retry-After asks for when a response carries one, and give up when that is longer than MAX_WAIT_SECONDS.
 */
function honourRetryAfter(octokit: Octokit): Record<string, never> {
  const api = (octokit as unknown as {retry: {retryRequest: RetryRequest}}).retry
  const retryRequest = api.retryRequest
  api.retryRequest = (error, retries, retryAfter) => {
    const asked = retryAfterSeconds(error.response?.headers?.['retry-after'])
    if (asked === undefined) return retryRequest(error, retries, retryAfter)
    return asked > MAX_WAIT_SECONDS ? retryRequest(error, 0, 0) : retryRequest(error, retries, asked)
  }
  return {}
}

/** Retry-After as seconds: a number of seconds or an HTTP date. */
export function retryAfterSeconds(value: string | number | undefined, now = Date.now()): number | undefined {
  if (value === undefined || value === '') return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds
  const date = Date.parse(String(value))
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000))
}

// retry registers before throttling, so throttling's limiter wraps retry's: a rate-limited request is
// retried by throttling alone (429 is in doNotRetry), a 5xx by retry alone.
async function loadGitHubOctokit() {
  const [{Octokit}, {paginateRest}, {retry}, {throttling}] = await Promise.all([
    import('@octokit/core'),
    import('@octokit/plugin-paginate-rest'),
    import('@octokit/plugin-retry'),
    import('@octokit/plugin-throttling'),
  ])
  return Octokit.plugin(paginateRest, retry, honourRetryAfter, throttling)
}

export type GitHubClient = InstanceType<Awaited<ReturnType<typeof loadGitHubOctokit>>>

export interface ClientOptions {
  token: string
  apiUrl: string
  userAgent: string
  /** Where retries and rate-limit waits are reported (stderr in the CLI). */
  warn(message: string): void
}

export async function createGitHubClient(options: ClientOptions): Promise<GitHubClient> {
  const GitHubOctokit = await loadGitHubOctokit()
  // A server or library that echoes the token cannot leak it into a log.
  const redactor = createRedactor([options.token])
  const warn = (message: string) => options.warn(redactor.text(message))
  const onLimit =
    (kind: string) =>
    (retryAfter: number, request: {method: string; url: string}, _octokit: unknown, retryCount: number) => {
      const retrying = retryCount < RATE_LIMIT_RETRIES && retryAfter <= MAX_WAIT_SECONDS
      const next = retrying
        ? `retrying in ${retryAfter} s (retry ${retryCount + 1} of ${RATE_LIMIT_RETRIES})`
        : 'not retrying'
      warn(`GitHub ${kind} on ${request.method} ${request.url}: ${next}`)
      return retrying
    }
  return new GitHubOctokit({
    auth: options.token,
    baseUrl: options.apiUrl,
    log: {
      debug: () => {},
      error: (message: string) => warn(String(message)),
      info: () => {},
      warn: (message: string) => warn(String(message)),
    },
    request: {fetch: fetchWithTimeout},
    retry: {doNotRetry: [400, 401, 403, 404, 410, 422, 429, 451], retries: SERVER_ERROR_RETRIES},
    throttle: {onRateLimit: onLimit('rate limit'), onSecondaryRateLimit: onLimit('secondary rate limit')},
    userAgent: options.userAgent,
  })
}

function fetchWithTimeout(url: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS)
  return fetch(url, {...init, signal: init.signal ? AbortSignal.any([init.signal, timeout]) : timeout})
}
