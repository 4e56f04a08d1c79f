#!/usr/bin/env node
// Starts the demo server again and again and prints how long each start took until the server answered —
// the lines phasegate's command validator reads as samples (gates/storage.yaml, `printed`):
//   startup 182.4ms      from spawning `node demo/dist/server.js --port 0` until GET /health answered 200
// The time is the real process start: Node.js, the server's imports, listening, and a first request served.
// Each server is stopped (SIGTERM, then SIGKILL) before the next one starts.
// Usage: node demo/scripts/startup.mjs [--starts 10]
// Exit 0 when every start answered; 1 with the failure on stderr otherwise; 2 on bad arguments.
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'

import {fail, whole} from './client.mjs'

const USAGE = 'usage: node demo/scripts/startup.mjs [--starts N]'
const SERVER = fileURLToPath(new URL('../dist/server.js', import.meta.url))
/** How often /health is asked while the server starts: short against the start it times. */
const POLL_MS = 2
/** A server that has not answered by then has failed to start. */
const START_TIMEOUT_MS = 20_000

let options
try {
  options = parseArgs({options: {starts: {default: '10', type: 'string'}}})
} catch (error) {
  fail(`${error.message}\n${USAGE}`)
}

const starts = whole('starts', options.values.starts, USAGE)
try {
  for (let i = 0; i < starts; i++) console.log(`startup ${(await timeStart()).toFixed(2)}ms`)
} catch (error) {
  console.error(`start failed: ${error.message}`)
  process.exitCode = 1
}

/** Spawns the server, waits for the URL it announces, then asks /health until it answers 200; stops it. */
async function timeStart() {
  const began = performance.now()
  const server = spawn(process.execPath, [SERVER, '--port', '0'], {stdio: ['ignore', 'pipe', 'ignore']})
  const exited = once(server, 'exit')
  try {
    const url = await announcedUrl(server)
    for (;;) {
      if (performance.now() - began > START_TIMEOUT_MS) throw new Error('the server did not answer within 20 s')
      try {
        const response = await fetch(new URL('/health', url))
        await response.arrayBuffer()
        if (response.status === 200) return performance.now() - began
      } catch {
        // Not answering yet.
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
  } finally {
    server.kill('SIGTERM')
    const killer = setTimeout(() => server.kill('SIGKILL'), 5000)
    await exited
    clearTimeout(killer)
  }
}

function announcedUrl(server) {
  return new Promise((resolve, reject) => {
    let out = ''
    server.stdout.setEncoding('utf8')
    server.stdout.on('data', (chunk) => {
      out += chunk
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1]
      if (url) resolve(url)
    })
    server.on('exit', (code) => reject(new Error(`the server exited with code ${code} before it listened`)))
    setTimeout(() => reject(new Error('the server announced no URL within 20 s')), START_TIMEOUT_MS).unref()
  })
}
