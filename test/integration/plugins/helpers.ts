// The bundled validator plugins built on this checkout's API, as the CLI's registry builds them, and a watch on the
// processes a run starts.
import {readdirSync, readFileSync} from 'node:fs'

import {makeDashboardValidator} from '../../../plugins/dashboard/src/dashboard.js'
import {makeFleetValidator} from '../../../plugins/fleet/src/fleet.js'
import {makeSwarmValidator} from '../../../plugins/swarm/src/swarm.js'
import * as api from '../../../src/index.js'

export const fleet = makeFleetValidator(api)
export const dashboard = makeDashboardValidator(api)
export const swarm = makeSwarmValidator(api)

export interface ProcessSeen {
  pid: number
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22): tells a reused pid from the process seen. */
  startTime: string
  cmdline: string
}

interface ProcStat {
  pid: number
  ppid: number
  state: string
  startTime: string
}

/** Every process now, from /proc. */
function processTable(): Map<number, ProcStat> {
  const table = new Map<number, ProcStat>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8')
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so fields count from the last ')'.
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
      table.set(Number(name), {
        pid: Number(name),
        ppid: Number(fields[1]),
        startTime: fields[19] ?? '',
        state: fields[0] ?? '',
      })
    } catch {
      // It ended while we looked.
    }
  }

  return table
}

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim()
  } catch {
    return ''
  }
}

/**
 * Records every descendant of `root` seen while it runs (scanning /proc every `everyMs`), so what it
 * started can be checked after it exits — when orphans would no longer show as its descendants.
 */
export function watchDescendants(root: number, everyMs = 200): {stop(): ProcessSeen[]} {
  const seen = new Map<string, ProcessSeen>()
  const scan = (): void => {
    const table = processTable()
    const children = new Map<number, number[]>()
    for (const stat of table.values()) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat.pid])
    const queue = [...(children.get(root) ?? [])]
    for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
      const stat = table.get(pid)
      if (!stat) continue
      // Read again each time: between fork and exec a child still shows its parent's command line.
      seen.set(`${pid}:${stat.startTime}`, {
        cmdline: cmdlineOf(pid) || (seen.get(`${pid}:${stat.startTime}`)?.cmdline ?? ''),
        pid,
        startTime: stat.startTime,
      })
      queue.push(...(children.get(pid) ?? []))
    }
  }

  scan()
  const timer = setInterval(scan, everyMs)
  return {
    stop() {
      clearInterval(timer)
      return [...seen.values()]
    },
  }
}

/** Those of `processes` still running: same pid and start time, and not a zombie (PID 1 here may never reap one). */
export function survivors(processes: ProcessSeen[]): ProcessSeen[] {
  const table = processTable()
  return processes.filter(({pid, startTime}) => {
    const now = table.get(pid)
    return now !== undefined && now.startTime === startTime && now.state !== 'Z'
  })
}
