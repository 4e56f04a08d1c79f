// A throw-away Redis for integration tests: on a free port of 127.0.0.1, no persistence, its own temp dir.
import {mkdtempSync, rmSync} from 'node:fs'
import {createConnection} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {freePort, spawnServer} from './process.js'
import {requireProgram} from './required.js'

/** redis-server, or undefined (locally) when it is not installed. */
export const REDIS_SERVER = requireProgram(
  'Redis (redis-server)',
  'apt-get install redis-server',
  'redis-server',
  '/usr/bin/redis-server',
  '/usr/local/bin/redis-server',
)

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
  if (!REDIS_SERVER)
    throw new Error('redis-server is not installed: guard the suite with describe.skipIf(!REDIS_SERVER)')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-redis-'))
  const port = await freePort()
  const args = [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--dir',
    dir,
    '--daemonize',
    'no',
    '--protected-mode',
    'yes',
    ...extraArgs,
  ]
  const server = spawnServer(REDIS_SERVER, args)
  const {child} = server
  let stopped = false
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true
      await server.stop(5000)
    }

    rmSync(dir, {force: true, recursive: true})
  }

  try {
    const deadline = Date.now() + READY_WITHIN_MS
    while (!(await answersPing(port))) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(`redis-server exited (${child.exitCode ?? child.signalCode}):\n${server.output()}`)
      if (Date.now() > deadline)
        throw new Error(
          `redis-server did not answer PING on 127.0.0.1:${port} within ${READY_WITHIN_MS} ms:\n${server.output()}`,
        )
      await sleep(50)
    }
  } catch (error) {
    await stop()
    throw error
  }

  return {pid: child.pid!, port, stop, url: `redis://127.0.0.1:${port}`}
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
