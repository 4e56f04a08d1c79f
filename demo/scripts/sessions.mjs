#!/usr/bin/env node
// Runs user sessions against a running demo, CONCURRENCY at a time, and prints "session N done" as
// each one ends — the mark that phasegate's command validator reads memory at (gates/memory-growth.yaml).
// A session is what a dashboard user does: take an agent from the fleet, read a dashboard snapshot,
// save and read back a preference in the cache, and give the agent back. Nothing outlives it, so
// the server's memory should not grow with sessions once warm.
// Usage: node demo/scripts/sessions.mjs URL [--sessions 100] [--concurrency 10] [--users 10]
// Exit 0 when every session succeeded; 1 with the failures on stderr otherwise; 2 on bad arguments.
import {parseArgs} from 'node:util'

import {demoUrl, fail, session, whole} from './client.mjs'

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

const base = demoUrl(options.positionals[0], USAGE)
const sessions = whole('sessions', options.values.sessions, USAGE)
const concurrency = whole('concurrency', options.values.concurrency, USAGE)
// Sessions share a few users' cache keys, so the cache holds as much after 100 sessions as after 10.
const users = whole('users', options.values.users, USAGE)

const failures = []
let next = 1
await Promise.all(
  Array.from({length: Math.min(concurrency, sessions)}, async () => {
    while (next <= sessions) {
      const n = next++
      try {
        await session(base, n, users)
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
