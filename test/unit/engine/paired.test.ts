// Interleaved A/B (`gate check --against`, model `paired-rounds`): the candidate and the baseline are measured back to
// back in each round, so a machine that drifts from round to round moves both sides. Each side's round here is 200
// lognormal latencies (σ 0.3) around 20 ms × the round's drift × the side's true slowdown; the truth is known.
import {describe, expect, it} from 'vitest'

import {evaluateTarget} from '../../../src/engine/index.js'
import {Random, hashSeed} from '../../../src/engine/random.js'
import {pairedShift} from '../../../src/engine/spread.js'
import type {BaselineInput, MetricEvidence, Status} from '../../../src/engine/types.js'
import {summarizeMetric} from '../../../src/engine/verdict.js'
import {slack} from './calibration.js'
import {SETTINGS, evidence, target} from './helpers.js'

/** One side's latencies (ms) in one round: 200 draws around 20 ms × `effect`. */
function roundOf(random: Random, effect: number): number[] {
  return Array.from({length: 200}, () => 20 * effect * Math.exp(0.3 * random.normal()))
}

/** A machine that drifts by up to ±40% from round to round: uniform on [0.6, 1.4], the same for both sides. */
const upTo40 = (random: Random) => 0.6 + 0.8 * random.uniform()

const latency = (samples: number[]): MetricEvidence => ({dimension: 'duration', samples, type: 'samples'})

/** `rounds` ABBA rounds with the candidate `slowdown` × the baseline; its status against `expression`. */
function judgeRounds(random: Random, rounds: number, slowdown: number, expression: string, drift = upTo40) {
  const pairs = Array.from({length: rounds}, () => {
    const machine = drift(random)
    return {
      baseline: {latency: latency(roundOf(random, machine))},
      candidate: {latency: latency(roundOf(random, slowdown * machine))},
    }
  })
  const pooled = (side: 'baseline' | 'candidate') =>
    latency(pairs.flatMap((round) => (round[side].latency as {samples: number[]}).samples))
  const base = pooled('baseline')
  const baseline: BaselineInput = {
    metrics: {latency: {evidence: base, summary: summarizeMetric('latency', base)}},
    name: 'HEAD@abc1234',
    rounds: pairs,
    run: 'HEAD@abc1234',
  }
  return evaluateTarget(
    {...SETTINGS, resamples: 200},
    target('t', [expression], {evidence: evidence({latency: pooled('candidate')})}, {baseline}),
  )
}

describe('paired rounds against a baseline measured side by side', () => {
  it('under a drift of ±40% from round to round flags no unchanged candidate and FAILs a +50% slowdown', () => {
    const seeds = 25
    const tally = {slowed: {} as Record<string, number>, unchanged: {} as Record<string, number>}
    for (let seed = 0; seed < seeds; seed++)
      for (const [name, slowdown] of [
        ['unchanged', 1],
        ['slowed', 1.5],
      ] as const) {
        const verdict = judgeRounds(
          new Random(hashSeed('paired-40', seed, name)),
          4,
          slowdown,
          'median(latency) <= baseline * 1.1',
        )
        expect(verdict.expectations[0]!.baseline).toMatchObject({model: 'paired-rounds', pairs: 4})
        tally[name][verdict.status] = (tally[name][verdict.status] ?? 0) + 1
      }
    expect(tally.unchanged.FAIL ?? 0).toBe(0)
    expect(tally.unchanged.PASS ?? 0).toBeGreaterThan(seeds * 0.8)
    expect(tally.slowed).toEqual({FAIL: seeds})
  })

  it('shows the shift with its interval: about +50% for a candidate 1.5× slower, the interval around it', () => {
    const verdict = judgeRounds(new Random(hashSeed('shift')), 6, 1.5, 'median(latency) <= baseline * 1.2')
    const comparison = verdict.expectations[0]!.baseline!
    expect(comparison.change!).toBeGreaterThan(0.4)
    expect(comparison.change!).toBeLessThan(0.6)
    expect(comparison.changeInterval95![0]).toBeLessThan(comparison.change!)
    expect(comparison.changeInterval95![1]).toBeGreaterThan(comparison.change!)
    expect(comparison.changeInterval95![0]).toBeGreaterThan(0.2)
    // Both sides: the candidate's pooled median and the baseline's, the threshold from the baseline's.
    expect(verdict.expectations[0]!.value! / comparison.value!).toBeGreaterThan(1.2)
    expect(verdict.expectations[0]!.threshold).toBeCloseTo(comparison.value! * 1.2, 6)
    expect(verdict.expectations[0]!.reason).toMatch(/paired over 6 of the 6 rounds .* Student t with 5 df/)
  })

  it('with fewer than 3 paired rounds is INCONCLUSIVE and says to run more rounds, whatever the shift', () => {
    for (const slowdown of [1, 3]) {
      const verdict = judgeRounds(
        new Random(hashSeed('two', slowdown)),
        2,
        slowdown,
        'median(latency) <= baseline * 1.1',
      )
      expect(verdict.status).toBe('INCONCLUSIVE')
      expect(verdict.expectations[0]!.reason).toContain('run more rounds (--rounds 4)')
      expect(verdict.expectations[0]!.more).toMatchObject({samples: null})
    }
  })

  it('is calibrated: with the truth on the threshold at most 5% PASS (or FAIL), with 3, 4 and 8 rounds', () => {
    const sets = 300
    const out: string[] = []
    for (const rounds of [3, 4, 8])
      for (const operator of ['<=', '>='] as const) {
        const tally = {FAIL: 0, INCONCLUSIVE: 0, NO_DATA: 0, PASS: 0} as Record<Status, number>
        for (let set = 0; set < sets; set++) {
          const random = new Random(hashSeed('paired-calibration', rounds, operator, set))
          tally[judgeRounds(random, rounds, 1.2, `median(latency) ${operator} baseline * 1.2`).status]++
        }
        if (tally.PASS > slack(sets)) out.push(`${rounds} rounds, ${operator}: ${tally.PASS} of ${sets} PASS`)
        if (tally.FAIL > slack(sets)) out.push(`${rounds} rounds, ${operator}: ${tally.FAIL} of ${sets} FAIL`)
      }
    expect(out).toEqual([])
  }, 60_000)

  it("judges an offset on the metric's own scale, and pairs that all agree exactly", () => {
    const shift = pairedShift(
      [
        [1010, 1000],
        [1080, 1060],
        [950, 960],
      ],
      {amount: -200, kind: 'offset'},
      '>=',
    )!
    expect(shift.logScale).toBe(false)
    expect(shift.p).toBeGreaterThan(0.95)
    expect(
      pairedShift(
        [
          [700, 1000],
          [690, 1010],
          [720, 990],
        ],
        {amount: -200, kind: 'offset'},
        '>=',
      )!.p,
    ).toBeLessThan(0.05)
    const same = pairedShift(
      [
        [1000, 1000],
        [1000, 1000],
        [1000, 1000],
      ],
      {factor: 1, kind: 'scale'},
      '>=',
    )!
    expect(same).toMatchObject({changeInterval95: null, p: 1})
    expect(pairedShift([], {factor: 1, kind: 'scale'}, '<=')).toBeNull()
  })
})
