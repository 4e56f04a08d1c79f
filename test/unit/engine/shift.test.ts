import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {hodgesLehmann, mannWhitney, normalCdf, pairwiseDifference} from '../../../src/engine/shift.js'

describe('normalCdf', () => {
  it('matches known values of the standard normal', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7)
    expect(normalCdf(1.959_964)).toBeCloseTo(0.975, 6)
    expect(normalCdf(-1)).toBeCloseTo(0.158_655_25, 6)
    expect(normalCdf(Number.POSITIVE_INFINITY)).toBe(1)
  })
})

describe('mannWhitney', () => {
  it('gives the normal-approximation p-value R gives (wilcox.test, exact = FALSE, correct = TRUE)', () => {
    // R: wilcox.test(c(4,5,6), c(1,2,3), exact=FALSE)$p.value = 0.08085
    const result = mannWhitney([1, 2, 3], [4, 5, 6])
    expect(result.u).toBe(9)
    expect(result.p).toBeCloseTo(0.080_85, 4)
    // By hand, with ties: mid-ranks give U = 14, mean 10, variance (20/12)(10 − 48/72) = 15.56, z = 3.5/3.944, p =
    // 0.3749
    const tied = mannWhitney([1, 2, 2, 3, 4], [2, 3, 3, 5])
    expect(tied.u).toBe(14)
    expect(tied.p).toBeCloseTo(0.3749, 3)
  })

  it('is symmetric in which sample is shifted and gives p = 1 when every value is tied', () => {
    expect(mannWhitney([1, 2, 3, 9], [4, 5, 6]).p).toBeCloseTo(mannWhitney([4, 5, 6], [1, 2, 3, 9]).p, 12)
    expect(mannWhitney([3, 3, 3], [3, 3]).p).toBe(1)
  })
})

describe('pairwiseDifference', () => {
  it('equals the k-th of all n·m differences formed by brute force', () => {
    const sample = fc.array(fc.integer({max: 50, min: -50}), {maxLength: 12, minLength: 1})
    fc.assert(
      fc.property(sample, sample, fc.nat(), (x, y, pick) => {
        const all = y.flatMap((b) => x.map((a) => b - a)).sort((a, b) => a - b)
        const k = (pick % all.length) + 1
        const xs = Float64Array.from(x).sort()
        const ys = Float64Array.from(y).sort()
        expect(pairwiseDifference(xs, ys, k)).toBe(all[k - 1])
      }),
      {numRuns: 300, seed: 7},
    )
  })
})

describe('hodgesLehmann', () => {
  it('recovers an exact shift and its interval contains it', () => {
    const x = Array.from({length: 40}, (_, i) => (i * 37) % 101)
    const y = x.map((v) => v + 5)
    const result = hodgesLehmann(x, y)
    expect(result.shift).toBe(5)
    expect(result.interval95[0]).toBeLessThanOrEqual(5)
    expect(result.interval95[1]).toBeGreaterThanOrEqual(5)
    expect(result.interval95[0]).toBeLessThan(result.interval95[1])
  })

  it('has a median shift of 0 and an interval around it for the same sample', () => {
    const x = Array.from({length: 30}, (_, i) => i * i)
    const result = hodgesLehmann(x, x)
    expect(result.shift).toBe(0)
    expect(result.interval95[0]).toBeLessThan(0)
    expect(result.interval95[1]).toBeGreaterThan(0)
  })
})
