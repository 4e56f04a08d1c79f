import {readdirSync, readFileSync} from 'node:fs'
import {setTimeout as sleep} from 'node:timers/promises'

/** Often enough to see most children, rarely enough not to slow the measured command down on 2 cores. */
const POLL_MS = 10

/** Peak resident memory can only be observed through /proc. */
export const RSS_SUPPORTED = process.platform === 'linux'

/** The resident memory of a process tree at one instant. */
export interface TreeMemory {
  /** Sum of VmRSS over the processes alive now. */
  rss: number
  /** The largest VmHWM (a process's own peak) among them. */
  hwm: number
  processes: number
}

/**
 * Reads the memory of a process tree: the leader, its descendants (found through
 * /proc/<pid>/task/<tid>/children) and every process seen before, even once orphaned, so a
 * daemonised child still counts. Shared by the peak sampler and the memory-growth sampler.
 */
export class ProcessTree {
  private readonly known = new Set<number>()

  constructor(readonly leader: number) {}

  /** The tree's memory now, or undefined when none of it is alive. */
  read(): TreeMemory | undefined {
    // Synchronous reads of a handful of tiny /proc files cost less than the thread-pool round trips of async ones.
    const pending = [this.leader, ...this.known]
    const visited = new Set<number>()
    let rss = 0
    let hwm = 0
    let processes = 0
    while (pending.length > 0) {
      const pid = pending.pop()!
      if (visited.has(pid)) continue
      visited.add(pid)
      const usage = memoryOf(pid)
      if (!usage) {
        this.known.delete(pid)
        continue
      }

      this.known.add(pid)
      processes++
      rss += usage.rss
      hwm = Math.max(hwm, usage.hwm)
      pending.push(...childrenOf(pid))
    }

    return processes > 0 ? {hwm, processes, rss} : undefined
  }
}

/**
 * Polls the memory of a run's process tree until stopped. The peak is the larger of the biggest
 * total VmRSS seen at one instant and the biggest single VmHWM: a lower bound, since a child
 * living between two polls is never seen.
 */
export class PeakRssSampler {
  private peakBytes = 0
  private observed = false
  private running = true
  private readonly tree: ProcessTree
  private readonly loop: Promise<void>

  constructor(leader: number) {
    this.tree = new ProcessTree(leader)
    this.loop = this.poll()
  }

  /** Stops polling; the peak in bytes, or undefined when the run ended before the first poll saw it. */
  async stop(): Promise<number | undefined> {
    this.running = false
    await this.loop
    return this.observed ? this.peakBytes : undefined
  }

  private async poll(): Promise<void> {
    while (this.running) {
      const memory = this.tree.read()
      if (memory) {
        this.observed = true
        this.peakBytes = Math.max(this.peakBytes, memory.rss, memory.hwm)
      }

      await sleep(POLL_MS)
    }
  }
}

/** VmRSS and VmHWM of one process in bytes; undefined once it is gone (or a zombie, which has no memory). */
function memoryOf(pid: number): undefined | {hwm: number; rss: number} {
  const status = readProc(`/proc/${pid}/status`)
  const rss = kilobytes(status, 'VmRSS')
  if (rss === undefined) return undefined
  return {hwm: kilobytes(status, 'VmHWM') ?? rss, rss}
}

/** Children of every thread: a multi-threaded program may fork from any of them. */
function childrenOf(pid: number): number[] {
  let threads: string[]
  try {
    threads = readdirSync(`/proc/${pid}/task`)
  } catch {
    return []
  }

  return threads.flatMap((tid) => readProc(`/proc/${pid}/task/${tid}/children`).split(' ').filter(Boolean).map(Number))
}

function readProc(file: string): string {
  try {
    return readFileSync(file, 'utf8')
  } catch {
    return ''
  }
}

function kilobytes(status: string, field: string): number | undefined {
  const match = new RegExp(`^${field}:\\s*(\\d+) kB`, 'm').exec(status)
  return match ? Number(match[1]) * 1024 : undefined
}
