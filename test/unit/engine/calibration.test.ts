// The calibration suite (scoring.md v2 §2): "PASS at confidence 0.95" is a promise that when the truth sits exactly on
// the threshold at most 5% of runs PASS — and, mirrored, at most 5% FAIL — at every n and whatever the shape. Sample
// sets come from distributions whose truth is known (calibration.ts): lognormal(0, 1), a bimodal latency mixture and a
// Lomax tail with α = 3; the mixture's quantiles by bisection on its CDF, every mean and sd in closed form. Each set
// goes
// through evaluateExpectation with kind 'measured' and confidence 0.95; a cell fails when its PASSes (or FAILs) exceed
// the 99.9% quantile of Binomial(sets, 0.05).
//
// Cost: every mean or stddev verdict is a bootstrap-t, so those cells use 400 sets at n ≤ 100 and 200 above and the
// engine runs B = 999 resamples (CALIBRATION_SETTINGS) instead of the default 2000; quantile and proportion cells
// count,
// and use 400 sets each. The whole file stays within about 90 s of one core. Behaviour is asserted, never time.
import {describe, expect, it} from 'vitest'

import {parseExpectation} from '../../../src/engine/expectation.js'
import {binomialCdf, shareProbability} from '../../../src/engine/quantile.js'
import {statusOf} from '../../../src/engine/rules.js'
import {evaluateExpectation} from '../../../src/engine/verdict.js'
import {
  CALIBRATION_SETTINGS,
  type Direction,
  SHAPES,
  SIZES,
  type Tally,
  setsFor,
  slack,
  tallyProportion,
  tallySamples,
  truthOf,
} from './calibration.js'

const TIMEOUT = 180_000
const QUANTILE_SETS = 400

/** Cells whose false PASS or false FAIL count exceeds the binomial slack, as readable lines (empty when calibrated). */
function outOfSlack(label: string, tally: Tally): string[] {
  const most = slack(tally.sets)
  const out: string[] = []
  if (tally.pass > most) out.push(`${label}: ${tally.pass} of ${tally.sets} PASS (at most ${most})`)
  if (tally.fail > most) out.push(`${label}: ${tally.fail} of ${tally.sets} FAIL (at most ${most})`)
  return out
}

describe('slack', () => {
  it('is the 99.9% quantile of Binomial(sets, 0.05)', () => {
    for (const sets of [200, 400, 1000]) {
      const k = slack(sets)
      expect(binomialCdf(k, sets, 0.05)).toBeGreaterThanOrEqual(0.999)
      expect(binomialCdf(k - 1, sets, 0.05)).toBeLessThan(0.999)
    }

    expect([slack(200), slack(400)]).toEqual([21, 35])
  })
})

describe('quantile calibration, exactly: P(false PASS) = P(Bin(n, level) ≥ k*) for every n from 3 to 2000', () => {
  // With the truth on the threshold the count of samples on the holding side is Binomial(n, level) exactly, whatever
  // the shape, so the share of false verdicts is a finite sum. k* is the smallest count the engine PASSes, the largest
  // it FAILs is k_f; both are searched by the rule the engine uses (shareProbability, then statusOf).
  const status = (k: number, n: number, level: number) => statusOf(shareProbability(k, k, n, level).p, 'measured', 0.95)
  /** The smallest k in 0..n+1 for which `test(k)` holds, assuming it is monotone. */
  const smallest = (n: number, test: (k: number) => boolean): number => {
    let lo = 0
    let hi = n + 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if (test(mid)) hi = mid
      else lo = mid + 1
    }

    return lo
  }

  for (const quantile of [0.5, 0.9, 0.95, 0.99]) {
    it(`p${quantile * 100}: false PASS and false FAIL ≤ 5% in both directions`, () => {
      const worst = {fail: 0, pass: 0}
      for (const direction of ['<', '>'] as const) {
        // pN < T holds when more than N% lie below T; pN > T when more than (100 − N)% lie above it.
        const level = direction === '<' ? quantile : 1 - quantile
        for (let n = 3; n <= 2000; n++) {
          const passFrom = smallest(n, (k) => k <= n && status(k, n, level) === 'PASS')
          const failTo = smallest(n, (k) => k > n || status(k, n, level) !== 'FAIL') - 1
          const falsePass = passFrom > n ? 0 : 1 - binomialCdf(passFrom - 1, n, level)
          const falseFail = failTo < 0 ? 0 : binomialCdf(failTo, n, level)
          worst.pass = Math.max(worst.pass, falsePass)
          worst.fail = Math.max(worst.fail, falseFail)
        }
      }

      expect(worst.pass).toBeLessThanOrEqual(0.05 + 1e-9)
      expect(worst.fail).toBeLessThanOrEqual(0.05 + 1e-9)
      // Not vacuous: at some n the bound is nearly reached.
      expect(worst.pass).toBeGreaterThan(0.04)
    })
  }

  it('the engine decides a quantile on the same counts as that sum (k* − 1 and k* below the threshold)', () => {
    for (const n of SIZES) {
      for (const quantile of [0.5, 0.95]) {
        const level = quantile
        const k = smallest(n, (count) => count <= n && status(count, n, level) === 'PASS')
        if (k > n) continue
        const verdict = (below: number) => {
          const values = Array.from({length: n}, (_, i) => (i < below ? 1 : 3))
          const expression = parseExpectation(`p${quantile * 100}(x) < 2`)
          return evaluateExpectation(
            expression,
            {
              kind: 'measured',
              metrics: {x: {dimension: 'count', samples: values, type: 'samples'}},
              source: 'calibration',
            },
            'measured',
            CALIBRATION_SETTINGS,
            'calibration',
          ).status
        }

        expect(verdict(k)).toBe('PASS')
        expect(verdict(k - 1)).not.toBe('PASS')
      }
    }
  })
})

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('calibration by simulation: the truth exactly on the threshold', () => {
  for (const method of ['p50', 'p95', 'mean', 'stddev'] as const) {
    for (const shape of SHAPES) {
      it(
        `${method}, ${shape.name}: false PASS and false FAIL within 5% + slack for < and >, n = 3 … 2000`,
        async () => {
          const problems: string[] = []
          for (const n of SIZES) {
            // Seconds of CPU per cell: let the worker answer vitest's calls between them, or a busy machine times them
            // out.
            await yieldToEventLoop()
            for (const direction of ['<', '>'] as Direction[]) {
              problems.push(
                ...outOfSlack(
                  `${method}(x) ${direction} ${truthOf(shape, method).toPrecision(4)}, n = ${n}`,
                  tallySamples(shape, method, direction, n, setsFor(method, n)),
                ),
              )
            }
          }

          expect(problems).toEqual([])
        },
        TIMEOUT,
      )
    }
  }

  for (const rate of [0.01, 0.05]) {
    it(
      `a proportion with true rate ${rate * 100}%: false PASS and false FAIL within 5% + slack for < and >`,
      () => {
        const problems: string[] = []
        for (const n of SIZES) {
          for (const direction of ['<', '>'] as Direction[])
            problems.push(
              ...outOfSlack(
                `x ${direction} ${rate}, ${n} trials`,
                tallyProportion(rate, direction, n, setsFor('proportion', n)),
              ),
            )
        }

        expect(problems).toEqual([])
      },
      TIMEOUT,
    )
  }
})

describe('not vacuous: power with the truth 20% on the holding side', () => {
  // A distribution-free p95 decides from the share beyond the threshold alone, so its power depends on how much
  // population a 20% move carries: at n = 200 exactly 80% for the mixture but 26% for lognormal and 23% for Lomax
  // (P(Bin(200, F(T)) ≥ k*)); from n = 500 every shape is past one half, and at n = 2000 past 95%.
  const share = (tally: Tally) => tally.pass / tally.sets
  it(
    'p95 < T with the truth at 0.8·T, and p95 > T with it at 1.25·T',
    () => {
      for (const shape of SHAPES) {
        const below = (n: number) => share(tallySamples(shape, 'p95', '<', n, QUANTILE_SETS, 0.8))
        const above = (n: number) => share(tallySamples(shape, 'p95', '>', n, QUANTILE_SETS, 1.25))
        expect(below(500), shape.name).toBeGreaterThan(0.5)
        expect(above(500), shape.name).toBeGreaterThan(0.5)
        expect(below(2000), shape.name).toBeGreaterThan(0.95)
        expect(above(2000), shape.name).toBeGreaterThan(0.95)
      }

      const mixture = SHAPES[1]!
      expect(share(tallySamples(mixture, 'p95', '<', 200, QUANTILE_SETS, 0.8))).toBeGreaterThan(0.5)
    },
    TIMEOUT,
  )

  it(
    'the mean, with the truth at 0.8·T, PASSes most sets of 2000',
    () => {
      for (const shape of SHAPES)
        expect(share(tallySamples(shape, 'mean', '<', 2000, 100, 0.8)), shape.name).toBeGreaterThan(0.5)
    },
    TIMEOUT,
  )

  it('a proportion at 0.8× a 5% threshold PASSes most sets of 2000 trials', () => {
    expect(share(tallyProportion(0.05, '<', 2000, QUANTILE_SETS, 0.8))).toBeGreaterThan(0.5)
  })
})
