#!/usr/bin/env node
// Runs user sessions against a running demo, CONCURRENCY at a time, and prints "session N done" as
// each one ends — the mark that phasegate's command validator reads memory at (gates/memory-growth.yaml).
// A session is what a dashboard user does: take an agent from the fleet, read a dashboard snapshot,
// save and read back a preference in the cache, and give the agent back. Nothing outlives it, so
// the server's memory should not grow with sessions once warm.
// Usage: node demo/scripts/sessions.mjs URL [--sessions 100] [--concurrency 10] [--users 10]
// Exit 0 when every session succeeded; 1 with the failures on stderr otherwise; 2 on bad arguments.
import {parseArgs} from 'node:util'

const USAGE = 'usage: node demo/scripts/sessions.mjs URL [--sessions N] [--concurrency N] [--users N]'

let options
try {
  options = parseArgs({
    allowPositionals: true,
    options: {
      concurrency: {default: '10', type: 'string'},
      sessions: {default: '100', type: 'string'},
      users: {default: '10', type: 'string'},
    },
  })
} catch (error) {
  fail(`${error.message}\n${USAGE}`)
}

const [base] = options.positionals
const sessions = whole('sessions', options.values.sessions)
const concurrency = whole('concurrency', options.values.concurrency)
// Sessions share a few users' cache keys, so the cache holds as much after 100 sessions as after 10.
const users = whole('users', options.values.users)
if (!base || !URL.canParse(base)) fail(`a demo URL is required, e.g. http://127.0.0.1:3000\n${USAGE}`)

const failures = []
let next = 1
await Promise.all(
  Array.from({length: Math.min(concurrency, sessions)}, async () => {
    while (next <= sessions) {
      const n = next++
      try {
        await session(n)
        console.log(`session ${n} done`)
      } catch (error) {
        failures.push(`session ${n}: ${error.message}`)
      }
    }
  }),
)

if (failures.length > 0) {
  console.error(`${failures.length} of ${sessions} sessions failed; first: ${failures.slice(0, 3).join('; ')}`)
  process.exitCode = 1
}

async function session(n) {
  const {allocationId} = await call('POST', '/fleet/allocations', {}, 201)
  try {
    await call('GET', '/dashboard/snapshot', undefined, 200)
    const key = `user-${n % users}-preferences`
    await call('PUT', `/cache/items/${key}`, {layout: 'grid', session: n}, 204)
    await call('GET', `/cache/items/${key}`, undefined, 200)
  } finally {
    await call('DELETE', `/fleet/allocations/${allocationId}`, undefined, 204)
  }
}

async function call(method, path, body, expected) {
  const response = await fetch(new URL(path, base), {
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: body === undefined ? {} : {'content-type': 'application/json'},
    method,
  })
  const text = await response.text()
  if (response.status !== expected)
    throw new Error(`${method} ${path} answered ${response.status} ${text.slice(0, 200)}`)
  return text ? JSON.parse(text) : undefined
}

function whole(name, text) {
  const value = Number(text)
  if (!Number.isInteger(value) || value < 1)
    fail(`--${name} must be a whole number of at least 1, got "${text}"\n${USAGE}`)
  return value
}

function fail(message) {
  console.error(message)
  process.exit(2)
}
