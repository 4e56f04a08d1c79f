#!/usr/bin/env node
// Compares two running configurations of the demo side by side: in each round it runs the same user
// sessions on V1 and on V2, in alternating order (V1 first in odd rounds, V2 first in even ones), so
// whatever else the machine does falls on both alike. It prints each session's time and each round's
// speed-up — the lines phasegate's command validator reads as samples (gates/orchestration.yaml, `printed`):
//   v1_session 152.3ms     v2_session 61.0ms     speedup 2.41   (mean V1 session / mean V2 session, per round)
// Usage: node demo/scripts/compare.mjs V1_URL V2_URL [--rounds 10] [--sessions 5]
// Exit 0 when every session succeeded; 1 with the failure on stderr otherwise; 2 on bad arguments.
import {parseArgs} from 'node:util'

import {demoUrl, fail, session, whole} from './client.mjs'

const USAGE = 'usage: node demo/scripts/compare.mjs V1_URL V2_URL [--rounds N] [--sessions N]'

let options
try {
  options = parseArgs({
    allowPositionals: true,
    options: {rounds: {default: '10', type: 'string'}, sessions: {default: '5', type: 'string'}},
  })
} catch (error) {
  fail(`${error.message}\n${USAGE}`)
}

const sides = [
  {name: 'v1', url: demoUrl(options.positionals[0], USAGE)},
  {name: 'v2', url: demoUrl(options.positionals[1], USAGE)},
]
const rounds = whole('rounds', options.values.rounds, USAGE)
const sessions = whole('sessions', options.values.sessions, USAGE)

try {
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? sides : [...sides].reverse()
    const mean = {}
    for (const side of order) mean[side.name] = await timeSessions(side, round)
    console.log(`speedup ${(mean.v1 / mean.v2).toFixed(4)}`)
  }
} catch (error) {
  console.error(`comparison failed: ${error.message}`)
  process.exitCode = 1
}

/** Runs this round's sessions on one side, one after another; prints each one's time and returns their mean. */
async function timeSessions(side, round) {
  let total = 0
  for (let i = 0; i < sessions; i++) {
    const began = performance.now()
    await session(side.url, round * sessions + i, sessions)
    const ms = performance.now() - began
    console.log(`${side.name}_session ${ms.toFixed(2)}ms`)
    total += ms
  }
  return total / sessions
}
