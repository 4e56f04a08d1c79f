import {describe, expect, it} from 'vitest'

import {parseStat, treeCpuTicks} from '../../../src/services/process-table.js'

/** A /proc/<pid>/stat line with these fields; utime, stime, cutime, cstime are fields 14–17. */
function stat(pid: number, ppid: number, ticks: [number, number, number, number], comm = 'node'): string {
  const fields = ['S', ppid, pid, pid, 0, -1, 4194560, 0, 0, 0, 0, ...ticks, 20, 0, 1, 0, 12_345]
  return `${pid} (${comm}) ${fields.join(' ')}`
}

describe('process table', () => {
  it('reads a process’s CPU ticks as its own user and system time plus its reaped children’s', () => {
    expect(parseStat(stat(42, 1, [10, 5, 3, 2], 'a (b) c'))).toMatchObject({
      cpuTicks: 20,
      pid: 42,
      ppid: 1,
      start: '12345',
    })
  })

  it('adds up a process tree and nothing outside it', () => {
    const table = [
      stat(100, 1, [10, 0, 0, 0]),
      stat(101, 100, [5, 5, 0, 0]),
      stat(102, 101, [1, 0, 0, 0]),
      stat(200, 1, [99, 0, 0, 0]),
    ].map((line) => parseStat(line)!)
    expect(treeCpuTicks(100, table)).toBe(21)
    expect(treeCpuTicks(200, table)).toBe(99)
    expect(treeCpuTicks(300, table)).toBe(0)
  })
})
