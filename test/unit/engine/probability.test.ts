import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {betaBound, betaCdf, probit, wilson} from '../../../src/engine/probability.js'

describe('betaCdf (regularized incomplete beta)', () => {
  // Reference values from mpmath.betainc at 50 digits (moderate a, b) and scipy.special (a, b near 1e9).
  it.each([
    [0.3, 2, 5, 0.579825, 1e-14],
    [0.1, 0.5, 0.5, 0.204_832_764_699_133_45, 1e-13],
    [0.75, 10, 3, 0.390_675_008_296_966_55, 1e-13],
    [0.2, 30, 70, 0.009_692_085_749_007_037_6, 1e-14],
    [0.35, 30, 70, 0.861_575_475_866_109_2, 1e-13],
    [0.02, 1, 501, 0.999_959_796_494_557_44, 1e-14],
    [0.011, 11, 991, 0.542_091_121_354_883_93, 1e-12],
    [0.97, 980, 22, 0.051_297_287_243_866_73, 1e-12],
    [1.2e-6, 2, 1_000_000, 0.337_373_210_884_996_98, 1e-10],
    [0.0101, 10_001, 990_001, 0.840_177_778_066_967_9, 1e-9],
    [0.50003, 5e8, 5e8, 0.971_110_214_519_493_9, 1e-9],
    [0.4999, 5e8, 5e8, 1.269_813_787_682_152_7e-10, 1e-18],
    [0.0100002, 1e7 + 1, 99e7 + 1, 0.525_258_532_358_616, 1e-8],
    [0.01, 1e7 + 1, 99e7 + 1, 0.499_917_162_443_486_66, 1e-8],
    [1.5e-9, 2, 1e9, 0.442_174_600_256_478_87, 1e-7],
  ])('I_%s(%s, %s) = %s', (x, a, b, expected, tolerance) => {
    expect(Math.abs(betaCdf(x, a, b) - expected)).toBeLessThan(tolerance)
  })

  it('is exactly 0 and 1 at the ends and NaN for impossible parameters', () => {
    expect([betaCdf(0, 3, 4), betaCdf(1, 3, 4), betaCdf(-1, 3, 4), betaCdf(2, 3, 4)]).toEqual([0, 1, 0, 1])
    expect(betaCdf(0.5, 0, 1)).toBeNaN()
  })

  it('I_0.5(a, a) = 0.5 for any a, up to a billion', () => {
    fc.assert(
      fc.property(fc.double({max: 1e9, min: 0.1, noNaN: true}), (a) => Math.abs(betaCdf(0.5, a, a) - 0.5) < 1e-8),
    )
  })

  it('follows the closed forms I_x(1, b) = 1 − (1−x)^b and I_x(a, 1) = x^a', () => {
    fc.assert(
      fc.property(fc.double({max: 1, min: 0, noNaN: true}), fc.integer({max: 1_000_000, min: 1}), (x, k) => {
        const first = Math.abs(betaCdf(x, 1, k) - -Math.expm1(k * Math.log1p(-x)))
        const second = Math.abs(betaCdf(x, k, 1) - x ** k)
        return first < 1e-10 && second < 1e-10
      }),
    )
  })

  it('is symmetric: I_x(a, b) = 1 − I_{1−x}(b, a)', () => {
    fc.assert(
      fc.property(
        fc.double({max: 0.999, min: 0.001, noNaN: true}),
        fc.integer({max: 100_000, min: 1}),
        fc.integer({max: 100_000, min: 1}),
        (x, a, b) => Math.abs(betaCdf(x, a, b) - (1 - betaCdf(1 - x, b, a))) < 1e-9,
      ),
    )
  })

  it('equals the binomial tail: I_p(k, n−k+1) = P(Bin(n, p) ≥ k)', () => {
    fc.assert(
      fc.property(
        fc.integer({max: 60, min: 1}),
        fc.double({max: 0.99, min: 0.01, noNaN: true}),
        fc.nat(),
        (n, p, pick) => {
          const k = 1 + (pick % n)
          let tail = 0
          for (let j = k; j <= n; j++) tail += binomial(n, j) * p ** j * (1 - p) ** (n - j)
          return Math.abs(betaCdf(p, k, n - k + 1) - tail) < 1e-9
        },
      ),
    )
  })

  it('never leaves [0, 1] and rises with x', () => {
    fc.assert(
      fc.property(
        fc.double({max: 1, min: 0, noNaN: true}),
        fc.double({max: 1, min: 0, noNaN: true}),
        fc.integer({max: 1e9, min: 1}),
        fc.integer({max: 1e9, min: 1}),
        (x1, x2, a, b) => {
          const [lo, hi] = x1 < x2 ? [x1, x2] : [x2, x1]
          const [p1, p2] = [betaCdf(lo, a, b), betaCdf(hi, a, b)]
          return p1 >= 0 && p2 <= 1 && p1 <= p2 + 1e-12
        },
      ),
    )
  })
})

function binomial(n: number, k: number): number {
  let result = 1
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i
  return result
}

describe('betaBound', () => {
  it('inverts the CDF on the requested side', () => {
    fc.assert(
      fc.property(
        fc.integer({max: 1e6, min: 1}),
        fc.nat(),
        fc.double({max: 0.999, min: 0.5, noNaN: true}),
        (trials, pick, level) => {
          const events = pick % (trials + 1)
          const [a, b] = [events + 1, trials - events + 1]
          const upper = betaBound(a, b, level, 'upper')
          const lower = betaBound(a, b, level, 'lower')
          // At level 0.5 both bounds are the median and may differ by float rounding only.
          return (
            Math.abs(betaCdf(upper, a, b) - level) < 1e-9 &&
            Math.abs(1 - betaCdf(lower, a, b) - level) < 1e-9 &&
            lower <= upper + 1e-12
          )
        },
      ),
    )
  })
})

describe('wilson', () => {
  const z = probit(0.975)
  // Newcombe (1998), Statistics in Medicine 17:857, table I, method 3 (Wilson score without continuity correction).
  it.each([
    [81, 263, 0.2553, 0.3662],
    [15, 148, 0.0624, 0.1605],
    [0, 20, 0, 0.1611],
    [1, 29, 0.0061, 0.1718],
    [29, 29, 0.883, 1],
  ])('%s of %s → [%s, %s]', (events, trials, low, high) => {
    const [lo, hi] = wilson(events, trials, z)
    expect(lo).toBeCloseTo(low, 4)
    expect(hi).toBeCloseTo(high, 4)
  })

  it('narrows as trials grow at the same proportion', () => {
    fc.assert(
      fc.property(fc.integer({max: 1e6, min: 1}), fc.nat(), (trials, pick) => {
        const events = pick % (trials + 1)
        const [lo1, hi1] = wilson(events, trials, z)
        const [lo4, hi4] = wilson(events * 4, trials * 4, z)
        return hi4 - lo4 <= hi1 - lo1 && lo1 <= events / trials && events / trials <= hi1
      }),
    )
  })
})

describe('probit', () => {
  it.each([
    [0.975, 1.959_963_984_540_054],
    [0.95, 1.644_853_626_951_472_2],
    [0.5, 0],
    [1e-10, -6.361_340_902_404_056],
    [0.999_999, 4.753_424_308_817_087],
  ])('probit(%s) = %s', (p, z) => {
    expect(probit(p)).toBeCloseTo(z, 12)
  })
})
