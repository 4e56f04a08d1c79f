#!/usr/bin/env node
// Runs orchestration workflows against a running demo, one after another, and prints how long each step
// took — the lines phasegate's command validator reads as samples (gates/memory-growth.yaml, `printed`):
//   step create 212.4ms     POST /swarms: a supervisor and its leader process, answered once the leader is ready
//   step submit 1.3ms       POST /swarms/:id/tasks: one task accepted into the journal (per task)
//   step complete 8.1ms     from the first submission until the leader has done every task
//   step teardown 35.2ms    DELETE /swarms/:id: answered once the leader has exited
// Usage: node demo/scripts/orchestrate.mjs URL [--workflows 10] [--tasks 5]
// Exit 0 when every workflow completed; 1 with the failure on stderr otherwise; 2 on bad arguments.
import {parseArgs} from 'node:util'

import {call as callDemo, demoUrl, fail, whole} from './client.mjs'

const USAGE = 'usage: node demo/scripts/orchestrate.mjs URL [--workflows N] [--tasks N]'
/** How often completion is polled: short against the steps it times. */
const POLL_MS = 2
/** A workflow whose tasks are not done by then has failed. */
const COMPLETE_TIMEOUT_MS = 10_000

let options
try {
  options = parseArgs({
    allowPositionals: true,
    options: {tasks: {default: '5', type: 'string'}, workflows: {default: '10', type: 'string'}},
  })
} catch (error) {
  fail(`${error.message}\n${USAGE}`)
}

const base = demoUrl(options.positionals[0], USAGE)
const workflows = whole('workflows', options.values.workflows, USAGE)
const tasks = whole('tasks', options.values.tasks, USAGE)
const call = (...request) => callDemo(base, ...request)

try {
  for (let n = 1; n <= workflows; n++) await workflow(n)
} catch (error) {
  console.error(`workflow failed: ${error.message}`)
  process.exitCode = 1
}

async function workflow(n) {
  const {id} = await step('create', () => call('POST', '/swarms', {name: `orchestrate-${process.pid}-${n}`}, 201))
  try {
    const began = performance.now()
    for (let t = 1; t <= tasks; t++)
      await step('submit', () => call('POST', `/swarms/${id}/tasks`, {taskId: `t${t}`}, 202))
    for (;;) {
      const {completed} = await call('GET', `/swarms/${id}/tasks`, undefined, 200)
      if (completed.length >= tasks) break
      if (performance.now() - began > COMPLETE_TIMEOUT_MS) throw new Error(`swarm ${id}: tasks not done in 10 s`)
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
    console.log(`step complete ${(performance.now() - began).toFixed(2)}ms`)
  } finally {
    await step('teardown', () => call('DELETE', `/swarms/${id}`, undefined, 204))
  }
}

async function step(name, work) {
  const began = performance.now()
  const result = await work()
  console.log(`step ${name} ${(performance.now() - began).toFixed(2)}ms`)
  return result
}
