import {describe, expect, it} from 'vitest'

import {
  BUSY_GENERATOR_CPU,
  BUSY_STEAL_SHARE,
  judgeNoise,
  type MachineNoise,
  MIN_GENERATOR_WINDOW_MS,
  noisiest,
  type NoiseFigures,
} from '../../src/results/noise.js'
import {cpuJiffies} from '../../src/results/noise-watch.js'

/** A quiet 2-core machine over a 3 s window; each test changes what it is about. */
const quiet: NoiseFigures = {
  cores: 2,
  eventLoopDelayP99Ms: 12.4,
  generatorCpu: 0.35,
  loadAverage: 0.8,
  stealShare: 0.01,
  windowMs: 3000,
}
const judge = (changes: Partial<NoiseFigures>, kind: 'artifact' | 'claim' | 'measured' = 'measured') =>
  judgeNoise({...quiet, ...changes}, kind)

describe('the busy rule', () => {
  it('a quiet machine is not busy and keeps every figure', () => {
    expect(judge({})).toEqual({...quiet, busy: false, reasons: []})
  })

  it('load above the core count is busy, saying the load and the cores', () => {
    expect(judge({loadAverage: 3.44})).toMatchObject({busy: true, reasons: ['load 3.4 on 2 cores']})
    expect(judge({cores: 1, loadAverage: 1.5}).reasons).toEqual(['load 1.5 on 1 core'])
  })

  it('load equal to the core count is not busy: every runnable task still has a CPU', () => {
    expect(judge({loadAverage: 2}).busy).toBe(false)
  })

  it('judges the CPU of processes outside the run where it is known, not the load average its own load raises', () => {
    // A load test on its own 2-core machine: load 3.5, but only 0.1 core went to anyone else.
    expect(judge({loadAverage: 3.5, othersCpu: 0.1}).busy).toBe(false)
    expect(judge({loadAverage: 1.2, othersCpu: 1.2})).toMatchObject({
      busy: true,
      reasons: ["load 1.2 on 2 cores, 1.2 of them other processes'"],
    })
  })

  it(`steal over ${BUSY_STEAL_SHARE * 100}% is busy; unknown steal (no /proc/stat) is not`, () => {
    expect(judge({stealShare: 0.12})).toMatchObject({busy: true, reasons: ['CPU steal 12%']})
    expect(judge({stealShare: BUSY_STEAL_SHARE}).busy).toBe(false)
    expect(judge({stealShare: null}).busy).toBe(false)
  })

  it(`the gate at ${BUSY_GENERATOR_CPU} of a core or more is busy, with its event-loop delay when there is one`, () => {
    expect(judge({generatorCpu: 0.97})).toMatchObject({
      busy: true,
      reasons: ['gate CPU 0.97, event-loop delay p99 12 ms'],
    })
    expect(judge({eventLoopDelayP99Ms: null, generatorCpu: BUSY_GENERATOR_CPU}).reasons).toEqual(['gate CPU 0.90'])
    expect(judge({generatorCpu: 0.89}).busy).toBe(false)
  })

  it(`the gate's CPU over a window under ${MIN_GENERATOR_WINDOW_MS} ms is recorded but flags nothing`, () => {
    expect(judge({generatorCpu: 1, windowMs: 2})).toMatchObject({busy: false, generatorCpu: 1, reasons: []})
  })

  it('gives every reason that holds, in a fixed order', () => {
    const reasons = ['load 3.4 on 2 cores', 'CPU steal 20%', 'gate CPU 0.95, event-loop delay p99 12 ms']
    expect(judge({generatorCpu: 0.95, loadAverage: 3.4, stealShare: 0.2}).reasons).toEqual(reasons)
  })

  it('records the figures of claims and artifacts but never flags them busy: nothing was timed here', () => {
    for (const kind of ['artifact', 'claim'] as const) {
      expect(judge({generatorCpu: 1, loadAverage: 9, stealShare: 0.5}, kind)).toMatchObject({
        busy: false,
        loadAverage: 9,
        reasons: [],
      })
    }
  })
})

describe('noisiest', () => {
  const record = (changes: Partial<NoiseFigures>): MachineNoise => judge(changes)

  it('of several runners, takes a busy one before a quiet one, then the highest load per core', () => {
    const calm = record({cores: 8, loadAverage: 6})
    const hot = record({generatorCpu: 0.95})
    const loaded = record({cores: 4, loadAverage: 3.9})
    expect(noisiest([calm, hot, loaded])).toBe(hot)
    expect(noisiest([calm, loaded])).toBe(loaded)
    expect(noisiest([])).toBeUndefined()
  })
})

describe('cpuJiffies', () => {
  it(
    'reads busy time, steal and the total of user to steal from /proc/stat, leaving out guest time (already in ' +
      'user)',
    () => {
      const stat = 'cpu  100 5 50 800 10 1 2 30 40 0\ncpu0 50 2 25 400 5 0 1 15 20 0\nintr 1 2 3\n'
      // busy = total − idle − iowait − steal
      expect(cpuJiffies(stat)).toEqual({busy: 158, steal: 30, total: 998})
    },
  )

  it('is null where there is no /proc/stat or it has no steal column', () => {
    expect(cpuJiffies(null)).toBeNull()
    expect(cpuJiffies('cpu  100 5 50 800\n')).toBeNull()
  })
})
