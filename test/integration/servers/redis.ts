// A throw-away Redis for integration tests: on a free port of 127.0.0.1, no persistence, its own temp dir.
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {createConnection} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {closedPortUrl} from '../../fixtures/load-servers/servers.js'
import {requireProgram} from './required.js'

/** redis-server, or undefined (locally) when it is not installed. */
export const REDIS_SERVER = requireProgram('Redis (redis-server)', 'apt-get install redis-server', 'redis-server', '/usr/bin/redis-server', '/usr/local/bin/redis-server')

export interface RedisServer {
  /** redis://127.0.0.1:PORT */
  url: string
  port: number
  pid: number
  /** SIGTERM, then SIGKILL after a while; removes its directory; safe to call twice. */
  stop(): Promise<void>
}

const READY_WITHIN_MS = 15_000

/** Starts redis-server and waits until it answers PING. */
export async function startRedis(extraArgs: string[] = []): Promise<RedisServer> {
  if (!REDIS_SERVER) throw new Error('redis-server is not installed: guard the suite with describe.skipIf(!REDIS_SERVER)')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-redis-'))
  // A port the system just gave out and took back.
  const port = Number(new URL(await closedPortUrl()).port)
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--protected-mode', 'yes', ...extraArgs]
  // Its own process group, so stopping it cannot miss a child.
  const child = spawn(REDIS_SERVER, args, {detached: true, stdio: ['ignore', 'pipe', 'pipe']})
  let output = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-4000)))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output = (output + chunk).slice(-4000)))
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let stopped = false
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true
      await end(child, exited)
    }

    rmSync(dir, {force: true, recursive: true})
  }

  try {
    const deadline = Date.now() + READY_WITHIN_MS
    while (!(await answersPing(port))) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}):\n${output}`)
      if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on 127.0.0.1:${port} within ${READY_WITHIN_MS} ms:\n${output}`)
      await sleep(50)
    }
  } catch (error) {
    await stop()
    throw error
  }

  return {pid: child.pid!, port, stop, url: `redis://127.0.0.1:${port}`}
}

async function end(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      // Already gone.
    }
  }

  signalGroup('SIGTERM')
  if (!(await Promise.race([exited.then(() => true), sleep(5000, false, {ref: false})]))) {
    signalGroup('SIGKILL')
    await exited
  }
}

/** One PING over a raw socket (RESP inline command): true on +PONG. */
function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({host: '127.0.0.1', port})
    let reply = ''
    const done = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }

    socket.setTimeout(1000, () => done(false))
    socket.once('error', () => done(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8')
      if (reply.includes('\r\n')) done(reply.startsWith('+PONG'))
    })
  })
}
