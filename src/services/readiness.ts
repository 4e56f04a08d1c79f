import {setTimeout as sleep} from 'node:timers/promises'

import type {ServiceConfig} from '../config/types.js'
import {undici} from '../lazy.js'
import type {LogTail} from './log-tail.js'

const HTTP_POLL_MS = 100

/**
 * Resolves when the service is ready: its log matched `ready.log` (then, if set, `ready.http`
 * answered 2xx). Resolves with the URL the service announced, if any. Stops when `signal` aborts.
 */
export async function waitUntilReady(ready: ServiceConfig['ready'], tail: LogTail, signal: AbortSignal): Promise<string | undefined> {
  const announced = ready.log === undefined ? undefined : await waitForLogLine(new RegExp(ready.log), tail, signal)
  if (ready.http !== undefined) await waitForHttp(ready.http, signal)
  return announced?.url ?? originOf(ready.http)
}

/** The first log line matching `pattern`; its named group `url`, when present, is the service's URL. */
function waitForLogLine(pattern: RegExp, tail: LogTail, signal: AbortSignal): Promise<{url?: string}> {
  return new Promise((resolve, reject) => {
    const check = (line: string): boolean => {
      const match = pattern.exec(line)
      if (!match) return false
      finish()
      resolve({url: match.groups?.url})
      return true
    }

    const onAbort = (): void => {
      finish()
      reject(signal.reason)
    }

    const unsubscribe = tail.onLine(check)
    const finish = (): void => {
      unsubscribe()
      signal.removeEventListener('abort', onAbort)
    }

    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, {once: true})
    tail.lines().some((line) => check(line))
  })
}

/** Polls `url` until it answers 2xx; connection errors and other statuses mean "not yet". */
async function waitForHttp(url: string, signal: AbortSignal): Promise<void> {
  for (;;) {
    signal.throwIfAborted()
    try {
      // reset: no keep-alive socket outlives the check.
      const response = await undici().request(url, {reset: true, signal})
      await response.body.dump()
      if (response.statusCode >= 200 && response.statusCode < 300) return
    } catch {
      signal.throwIfAborted()
    }

    await sleep(HTTP_POLL_MS, undefined, {signal})
  }
}

function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined
  try {
    return new URL(url).origin
  } catch {
    return undefined
  }
}
