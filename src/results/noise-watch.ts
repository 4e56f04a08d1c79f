// Measures the figures of the noise record around one target's collection: cheap reads at the start and the end,
// plus Node's event-loop delay histogram, which samples on its own timer while it is enabled.
import {readFileSync} from 'node:fs'
import os from 'node:os'

import {perfHooks} from '../lazy.js'
import {treeCpuTicks} from '../services/process-table.js'
import type {NoiseFigures} from './noise.js'

/** Event-loop delay sampling period: fine enough to see a stall of a few ms, coarse enough to cost nothing. */
const LOOP_RESOLUTION_MS = 10

/** Starts watching; `stop()` ends the window and returns what it saw. */
export function watchNoise(): {stop(): NoiseFigures} {
  const loop = perfHooks().monitorEventLoopDelay({resolution: LOOP_RESOLUTION_MS})
  loop.enable()
  const startLoad = os.loadavg()[0] ?? 0
  const startJiffies = cpuJiffies()
  const startOwn = ownTicks()
  const startCpu = process.cpuUsage()
  const began = performance.now()
  return {
    stop() {
      const windowMs = performance.now() - began
      const cpu = process.cpuUsage(startCpu)
      const endJiffies = cpuJiffies()
      const endOwn = ownTicks()
      loop.disable()
      const total = startJiffies && endJiffies ? endJiffies.total - startJiffies.total : 0
      const cores = os.availableParallelism()
      // Busy CPU of the whole machine less this run's own (the gate, its services and commands), in cores.
      const others =
        startJiffies && endJiffies && startOwn !== null && endOwn !== null && total > 0
          ? Math.max(0, ((endJiffies.busy - startJiffies.busy - (endOwn - startOwn)) / total) * cores)
          : null
      return {
        cores,
        othersCpu: others,
        eventLoopDelayP99Ms: loop.count > 0 ? loop.percentile(99) / 1e6 : null,
        generatorCpu: windowMs > 0 ? (cpu.user + cpu.system) / 1000 / windowMs : 0,
        loadAverage: Math.max(startLoad, os.loadavg()[0] ?? 0),
        stealShare: startJiffies && endJiffies && total > 0 ? (endJiffies.steal - startJiffies.steal) / total : null,
        windowMs,
      }
    },
  }
}

/** Busy, steal and all CPU time since boot from /proc/stat's first line; null where it cannot be read (not Linux). */
export function cpuJiffies(text = readProcStat()): null | {busy: number; steal: number; total: number} {
  // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is already inside user and nice.
  const fields = text
    ?.match(/^cpu\s+([\d ]+)/m)?.[1]
    ?.trim()
    .split(/\s+/)
    .map(Number)
  if (!fields || fields.length < 8) return null
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0)
  // Steal is time the VM wanted and did not get: not busy here, but counted apart.
  return {busy: total - fields[3]! - fields[4]! - fields[7]!, steal: fields[7]!, total}
}

/** CPU ticks of this process and its descendants (services, commands), or null without /proc. */
function ownTicks(): number | null {
  try {
    return treeCpuTicks(process.pid)
  } catch {
    return null
  }
}

function readProcStat(): string | null {
  try {
    return readFileSync('/proc/stat', 'utf8')
  } catch {
    return null
  }
}
