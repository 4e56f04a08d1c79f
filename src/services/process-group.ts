import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {readdir, readFile} from 'node:fs/promises'
import {setTimeout as sleep} from 'node:timers/promises'

export interface ExitStatus {
  code: number | null
  signal: NodeJS.Signals | null
  /** Set when the process could not be started at all. */
  error?: Error
}

export interface SpawnGroupOptions {
  cwd: string
  /** Merged over process.env. */
  env?: Readonly<Record<string, string>>
  /** 'ignore' when only stderr matters (timed command runs). */
  stdout?: 'ignore' | 'pipe'
}

/** How long SIGKILL may take before we stop waiting (a process in uninterruptible sleep). */
const KILL_WAIT_MS = 2000
const POLL_MS = 20

/** Process groups that may still have members; killed synchronously when this process exits. */
const liveGroups = new Set<number>()
let exitHandlerInstalled = false

/**
 * Sends SIGKILL to every process group still registered. Safe in a process 'exit' handler (synchronous),
 * so nothing is orphaned even when the CLI crashes; installed automatically on the first spawn.
 */
export function killAllServicesSync(): void {
  for (const pgid of liveGroups) sendToGroup(pgid, 'SIGKILL')
  liveGroups.clear()
}

function register(pgid: number): void {
  liveGroups.add(pgid)
  if (exitHandlerInstalled) return
  process.on('exit', killAllServicesSync)
  exitHandlerInstalled = true
}

/** A shell command line running as the leader of its own process group, so it and all its children can be stopped together. */
export class ProcessGroup {
  /** Resolves when the leader exits or fails to start. */
  readonly exited: Promise<ExitStatus>
  /** Resolves once the leader's output streams are closed too: everything it printed has been read. */
  readonly closed: Promise<void>
  private status: ExitStatus | undefined
  private stopping: Promise<void> | undefined

  private constructor(readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve((this.status = {code, signal})))
      child.once('error', (error) => resolve((this.status ??= {code: null, error, signal: null})))
    })
    this.closed = new Promise((resolve) => {
      child.once('close', () => resolve())
      child.once('error', () => resolve())
    })
    if (child.pid !== undefined) register(child.pid)
  }

  static spawn(command: string, options: SpawnGroupOptions): ProcessGroup {
    // spawn() would report a missing cwd as "spawn /bin/sh ENOENT", which misleads.
    if (!existsSync(options.cwd)) throw new Error(`working directory ${options.cwd} does not exist`)
    const child = spawn(command, {
      cwd: options.cwd,
      detached: true,
      env: {...process.env, ...options.env},
      shell: true,
      stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
    })
    return new ProcessGroup(child)
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  /** How the leader ended; undefined while it runs. */
  get exitStatus(): ExitStatus | undefined {
    return this.status
  }

  /** Sends `signal` to every process in the group; false when the group is gone. */
  signal(signal: NodeJS.Signals): boolean {
    return this.pid !== undefined && sendToGroup(this.pid, signal)
  }

  /** SIGTERM to the whole group, SIGKILL to whatever is left after `graceMs` (0: at once); idempotent. */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= this.terminate(graceMs)
    return this.stopping
  }

  private async terminate(graceMs: number): Promise<void> {
    const pgid = this.pid
    if (pgid === undefined) return
    if (graceMs > 0 && this.signal('SIGTERM')) await waitUntilGone(pgid, graceMs)
    if (await groupAlive(pgid)) {
      this.signal('SIGKILL')
      await waitUntilGone(pgid, KILL_WAIT_MS)
    }
    liveGroups.delete(pgid)
    // Wait for the exit event, but cancel the fallback timer once it comes: a pending timer kept `gate` alive 2 s after every command run.
    const fallback = new AbortController()
    await Promise.race([this.exited, sleep(KILL_WAIT_MS, undefined, {signal: fallback.signal}).catch(() => {})])
    fallback.abort()
  }
}

/** "exited with code 3", "was killed by SIGKILL", "could not start: …". */
export function describeExit(status: ExitStatus): string {
  if (status.error) return `could not start: ${status.error.message}`
  if (status.signal) return `was killed by ${status.signal}`
  return `exited with code ${status.code}`
}

function sendToGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal)
    return true
  } catch {
    return false
  }
}

async function waitUntilGone(pgid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (!(await groupAlive(pgid))) return true
    await sleep(POLL_MS)
  }
  return !(await groupAlive(pgid))
}

/** True while any process of the group runs; zombies do not count (PID 1 in a container may never reap them). */
export async function groupAlive(pgid: number): Promise<boolean> {
  if (process.platform === 'linux') return (await groupMembers(pgid)).length > 0
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Pids of the live (non-zombie) processes in a process group, from /proc; Linux only. */
export async function groupMembers(pgid: number): Promise<number[]> {
  const entries = await readdir('/proc')
  const stats = await Promise.all(
    entries.filter((name) => /^\d+$/.test(name)).map(async (name) => readFile(`/proc/${name}/stat`, 'utf8').then(parseStat, () => undefined)),
  )
  return stats.filter((stat) => stat !== undefined && stat.pgrp === pgid && stat.state !== 'Z').map((stat) => stat!.pid)
}

/** True while the process exists and is not a zombie. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }

  if (process.platform !== 'linux') return true
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.state !== 'Z'
  } catch {
    return false
  }
}

interface ProcStat {
  pid: number
  state: string
  pgrp: number
}

/** /proc/<pid>/stat: "pid (comm) state ppid pgrp …"; comm may hold spaces and parentheses. */
function parseStat(text: string): ProcStat | undefined {
  const close = text.lastIndexOf(')')
  const fields = text.slice(close + 2).split(' ')
  const pid = Number.parseInt(text, 10)
  const pgrp = Number(fields[2])
  if (close < 0 || !Number.isInteger(pid) || !Number.isInteger(pgrp)) return undefined
  return {pgrp, pid, state: fields[0] ?? ''}
}
