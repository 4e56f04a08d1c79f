import {setTimeout as sleep} from 'node:timers/promises'

import type {ServiceConfig} from '../config/types.js'
import {undici, workerThreads} from '../lazy.js'
import type {LogTail} from './log-tail.js'

const HTTP_POLL_MS = 100
/**
 * Matches log lines against ready.log in a worker: a pattern that backtracks for ever then cannot stop the ready
 * timeout or Ctrl-C.
 */
const MATCHER = `
const {parentPort, workerData} = require('node:worker_threads')
const pattern = new RegExp(workerData)
parentPort.on('message', (line) => {
  const match = pattern.exec(line)
  parentPort.postMessage(match ? {url: match.groups?.url} : null)
})`

/**
 * Resolves when the service is ready: its log matched `ready.log` (then, if set, `ready.http`
 * answered 2xx). Resolves with the URL the service announced, if any. Stops when `signal` aborts.
 */
export async function waitUntilReady(
  ready: ServiceConfig['ready'],
  tail: LogTail,
  signal: AbortSignal,
): Promise<string | undefined> {
  const announced = ready.log === undefined ? undefined : await waitForLogLine(ready.log, tail, signal)
  if (ready.http !== undefined) await waitForHttp(ready.http, signal)
  return announced?.url ?? originOf(ready.http)
}

/**
 * The first log line matching `pattern`; its named group `url`, when present, is the service's URL. Matched off the
 * main thread, ended by `signal`.
 */
function waitForLogLine(pattern: string, tail: LogTail, signal: AbortSignal): Promise<{url?: string}> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const matcher = new (workerThreads().Worker)(MATCHER, {eval: true, workerData: pattern})
    const unsubscribe = tail.onLine((line) => matcher.postMessage(line))
    const finish = (): void => {
      unsubscribe()
      signal.removeEventListener('abort', onAbort)
      // terminate() stops a match that is still backtracking.
      void matcher.terminate()
    }
    const onAbort = (): void => {
      finish()
      reject(signal.reason)
    }

    // Replies come in line order, so the first match is the first matching line.
    matcher.on('message', (match: {url?: string} | null) => {
      if (match === null) return
      finish()
      resolve(match.url === undefined ? {} : {url: match.url})
    })
    matcher.on('error', (error) => {
      finish()
      reject(error)
    })
    signal.addEventListener('abort', onAbort, {once: true})
    for (const line of tail.lines()) matcher.postMessage(line)
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
