import {readdirSync, readFileSync} from 'node:fs'
import {readdir, readFile} from 'node:fs/promises'

/** One process as /proc/<pid>/stat describes it. */
export interface ProcessEntry {
  pid: number
  ppid: number
  pgrp: number
  state: string
  /** Start time in clock ticks since boot: tells a reused pid from the process seen before. */
  start: string
  /** CPU time in clock ticks: its own user and system time plus that of the children it reaped. */
  cpuTicks: number
}

/** Every process now (Linux); one that ends while we look is left out. */
export async function readProcessTable(): Promise<ProcessEntry[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name))
  const entries = await Promise.all(
    pids.map(async (pid) => readFile(`/proc/${pid}/stat`, 'utf8').then(parseStat, () => undefined)),
  )
  return entries.filter((entry) => entry !== undefined)
}

/** The same, synchronously: for a process 'exit' handler. */
export function readProcessTableSync(): ProcessEntry[] {
  const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name))
  return pids
    .map((pid) => readSync(`/proc/${pid}/stat`))
    .flatMap((text) => (text === undefined ? [] : (parseStat(text) ?? [])))
}

/**
 * CPU ticks of a process and every descendant it has now (Linux); what finished and was reaped inside is counted by its
 * reaper.
 */
export function treeCpuTicks(root: number, table: readonly ProcessEntry[] = readProcessTableSync()): number {
  const children = new Map<number, ProcessEntry[]>()
  for (const entry of table) children.set(entry.ppid, [...(children.get(entry.ppid) ?? []), entry])
  let ticks = 0
  const stack = table.filter((entry) => entry.pid === root)
  while (stack.length > 0) {
    const entry = stack.pop() as ProcessEntry
    ticks += entry.cpuTicks
    stack.push(...(children.get(entry.pid) ?? []))
  }

  return ticks
}

/** The value of `name` in a process's environment as it started; undefined when unreadable or unset. */
export async function environValue(pid: number, name: string): Promise<string | undefined> {
  return valueIn(await readFile(`/proc/${pid}/environ`, 'latin1').catch(() => undefined), name)
}

export function environValueSync(pid: number, name: string): string | undefined {
  return valueIn(readSync(`/proc/${pid}/environ`, 'latin1'), name)
}

/** The start time of a live process, to check a pid still names the process seen. */
export function startOf(pid: number): string | undefined {
  const text = readSync(`/proc/${pid}/stat`)
  return text === undefined ? undefined : parseStat(text)?.start
}

function valueIn(environ: string | undefined, name: string): string | undefined {
  const entry = environ?.split('\0').find((line) => line.startsWith(`${name}=`))
  return entry?.slice(name.length + 1)
}

function readSync(file: string, encoding: BufferEncoding = 'utf8'): string | undefined {
  try {
    return readFileSync(file, encoding)
  } catch {
    return undefined
  }
}

/** /proc/<pid>/stat: "pid (comm) state ppid pgrp … starttime(22) …"; comm may hold spaces and parentheses. */
export function parseStat(text: string): ProcessEntry | undefined {
  const close = text.lastIndexOf(')')
  const fields = text.slice(close + 2).split(' ')
  const pid = Number.parseInt(text, 10)
  const ppid = Number(fields[1])
  const pgrp = Number(fields[2])
  if (close < 0 || !Number.isInteger(pid) || !Number.isInteger(pgrp) || !Number.isInteger(ppid)) return undefined
  // utime, stime, cutime and cstime are fields 14–17 of the line, 11–14 after "pid (comm) ".
  const cpuTicks = [11, 12, 13, 14].reduce((sum, i) => sum + (Number(fields[i]) || 0), 0)
  return {cpuTicks, pgrp, pid, ppid, start: fields[19] ?? '', state: fields[0] ?? ''}
}
