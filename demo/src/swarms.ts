import {type ChildProcess, fork} from 'node:child_process'
import {availableParallelism} from 'node:os'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import {Histogram} from './metrics.js'
import type {LeaderMessage, SupervisorMessage} from './protocol.js'

const LEADER_SCRIPT = fileURLToPath(new URL('swarm-leader.js', import.meta.url))
/**
 * A leader keeps no state (the journal lives here), so a small heap suffices and caps what a runaway leader can take.
 */
const LEADER_EXEC_ARGV = ['--max-old-space-size=24', '--max-semi-space-size=1']
/**
 * Crashes are seen at once through the exit event; heartbeats only catch hung leaders, and each ping wakes every leader
 * (~2 ms CPU here).
 */
const HEARTBEAT_INTERVAL_MS = 500
/** A leader whose previous ping is still unanswered is not healthy (not answering heartbeats). */
const UNHEALTHY_AFTER_MISSED = 2
/**
 * Pings missed in a row before a live leader counts as hung and is replaced (~3 s). Counted in ticks, so a busy
 * supervisor cannot fake a miss; not shorter, because replacing leaders that are merely starved of CPU feeds a failover
 * storm.
 */
const DEPOSE_AFTER_MISSED = 6
/** A Node boot is CPU-bound: more boots at once than this only slow each other and starve the running leaders. */
const BOOT_SLOTS = 2 * availableParallelism()
/** From fork to ready, not counting the wait for a boot slot. */
const LEADER_BOOT_TIMEOUT_MS = 20_000
/** A new swarm whose leader fails to start this many times in a row is given up. */
const MAX_FAILED_STARTS = 3
const STOP_GRACE_MS = 2000
const MAX_RESTART_BACKOFF_MS = 5000
export const MAX_SWARMS = 200
export const MAX_TASKS_PER_SWARM = 100_000

export const FAULTS = ['kill-leader', 'hang-leader'] as const
export type Fault = (typeof FAULTS)[number]
export type TaskSubmission = 'accepted' | 'duplicate' | 'journal full'

export interface SwarmView {
  id: string
  name: string
  /** True only while a leader is ready and answering heartbeats. */
  healthy: boolean
  /** The current leader process, ready or still starting; null between losing one and starting the next. */
  leader: {pid: number; term: number} | null
  tasks: {accepted: number; completed: number; pending: number}
  failovers: number
}

export interface SwarmsSummary {
  total: number
  healthy: number
  failovers: number
}

/** Totals over every swarm ever created, so deleting a swarm never makes a counter go down. */
export interface SwarmTotals {
  failovers: number
  tasksAccepted: number
  tasksCompleted: number
  /** From losing a ready leader to its successor being ready. */
  readonly failoverSeconds: Histogram
}

export interface SwarmOptions {
  failoverDelayMs: number
  log: (line: string) => void
}

interface SwarmContext extends SwarmOptions {
  totals: SwarmTotals
  bootSlots: BootSlots
}

interface Leader {
  child: ChildProcess
  pid: number
  term: number
  startedAt: number
  ready: boolean
  missedHeartbeats: number
  /** Gives back its boot slot; idempotent. */
  booted: () => void
}

/** A counting semaphore: how many leaders may boot at once. */
export class BootSlots {
  private readonly waiting: Array<() => void> = []

  constructor(private free: number) {}

  /** Resolves with a release function once a slot is free. */
  async acquire(): Promise<() => void> {
    if (this.free > 0) this.free--
    else await new Promise<void>((resolve) => this.waiting.push(resolve))
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.waiting.shift()
      if (next) next()
      else this.free++
    }
  }
}

/**
 * One swarm: a supervisor (this object, in the server) with a journal of accepted tasks, and a leader child process it
 * replaces when lost.
 */
export class Swarm {
  failovers = 0
  private term = 0
  private leader: Leader | undefined
  /** Accepted task id → acknowledged by a leader; insertion order is acceptance order, which a new leader replays. */
  private readonly journal = new Map<string, boolean>()
  private completed = 0
  /**
   * Every child not yet reaped (a deposed leader may still be dying), with its exit; awaited on stop so none is
   * orphaned.
   */
  private readonly children = new Map<ChildProcess, Promise<unknown>>()
  /** When a ready leader was lost; cleared once a successor is ready. */
  private lostAt: number | undefined
  private failedStarts = 0
  private electionTimer: NodeJS.Timeout | undefined
  private settleStart: ((ready: boolean) => void) | undefined
  private stopped = false

  constructor(
    readonly id: string,
    readonly name: string,
    private readonly context: SwarmContext,
  ) {}

  get healthy(): boolean {
    const {leader} = this
    return leader !== undefined && leader.ready && leader.missedHeartbeats < UNHEALTHY_AFTER_MISSED
  }

  /** Starts the first leader: true once it is ready, false after MAX_FAILED_STARTS failed starts or a stop. */
  start(): Promise<boolean> {
    const started = new Promise<boolean>((resolve) => (this.settleStart = resolve))
    void this.elect()
    return started.finally(() => (this.settleStart = undefined))
  }

  submit(taskId: string): TaskSubmission {
    if (this.journal.has(taskId)) return 'duplicate'
    if (this.journal.size >= MAX_TASKS_PER_SWARM) return 'journal full'
    this.journal.set(taskId, false)
    this.context.totals.tasksAccepted++
    // Without a ready leader the task waits in the journal; the next leader gets it on election.
    if (this.leader?.ready) this.send(this.leader, {taskId, type: 'task'})
    return 'accepted'
  }

  /**
   * The faulted leader's pid and term, or undefined when no ready leader exists (a failover is under way).
   * A kill is reported once the supervisor has seen the exit, so no later read shows the dead leader as healthy;
   * a hang is reported at once: only missed heartbeats can reveal it, which is the point of that fault.
   */
  async inject(fault: Fault): Promise<{pid: number; term: number} | undefined> {
    const {leader} = this
    if (!leader?.ready) return undefined
    if (fault === 'hang-leader') {
      leader.child.kill('SIGSTOP')
    } else {
      const exited = this.children.get(leader.child)
      leader.child.kill('SIGKILL')
      await Promise.race([exited, sleep(STOP_GRACE_MS, undefined, {ref: false})])
    }

    return {pid: leader.pid, term: leader.term}
  }

  /** Called every heartbeat interval by the registry. */
  heartbeat(seq: number): void {
    const {leader} = this
    if (!leader) return
    if (!leader.ready) {
      if (Date.now() - leader.startedAt > LEADER_BOOT_TIMEOUT_MS)
        this.depose(leader, `was not ready within ${LEADER_BOOT_TIMEOUT_MS} ms`)
      return
    }

    if (leader.missedHeartbeats >= DEPOSE_AFTER_MISSED) {
      this.depose(leader, `missed ${DEPOSE_AFTER_MISSED} heartbeats`)
      return
    }

    leader.missedHeartbeats++
    this.send(leader, {seq, type: 'ping'})
  }

  view(): SwarmView {
    const {leader} = this
    return {
      failovers: this.failovers,
      healthy: this.healthy,
      id: this.id,
      leader: leader ? {pid: leader.pid, term: leader.term} : null,
      name: this.name,
      tasks: {accepted: this.journal.size, completed: this.completed, pending: this.journal.size - this.completed},
    }
  }

  taskIds(): {accepted: string[]; completed: string[]; pending: string[]} {
    const accepted = [...this.journal.keys()]
    return {
      accepted,
      completed: accepted.filter((id) => this.journal.get(id)),
      pending: accepted.filter((id) => !this.journal.get(id)),
    }
  }

  /** Stops the leader and any dying predecessor; resolves once every child has exited (and so been reaped). */
  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.electionTimer)
    this.settleStart?.(false)
    this.leader = undefined
    await Promise.all([...this.children].map(([child, exited]) => stopChild(child, exited)))
  }

  private async elect(): Promise<void> {
    this.electionTimer = undefined
    const booted = await this.context.bootSlots.acquire()
    if (this.stopped) return booted()
    const term = ++this.term
    const child = fork(LEADER_SCRIPT, [String(term)], {
      execArgv: LEADER_EXEC_ARGV,
      serialization: 'json',
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    })
    const leader: Leader = {
      booted,
      child,
      missedHeartbeats: 0,
      pid: child.pid ?? -1,
      ready: false,
      startedAt: Date.now(),
      term,
    }
    const exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        this.children.delete(child)
        booted()
        this.lose(leader, signal ? `was killed by ${signal}` : `exited with code ${code}`)
        resolve()
      }),
    )
    this.children.set(child, exited)
    this.leader = leader
    child.on('message', (message: LeaderMessage) => this.onMessage(leader, message))
    child.on('error', (error) => {
      // A child that never started has no exit event to wait for.
      if (child.pid === undefined) {
        this.children.delete(child)
        booted()
      }

      this.lose(leader, `failed: ${error.message}`)
    })
  }

  private onMessage(leader: Leader, message: LeaderMessage): void {
    // A deposed leader's word no longer counts: only the current one may acknowledge.
    if (leader !== this.leader) return
    leader.missedHeartbeats = 0
    if (message.type === 'ready') this.onReady(leader)
    else if (message.type === 'done') this.complete(message.taskId)
  }

  private onReady(leader: Leader): void {
    if (leader.ready) return
    leader.ready = true
    leader.booted()
    this.failedStarts = 0
    if (this.lostAt !== undefined) {
      const ms = Date.now() - this.lostAt
      this.context.totals.failoverSeconds.observe(ms / 1000)
      this.context.log(`swarm ${this.id}: leader ${leader.pid} ready in term ${leader.term}, ${ms} ms after the loss`)
      this.lostAt = undefined
    }

    for (const [taskId, done] of this.journal) if (!done) this.send(leader, {taskId, type: 'task'})
    this.settleStart?.(true)
  }

  private complete(taskId: string): void {
    if (this.journal.get(taskId) !== false) return
    this.journal.set(taskId, true)
    this.completed++
    this.context.totals.tasksCompleted++
  }

  /** Fencing: a hung leader is killed before its successor starts, so two leaders never act for one swarm. */
  private depose(leader: Leader, reason: string): void {
    leader.child.kill('SIGKILL')
    this.lose(leader, reason)
  }

  private lose(leader: Leader, reason: string): void {
    if (leader !== this.leader || this.stopped) return
    this.leader = undefined
    if (leader.ready) {
      this.failovers++
      this.context.totals.failovers++
      this.lostAt = Date.now()
    } else {
      this.failedStarts++
      if (this.failedStarts >= MAX_FAILED_STARTS) this.settleStart?.(false)
    }

    // A leader that keeps dying before it is ready is restarted with backoff, not in a tight loop.
    const backoff = this.failedStarts === 0 ? 0 : Math.min(MAX_RESTART_BACKOFF_MS, 100 * 2 ** (this.failedStarts - 1))
    const delay = this.context.failoverDelayMs + backoff
    this.context.log(
      `swarm ${this.id}: leader ${leader.pid} (term ${leader.term}) ${reason}; electing ` +
        `term ${this.term + 1} in ${delay} ms`,
    )
    this.electionTimer = setTimeout(() => void this.elect(), delay)
  }

  private send(leader: Leader, message: SupervisorMessage): void {
    // A failed send needs no handling here: the leader's exit or missed heartbeats start the failover.
    if (leader.child.connected) leader.child.send(message, () => {})
  }
}

/** All swarms, and the one heartbeat timer that pings every leader. */
export class Swarms {
  readonly totals: SwarmTotals = {
    failoverSeconds: new Histogram([0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]),
    failovers: 0,
    tasksAccepted: 0,
    tasksCompleted: 0,
  }

  private readonly swarms = new Map<string, Swarm>()
  private readonly bootSlots = new BootSlots(BOOT_SLOTS)
  private readonly heartbeatTimer: NodeJS.Timeout
  private heartbeatSeq = 0
  private nextId = 1
  private closed = false

  constructor(private readonly options: SwarmOptions) {
    this.heartbeatTimer = setInterval(() => {
      const seq = ++this.heartbeatSeq
      for (const swarm of this.swarms.values()) swarm.heartbeat(seq)
    }, HEARTBEAT_INTERVAL_MS)
  }

  /** The new swarm once its first leader is ready, or why there is none. */
  async create(name?: string): Promise<Swarm | {error: string}> {
    if (this.closed) return {error: 'shutting down'}
    if (this.swarms.size >= MAX_SWARMS) return {error: `swarm limit reached (${MAX_SWARMS})`}
    const id = `swarm-${this.nextId++}`
    const swarm = new Swarm(id, name ?? id, {...this.options, bootSlots: this.bootSlots, totals: this.totals})
    this.swarms.set(id, swarm)
    if (await swarm.start()) return swarm
    await this.remove(id)
    return {error: this.closed ? 'shutting down' : `its leader failed to start ${MAX_FAILED_STARTS} times`}
  }

  get(id: string): Swarm | undefined {
    return this.swarms.get(id)
  }

  list(): Swarm[] {
    return [...this.swarms.values()]
  }

  async remove(id: string): Promise<boolean> {
    const swarm = this.swarms.get(id)
    if (!swarm) return false
    this.swarms.delete(id)
    await swarm.stop()
    return true
  }

  summary(): SwarmsSummary {
    let healthy = 0
    for (const swarm of this.swarms.values()) if (swarm.healthy) healthy++
    return {failovers: this.totals.failovers, healthy, total: this.swarms.size}
  }

  /** Stops every leader and waits until each has exited. */
  async close(): Promise<void> {
    this.closed = true
    clearInterval(this.heartbeatTimer)
    await Promise.all([...this.swarms.keys()].map((id) => this.remove(id)))
  }
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  child.kill('SIGTERM')
  // A stopped (hung) process holds SIGTERM pending until it runs again.
  child.kill('SIGCONT')
  const gone = await Promise.race([exited.then(() => true), sleep(STOP_GRACE_MS, false, {ref: false})])
  if (gone) return
  child.kill('SIGKILL')
  await Promise.race([exited, sleep(STOP_GRACE_MS, undefined, {ref: false})])
}
