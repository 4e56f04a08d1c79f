// Measures the figures of the noise record around one target's collection: cheap reads at the start and the end,
// plus Node's event-loop delay histogram, which samples on its own timer while it is enabled.
import {readFileSync} from 'node:fs'
import os from 'node:os'
import {monitorEventLoopDelay} from 'node:perf_hooks'

import type {NoiseFigures} from './noise.js'

/** Event-loop delay sampling period: fine enough to see a stall of a few ms, coarse enough to cost nothing. */
const LOOP_RESOLUTION_MS = 10

/** Starts watching; `stop()` ends the window and returns what it saw. */
export function watchNoise(): {stop(): NoiseFigures} {
  const loop = monitorEventLoopDelay({resolution: LOOP_RESOLUTION_MS})
  loop.enable()
  const startLoad = os.loadavg()[0] ?? 0
  const startJiffies = cpuJiffies()
  const startCpu = process.cpuUsage()
  const began = performance.now()
  return {
    stop() {
      const windowMs = performance.now() - began
      const cpu = process.cpuUsage(startCpu)
      const endJiffies = cpuJiffies()
      loop.disable()
      const total = startJiffies && endJiffies ? endJiffies.total - startJiffies.total : 0
      return {
        cores: os.availableParallelism(),
        eventLoopDelayP99Ms: loop.count > 0 ? loop.percentile(99) / 1e6 : null,
        generatorCpu: windowMs > 0 ? (cpu.user + cpu.system) / 1000 / windowMs : 0,
        loadAverage: Math.max(startLoad, os.loadavg()[0] ?? 0),
        stealShare: startJiffies && endJiffies && total > 0 ? (endJiffies.steal - startJiffies.steal) / total : null,
        windowMs,
      }
    },
  }
}

/** Steal and all CPU time since boot from /proc/stat's first line; null where it cannot be read (not Linux). */
export function cpuJiffies(text = readProcStat()): null | {steal: number; total: number} {
  // cpu user nice system idle iowait irq softirq steal guest guest_nice; guest time is already inside user and nice.
  const fields = text?.match(/^cpu\s+([\d ]+)/m)?.[1]?.trim().split(/\s+/).map(Number)
  if (!fields || fields.length < 8) return null
  return {steal: fields[7]!, total: fields.slice(0, 8).reduce((a, b) => a + b, 0)}
}

function readProcStat(): string | null {
  try {
    return readFileSync('/proc/stat', 'utf8')
  } catch {
    return null
  }
}
