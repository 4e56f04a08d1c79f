// Spread over runs (`run-spread`): a baseline that pins several runs judges this run against how much those runs
// differ from one another. Each run here is 200 lognormal latencies (σ 0.3 within the run) scaled by a run effect,
// the way a busy machine or a fresh start moves a whole run; the truth of each set is known.
import {describe, expect, it} from 'vitest'

import {evaluateTarget} from '../../../src/engine/index.js'
import {Random, hashSeed} from '../../../src/engine/random.js'
import type {BaselineInput, MetricEvidence, Status} from '../../../src/engine/types.js'
import {summarizeMetric} from '../../../src/engine/verdict.js'
import {slack} from './calibration.js'
import {SETTINGS, evidence, target} from './helpers.js'

/** One run's latencies (ms): 200 draws around 20 ms × `effect`. */
function runOf(random: Random, effect: number): MetricEvidence {
  return {
    dimension: 'duration',
    samples: Array.from({length: 200}, () => 20 * effect * Math.exp(0.3 * random.normal())),
    type: 'samples',
  }
}

/** A baseline pinning `effects.length` runs, newest first; `single` pins only the newest. */
function pinned(random: Random, effects: number[], single = false): BaselineInput {
  const runs = effects.map((effect, i) => {
    const latency = runOf(random, effect)
    return {metrics: {latency: {evidence: latency, summary: summarizeMetric('latency', latency)}}, run: `run-${i}`}
  })
  return {metrics: runs[0]!.metrics, name: 'main', run: 'run-0', ...(single ? {} : {runs})}
}

function judge(expectation: string, now: MetricEvidence, baseline: BaselineInput) {
  return evaluateTarget(
    {...SETTINGS, resamples: 200},
    target('t', [expectation], {evidence: evidence({latency: now})}, {baseline}),
  )
}

/** Run effects that move a whole run by up to ±40%: uniform on [0.6, 1.4]. */
const upTo40 = (random: Random) => 0.6 + 0.8 * random.uniform()

describe('a baseline that pins several runs', () => {
  it('is calibrated: with the truth on the threshold at most 5% PASS (or FAIL), from 3 to 20 pinned runs', () => {
    const shapes = {
      'lognormal run effects (σ 0.25)': (random: Random) => Math.exp(0.25 * random.normal()),
      'log-uniform run effects (±0.35)': (random: Random) => Math.exp(0.7 * random.uniform() - 0.35),
    }
    const sets = 400
    const out: string[] = []
    for (const [shape, effect] of Object.entries(shapes))
      for (const runs of [3, 5, 10, 20])
        for (const operator of ['<=', '>='] as const) {
          const tally = {FAIL: 0, INCONCLUSIVE: 0, NO_DATA: 0, PASS: 0} as Record<Status, number>
          for (let set = 0; set < sets; set++) {
            const random = new Random(hashSeed('spread-calibration', shape, runs, operator, set))
            const baseline = pinned(
              random,
              Array.from({length: runs}, () => effect(random)),
            )
            // This run's population is the baseline's × 1.2: exactly on `baseline * 1.2`.
            const now = runOf(random, 1.2 * effect(random))
            tally[judge(`median(latency) ${operator} baseline * 1.2`, now, baseline).status]++
          }
          const label = `${shape}, ${runs} runs, ${operator}`
          if (tally.PASS > slack(sets)) out.push(`${label}: ${tally.PASS} of ${sets} PASS`)
          if (tally.FAIL > slack(sets)) out.push(`${label}: ${tally.FAIL} of ${sets} FAIL`)
        }
    expect(out).toEqual([])
  }, 120_000)

  it('under run effects of ±40% flags no unchanged run and passes no +50% slowdown; one pinned run does both', () => {
    const seeds = 40
    const spread = {slowed: {} as Record<string, number>, unchanged: {} as Record<string, number>}
    const single = {slowed: {} as Record<string, number>, unchanged: {} as Record<string, number>}
    const count = (tally: Record<string, number>, status: Status) => (tally[status] = (tally[status] ?? 0) + 1)
    for (let seed = 0; seed < seeds; seed++) {
      const effects = (random: Random) => Array.from({length: 10}, () => upTo40(random))
      for (const [name, slowdown] of [
        ['unchanged', 1],
        ['slowed', 1.5],
      ] as const) {
        const random = new Random(hashSeed('spread-40', seed, name))
        const runs = effects(random)
        const now = runOf(random, slowdown * upTo40(random))
        const expression = 'median(latency) <= baseline * 1.1'
        const verdict = judge(expression, now, pinned(new Random(hashSeed('runs', seed)), runs))
        expect(verdict.expectations[0]!.baseline).toMatchObject({model: 'run-spread', runs: 10})
        count(spread[name], verdict.status)
        count(single[name], judge(expression, now, pinned(new Random(hashSeed('runs', seed)), runs, true)).status)
      }
    }

    // Spread-aware: an unchanged run never FAILs, a +50% slowdown never PASSes and FAILs when its run was not lucky.
    expect(spread.unchanged.FAIL ?? 0).toBe(0)
    expect(spread.slowed.PASS ?? 0).toBe(0)
    expect(spread.slowed.FAIL ?? 0).toBeGreaterThan(seeds / 4)
    // One pinned run takes its samples for the whole truth: unchanged runs FAIL and slowed ones PASS.
    expect(single.unchanged.FAIL ?? 0).toBeGreaterThan(seeds / 5)
    expect(single.slowed.PASS ?? 0).toBeGreaterThan(0)
  }, 60_000)

  it('with fewer than 3 pinned runs is INCONCLUSIVE and says how many more to pin, whatever the shift', () => {
    const random = new Random(hashSeed('two-runs'))
    const baseline = pinned(random, [1, 1.05])
    for (const effect of [1, 3]) {
      const verdict = judge('median(latency) <= baseline * 1.1', runOf(random, effect), baseline)
      expect(verdict.status).toBe('INCONCLUSIVE')
      expect(verdict.expectations[0]!.reason).toContain('pin 1 more')
      expect(verdict.expectations[0]!.more).toMatchObject({samples: null})
    }
  })

  it("judges an offset or a lower bound on the metric's own scale, the threshold moving with the runs' mean", () => {
    const throughput = (value: number): MetricEvidence => ({dimension: 'count', type: 'value', value})
    const runs = [1000, 1040, 960, 1010, 990].map((value, i) => ({
      metrics: {rps: {evidence: throughput(value), summary: summarizeMetric('rps', throughput(value))}},
      run: `run-${i}`,
    }))
    const baseline: BaselineInput = {metrics: runs[0]!.metrics, name: 'main', run: 'run-0', runs}
    const at = (expectation: string, value: number) =>
      evaluateTarget(SETTINGS, target('t', [expectation], {evidence: evidence({rps: throughput(value)})}, {baseline}))
    // Runs within ±4% of 1000: 1000 holds `>= baseline - 200`, 700 does not, 850 is within the spread of the limit.
    expect(at('rps >= baseline - 200', 1000).status).toBe('PASS')
    expect(at('rps >= baseline - 200', 700).status).toBe('FAIL')
    expect(at('rps >= baseline - 200', 800).status).toBe('INCONCLUSIVE')
    expect(at('rps >= baseline - 200', 1000).expectations[0]!.threshold).toBe(800)
  })

  it('judges runs that all agree exactly, and reports the baseline as their geometric mean with the change', () => {
    const counts = (value: number): MetricEvidence => ({dimension: 'count', type: 'value', value})
    const runs = [1000, 1000, 1000].map((value, i) => ({
      metrics: {agents: {evidence: counts(value), summary: summarizeMetric('agents', counts(value))}},
      run: `run-${i}`,
    }))
    const baseline: BaselineInput = {metrics: runs[0]!.metrics, name: 'main', run: 'run-0', runs}
    const at = (value: number) =>
      evaluateTarget(
        SETTINGS,
        target('t', ['agents >= baseline'], {evidence: evidence({agents: counts(value)})}, {baseline}),
      )
    expect(at(1000).status).toBe('PASS')
    expect(at(999).status).toBe('FAIL')

    const random = new Random(hashSeed('geometric'))
    const latency = pinned(random, [0.8, 1, 1.25])
    const verdict = judge('median(latency) <= baseline * 1.5', runOf(random, 1), latency)
    const comparison = verdict.expectations[0]!.baseline!
    expect(comparison.value).toBeGreaterThan(18)
    expect(comparison.value).toBeLessThan(22)
    expect(comparison.changeInterval95![0]).toBeLessThan(comparison.change!)
    expect(comparison.changeInterval95![1]).toBeGreaterThan(comparison.change!)
  })
})
