#!/usr/bin/env node
// Repeats one state query against a running demo in iterations and prints each iteration's mean
// time — the lines phasegate's command validator reads as samples (gates/orchestration.yaml, `printed`),
// so a gate can judge the mean and the standard deviation across iterations:
//   iteration 3.12ms      (the mean of this iteration's queries, made one after another)
// Usage: node demo/scripts/iterate.mjs URL [--path /dashboard/snapshot] [--iterations 100] [--queries 10]
// Exit 0 when every query answered 200; 1 with the failure on stderr otherwise; 2 on bad arguments.
import {parseArgs} from 'node:util'

import {call, demoUrl, fail, whole} from './client.mjs'

const USAGE = 'usage: node demo/scripts/iterate.mjs URL [--path PATH] [--iterations N] [--queries N]'

let options
try {
  options = parseArgs({
    allowPositionals: true,
    options: {
      iterations: {default: '100', type: 'string'},
      path: {default: '/dashboard/snapshot', type: 'string'},
      queries: {default: '10', type: 'string'},
    },
  })
} catch (error) {
  fail(`${error.message}\n${USAGE}`)
}

const base = demoUrl(options.positionals[0], USAGE)
const iterations = whole('iterations', options.values.iterations, USAGE)
const queries = whole('queries', options.values.queries, USAGE)

try {
  for (let i = 0; i < iterations; i++) {
    const began = performance.now()
    for (let q = 0; q < queries; q++) await call(base, 'GET', options.values.path, undefined, 200)
    console.log(`iteration ${((performance.now() - began) / queries).toFixed(3)}ms`)
  }
} catch (error) {
  console.error(`query failed: ${error.message}`)
  process.exitCode = 1
}
