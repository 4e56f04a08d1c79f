import {describe, expect, it} from 'vitest'

import {growthOf, MemorySeries, memoryEvidence, samplingOf} from '../../../src/validators/memory.js'
import {command} from '../../../src/validators/command.js'
import {metricSpecs, resolveOptions} from '../../../src/validators/options.js'
import {collectEvidence} from '../../../src/validators/runner.js'
import {runContext} from '../../helpers/evidence.js'
import type {Point} from '../../../src/engine/regression.js'

/** The metric names `gate validate` would check a target's expectations against. */
function metricNames(options: Record<string, unknown>): string[] {
  const resolved = resolveOptions(command, options)
  expect(resolved.problems).toEqual([])
  return metricSpecs(command, resolved.options).map(({name}) => name)
}

const SAMPLING = {mark: /x/, tolerance: 4096, warmup: 0.2}
const series = (perInstance: number, count = 50, noise = (x: number) => (x % 3) * 4096): Point[] =>
  Array.from({length: count}, (_, i) => [i + 1, 60e6 + perInstance * (i + 1) + noise(i + 1)])

describe('command memory options', () => {
  it(
    'lists memory_per_instance, memory_per_second and leak among its metrics, for gate validate and gate ' +
      'validators',
    () => {
      expect(metricNames({run: 'x'})).toEqual([
        'duration',
        'rss',
        'failures',
        'memory_per_instance',
        'memory_per_second',
        'leak',
      ])
      expect(metricNames({memory: {mark: '^instance'}, run: 'x'})).toEqual(metricNames({run: 'x'}))
    },
  )

  it.each([
    [{every: '50ms', mark: 'x'}, 'memory: give mark (read at each instance) or every (read over time), not both'],
    [
      {mark: '(unclosed'},
      'memory.mark is not a valid regular expression: Invalid regular expression: /(unclosed/: Unterminated group',
    ],
    [{every: '1ms'}, 'memory.every is 1 ms; read at most every 10 ms'],
    [{tolerance: '5s'}, 'memory.tolerance is "5s"; write a size such as 4KiB, 64KB or 1MB'],
  ])('gives NO_DATA for %j before running anything, naming the option', async (memory, message) => {
    const outcome = await collectEvidence(command, {memory, run: 'exit 7', runs: 1}, runContext())
    expect(outcome).toEqual({noData: expect.stringContaining(`validator command failed: ${message}`)})
  })

  it('rejects unknown keys and a warm-up share out of range through the schema', () => {
    expect(resolveOptions(command, {memory: {marks: 'x'}, run: 'x'}).problems).not.toEqual([])
    expect(resolveOptions(command, {memory: {warmup: 0.95}, run: 'x'}).problems).not.toEqual([])
    expect(resolveOptions(command, {memory: {every: 'often'}, run: 'x'}).problems).not.toEqual([])
  })

  it('reads tolerance as a size, bytes when bare, 4 KiB by default', () => {
    expect(samplingOf({mark: 'x'}).tolerance).toBe(4096)
    expect(samplingOf({mark: 'x', tolerance: '64KB'}).tolerance).toBe(64_000)
    expect(samplingOf({mark: 'x', tolerance: 100}).tolerance).toBe(100)
  })
})

describe('growthOf and memoryEvidence', () => {
  it('fits after the warm-up share and calls growth beyond the tolerance a leak', () => {
    const growth = growthOf(1, series(1024 * 1024), SAMPLING)
    if (typeof growth === 'string') throw new Error(growth)
    expect(growth.skipped).toBe(10)
    expect(growth.fit.xRange).toEqual([11, 50])
    expect(growth.fit.slope).toBeCloseTo(1024 * 1024, -3)
    expect(growth.leak).toBe(true)
  })

  it('does not call one jump a leak: memory must rise from each quarter to the next', () => {
    const jump = series(0, 60, (x) => (x > 30 ? 8 * 1024 * 1024 : 0))
    const growth = growthOf(1, jump, SAMPLING) as {fit: {slope: number}; leak: boolean}
    expect(growth.fit.slope).toBeGreaterThan(100 * 1024)
    expect(growth.leak).toBe(false)
  })

  it('does not call growth within the tolerance a leak, however sure', () => {
    const growth = growthOf(
      1,
      series(2048, 50, () => 0),
      SAMPLING,
    )
    if (typeof growth === 'string') throw new Error(growth)
    expect(growth.fit.slopeInterval![0]).toBeCloseTo(2048, 6)
    expect(growth.leak).toBe(false)
    expect(
      (
        growthOf(
          1,
          series(2048, 50, () => 0),
          {...SAMPLING, tolerance: 1024},
        ) as {leak: boolean}
      ).leak,
    ).toBe(true)
  })

  it('reports one memory_per_instance sample per run, a leak count, and memory that fell as 0 B', () => {
    const runs = [
      growthOf(1, series(1e6), SAMPLING),
      growthOf(2, series(-20_000), SAMPLING),
      growthOf(3, series(0), SAMPLING),
    ]
    const {metrics, notes} = memoryEvidence(
      runs.filter((run) => typeof run !== 'string'),
      ['run 4: too few'],
      SAMPLING,
    )
    expect(metrics.memory_per_instance).toEqual({
      dimension: 'size',
      samples: [expect.closeTo(1e6, -3), 0, expect.closeTo(0, -3)],
      type: 'samples',
    })
    expect(metrics.leak).toEqual({dimension: 'count', type: 'value', value: 1})
    expect(notes).toEqual([
      expect.stringMatching(
        new RegExp(
          String.raw`^memory run 1: \+977 KiB per instance \(95% interval 976 KiB to 977 KiB, r² 1\.00\) over ` +
            String.raw`instances 11–50 \(40 readings\), RSS by quarter 72\.\d → 81\.\d → 91\.\d → 100\.\d MiB: leak$`,
        ),
      ),
      expect.stringMatching(
        /^memory run 2: −19\.5 KiB per instance .*: no leak detected; memory fell, counted as 0 B$/,
      ),
      expect.stringMatching(/^memory run 3: .*: no leak detected$/),
      'run 4: too few',
    ])
  })

  it('leaves both metrics out when no run could be fitted: no evidence is never "no leak"', () => {
    expect(growthOf(1, series(1e6, 9), SAMPLING)).toBe(
      'run 1: 9 memory readings, 7 after the warm-up; a slope needs at least 8',
    )
    expect(memoryEvidence([], ['run 1: too few'], SAMPLING)).toEqual({metrics: {}, notes: ['run 1: too few']})
  })
})

describe('MemorySeries', () => {
  /** A process tree whose memory grows by 1 MiB with each instance the run creates. */
  function growingTree() {
    const tree = {created: 0, read: () => ({hwm: 0, processes: 1, rss: 60e6 + tree.created * 1024 * 1024})}
    return tree
  }

  it('reads memory at each mark that arrives on its own', async () => {
    const tree = growingTree()
    const memory = new MemorySeries(tree, {...SAMPLING, mark: /^instance (?<n>\d+)/})
    for (let n = 1; n <= 3; n++) {
      tree.created = n
      memory.line(`instance ${n}`)
      await Promise.resolve()
    }
    expect(memory.points).toEqual([
      [1, 60e6 + 1024 * 1024],
      [2, 60e6 + 2 * 1024 * 1024],
      [3, 60e6 + 3 * 1024 * 1024],
    ])
    expect(memory.superseded).toBe(0)
  })

  it('reads marks that arrive together once, for the newest: older ones would hold later instances', async () => {
    const tree = growingTree()
    const memory = new MemorySeries(tree, {...SAMPLING, mark: /^instance (?<n>\d+)/})
    // The run went on while the reader was held up: three marks, and their instances, are in before it reads.
    tree.created = 3
    for (const line of ['instance 1', 'instance 2', 'noise', 'instance 3']) memory.line(line)
    await Promise.resolve()
    tree.created = 4
    memory.line('instance 4')
    await Promise.resolve()
    expect(memory.points).toEqual([
      [3, 60e6 + 3 * 1024 * 1024],
      [4, 60e6 + 4 * 1024 * 1024],
    ])
    expect(memory.superseded).toBe(2)
  })

  it('keeps every mark whose line reports its own memory, however late it arrives', async () => {
    const memory = new MemorySeries(growingTree(), {...SAMPLING, mark: /^instance (?<n>\d+) rss=(?<rss>\d+)/})
    for (const line of ['instance 1 rss=100', 'instance 2 rss=200']) memory.line(line)
    await Promise.resolve()
    expect(memory.points).toEqual([
      [1, 100],
      [2, 200],
    ])
    expect(memory.superseded).toBe(0)
  })
})
