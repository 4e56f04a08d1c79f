// What the test servers (Redis, Prometheus, PostgreSQL) share: a free port on 127.0.0.1, a server
// process in its own group with the tail of its output kept for messages, and a stop that cannot miss a child.
import {type ChildProcess, spawn} from 'node:child_process'
import {createServer} from 'node:net'
import {setTimeout as sleep} from 'node:timers/promises'

/** A port the system just gave out on 127.0.0.1 and took back. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

export interface ServerProcess {
  child: ChildProcess
  /** Resolves when the process has exited. */
  exited: Promise<void>
  /** The last 4000 characters it wrote to stdout and stderr. */
  output(): string
  /** SIGTERM to its process group, SIGKILL after `graceMs`; returns once it has exited. */
  stop(graceMs?: number): Promise<void>
}

/** Starts `program` in its own process group, so stopping it reaches every child it starts. */
export function spawnServer(program: string, args: readonly string[]): ServerProcess {
  const child = spawn(program, args, {detached: true, stdio: ['ignore', 'pipe', 'pipe']})
  let tail = ''
  const keep = (chunk: string): void => {
    tail = (tail + chunk).slice(-4000)
  }

  child.stdout!.setEncoding('utf8').on('data', keep)
  child.stderr!.setEncoding('utf8').on('data', keep)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {child, exited, output: () => tail, stop: (graceMs = 10_000) => stopGroup(child, exited, graceMs)}
}

async function stopGroup(child: ChildProcess, exited: Promise<void>, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const signalGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, signal)
    } catch {
      // The group is gone already.
    }
  }

  signalGroup('SIGTERM')
  if (!(await Promise.race([exited.then(() => true), sleep(graceMs, false, {ref: false})]))) {
    signalGroup('SIGKILL')
    await exited
  }
}
