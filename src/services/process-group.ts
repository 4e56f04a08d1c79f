import type {ChildProcess} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

import {childProcess} from '../lazy.js'
import {
  environValue,
  environValueSync,
  parseStat,
  type ProcessEntry,
  readProcessTable,
  readProcessTableSync,
  startOf,
} from './process-table.js'

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
/** Once the group is gone, how long its last output may take to be read before the pipes are let go. */
const DRAIN_MS = 1000
const POLL_MS = 20
/** How often /proc is read for the processes each live group starts. */
const WATCH_MS = 100
/**
 * In the environment of every process a group starts: inherited, so one that leaves the group and its parent (setsid, a
 * double fork) is still found.
 */
const MARK = 'PHASEGATE_PROCESS_GROUP'
const TRACKS_DESCENDANTS = process.platform === 'linux'

/** Groups that may still have processes; killed synchronously when this process exits. */
const liveGroups = new Set<ProcessGroup>()
/** The mark each process seen carries, by "pid:start"; read once per process. */
const marks = new Map<string, string | undefined>()
let watcher: NodeJS.Timeout | undefined
let exitHandlerInstalled = false

/**
 * Sends SIGKILL to every process of every live group, escaped descendants included. Safe in a process 'exit'
 * handler (synchronous), so nothing is orphaned even when the CLI crashes; installed automatically on the first spawn.
 */
export function killAllServicesSync(): void {
  if (TRACKS_DESCENDANTS && liveGroups.size > 0) {
    const table = readProcessTableSync()
    for (const entry of table) if (!marks.has(keyOf(entry))) marks.set(keyOf(entry), environValueSync(entry.pid, MARK))
    for (const group of liveGroups) group.adopt(table)
  }
  for (const group of liveGroups) group.signalAll('SIGKILL')
  liveGroups.clear()
  stopWatching()
}

function register(group: ProcessGroup): void {
  liveGroups.add(group)
  if (TRACKS_DESCENDANTS) watcher ??= setInterval(() => void refresh().catch(() => {}), WATCH_MS).unref()
  if (exitHandlerInstalled) return
  process.on('exit', killAllServicesSync)
  exitHandlerInstalled = true
}

function unregister(group: ProcessGroup): void {
  liveGroups.delete(group)
  if (liveGroups.size === 0) stopWatching()
}

function stopWatching(): void {
  clearInterval(watcher)
  watcher = undefined
}

/** Reads the process table once and lets every live group adopt what it started; returns the table. */
async function refresh(): Promise<ProcessEntry[]> {
  const table = await readProcessTable()
  const seen = new Set(table.map(keyOf))
  for (const key of marks.keys()) if (!seen.has(key)) marks.delete(key)
  const unread = table.filter((entry) => !marks.has(keyOf(entry)))
  const values = await Promise.all(unread.map(async (entry) => environValue(entry.pid, MARK)))
  // Only a mark found is kept: an environ read while the process execs can come back empty, and would hide it for good.
  for (const [index, entry] of unread.entries()) if (values[index] !== undefined) marks.set(keyOf(entry), values[index])
  for (const group of liveGroups) group.adopt(table)
  return table
}

const keyOf = (entry: ProcessEntry): string => `${entry.pid}:${entry.start}`

/**
 * A shell command line running as the leader of its own process group, so it and all its children can be stopped
 * together.
 */
export class ProcessGroup {
  /** Resolves when the leader exits or fails to start. */
  readonly exited: Promise<ExitStatus>
  /** Resolves once the leader's output streams are closed too: everything it printed has been read. */
  readonly closed: Promise<void>
  /** Every process seen that this group started, by pid, with its start time: those that left the group too. */
  private readonly members = new Map<number, string>()
  private status: ExitStatus | undefined
  private stopping: Promise<void> | undefined

  private constructor(
    readonly child: ChildProcess,
    private readonly mark: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve((this.status = {code, signal})))
      child.once('error', (error) => resolve((this.status ??= {code: null, error, signal: null})))
    })
    this.closed = new Promise((resolve) => {
      child.once('close', () => resolve())
      child.once('error', () => resolve())
    })
    if (child.pid !== undefined) register(this)
  }

  static spawn(command: string, options: SpawnGroupOptions): ProcessGroup {
    // spawn() would report a missing cwd as "spawn /bin/sh ENOENT", which misleads.
    if (!existsSync(options.cwd)) throw new Error(`working directory ${options.cwd} does not exist`)
    const mark = crypto.randomUUID()
    const child = childProcess().spawn(command, {
      cwd: options.cwd,
      detached: true,
      env: {...process.env, ...options.env, [MARK]: mark},
      shell: true,
      stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
    })
    return new ProcessGroup(child, mark)
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

  /** Sends `signal` to the group and to every process it started that left it; false when none was there. */
  signalAll(signal: NodeJS.Signals): boolean {
    let sent = this.signal(signal)
    for (const [pid, start] of this.members) if (startOf(pid) === start) sent = sendTo(pid, signal) || sent
    return sent
  }

  /** Takes in, from a process table, the group's members and every process descending from or marked by it. */
  adopt(table: readonly ProcessEntry[]): void {
    const pgid = this.pid
    if (pgid === undefined) return
    const current = new Map(table.map((entry) => [entry.pid, entry]))
    for (const [pid, start] of this.members) if (current.get(pid)?.start !== start) this.members.delete(pid)
    const children = new Map<number, ProcessEntry[]>()
    for (const entry of table) children.set(entry.ppid, [...(children.get(entry.ppid) ?? []), entry])
    const found = table.filter((entry) => entry.pgrp === pgid || marks.get(keyOf(entry)) === this.mark)
    const queue = [...found, ...[...this.members.keys()].flatMap((pid) => current.get(pid) ?? [])]
    for (let entry = queue.shift(); entry !== undefined; entry = queue.shift()) {
      if (entry.pid === process.pid || this.members.has(entry.pid)) continue
      this.members.set(entry.pid, entry.start)
      queue.push(...(children.get(entry.pid) ?? []))
    }
  }

  /**
   * SIGTERM to the group and everything it started, SIGKILL to whatever is left after `graceMs` (0: at once);
   * idempotent.
   */
  stop(graceMs: number): Promise<void> {
    this.stopping ??= this.terminate(graceMs)
    return this.stopping
  }

  private async terminate(graceMs: number): Promise<void> {
    if (this.pid === undefined) return
    if (graceMs > 0 && (await this.alive()) && this.signalAll('SIGTERM')) await this.waitUntilGone(graceMs)
    if (await this.alive()) {
      this.signalAll('SIGKILL')
      await this.waitUntilGone(KILL_WAIT_MS)
    }
    unregister(this)
    await within(this.exited, KILL_WAIT_MS)
    // A process that escaped unseen (one that cleared its environment) may still hold the pipes: read what is there,
    // then let go.
    await within(this.closed, DRAIN_MS)
    this.child.stdout?.destroy()
    this.child.stderr?.destroy()
  }

  /**
   * True while the group or anything it started runs; zombies do not count (PID 1 in a container may never reap them).
   */
  private async alive(): Promise<boolean> {
    if (!TRACKS_DESCENDANTS) return groupAlive(this.pid!)
    const table = await refresh()
    return table.some((entry) => this.members.get(entry.pid) === entry.start && entry.state !== 'Z')
  }

  private async waitUntilGone(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs
    while (Date.now() < deadline && (await this.alive())) await sleep(POLL_MS)
  }
}

/** Waits for `promise` at most `ms`, and cancels the timer once it settles: a pending timer would keep `gate` alive. */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  const timer = new AbortController()
  await Promise.race([promise, sleep(ms, undefined, {signal: timer.signal}).catch(() => {})])
  timer.abort()
}

/** "exited with code 3", "was killed by SIGKILL", "could not start: …". */
export function describeExit(status: ExitStatus): string {
  if (status.error) return `could not start: ${status.error.message}`
  if (status.signal) return `was killed by ${status.signal}`
  return `exited with code ${status.code}`
}

function sendToGroup(pgid: number, signal: NodeJS.Signals): boolean {
  return sendTo(-pgid, signal)
}

function sendTo(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal)
    return true
  } catch {
    return false
  }
}

/** Where /proc is missing: true while any process of the group runs. */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
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
