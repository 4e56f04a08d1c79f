import {describe, expect, it} from 'vitest'

import {parseExpectation} from '../../../src/engine/expectation.js'
import {
  binomialCdf,
  countBuckets,
  orderStatisticRanks,
  quantileQuestion,
  shareProbability,
} from '../../../src/engine/quantile.js'
import {evaluateExpectation} from '../../../src/engine/verdict.js'
import {SETTINGS, evidence, samples, spread} from './helpers.js'

function judge(text: string, metric: Parameters<typeof evidence>[0][string]) {
  return evaluateExpectation(parseExpectation(text), evidence({latency: metric}), 'measured', SETTINGS, 't')
}

describe('binomialCdf', () => {
  it.each([
    [0, 3, 0.95, 0.05 ** 3],
    [2, 3, 0.95, 1 - 0.95 ** 3],
    [5, 10, 0.5, 0.623_046_875],
    [-1, 10, 0.5, 0],
    [10, 10, 0.5, 1],
  ])('P(Bin(%s of %s, %s)) = %s', (k, n, p, expected) => {
    expect(binomialCdf(k, n, p)).toBeCloseTo(expected, 12)
  })
})

describe('shareProbability: the exact bound nearer 1/2', () => {
  it('3 of 3 below a p95 threshold cannot decide it: the bounds straddle 1/2', () => {
    expect(shareProbability(3, 3, 3, 0.95)).toEqual({lower: binomialCdf(2, 3, 0.95), p: 0.5, upper: 1})
  })

  it('59 of 59 below PASSes a p95 at 0.95 and 58 of 58 does not: P = 1 − 0.95^n', () => {
    expect(shareProbability(59, 59, 59, 0.95).p).toBeCloseTo(1 - 0.95 ** 59, 12)
    expect(shareProbability(59, 59, 59, 0.95).p).toBeGreaterThanOrEqual(0.95)
    expect(shareProbability(58, 58, 58, 0.95).p).toBeLessThan(0.95)
  })

  it('the FAIL side is exact too: 0 of 3 below a median gives P = 1/8', () => {
    expect(shareProbability(0, 0, 3, 0.5)).toMatchObject({p: 0.125, upper: 0.125})
  })

  it('observations that may or may not hold widen the bounds toward 1/2', () => {
    const sure = shareProbability(95, 95, 100, 0.9)
    const unsure = shareProbability(90, 99, 100, 0.9)
    expect(unsure.lower).toBeLessThan(sure.lower)
    expect(unsure.upper).toBeGreaterThan(sure.upper)
  })
})

describe('quantileQuestion and the order-statistic interval', () => {
  it('p95 > T holds when more than 5% lies above T', () => {
    const question = quantileQuestion(0.95, '>', 10)
    expect(question?.level).toBeCloseTo(0.05, 12)
    expect([question?.holding(11), question?.holding(10)]).toEqual([true, false])
    expect(quantileQuestion(0.95, '==', 10)).toBeNull()
  })

  it('the median of 100 lies between the 40th and the 61st observation with 95% coverage', () => {
    expect(orderStatisticRanks(100, 0.5, 0.025)).toEqual({lower: 40, upper: 61})
  })

  it('3 observations cannot bound a p95 from above', () => {
    expect(orderStatisticRanks(3, 0.95, 0.025).upper).toBeNull()
  })

  it('counts a histogram bucket that straddles the threshold as possibly holding only', () => {
    const buckets = {counts: [90, 5, 5], lower: [1, 9.99, 20], upper: [2, 10.01, 30]}
    expect(countBuckets(buckets, quantileQuestion(0.9, '<', 10)!)).toEqual({n: 100, possible: 95, sure: 90})
  })
})

describe('quantile verdicts', () => {
  it('a p95 decided from a histogram counts every observation, not the reservoir', () => {
    // 10 reservoir samples all under 100 ms, but 100,000 requests seen in buckets, 1% of them over 100 ms.
    const metric = {
      ...samples(spread(10, 5, 50)),
      buckets: {counts: [99_000, 1000], lower: [1, 150], upper: [50, 160]},
      seen: 100_000,
    }
    const verdict = judge('p95(latency) < 100ms', metric)
    expect(verdict).toMatchObject({method: 'order-statistic', n: 100_000, status: 'PASS'})
    // The p95 falls in the first bucket, so its interval is that bucket's span.
    expect(verdict.interval95).toEqual([1, 50])
  })

  it('an empty histogram leaves the decision, the interval and the bound to the samples', () => {
    const latency = spread(300, 10, 50)
    const withEmpty = judge('p95(latency) < 100ms', {
      buckets: {counts: [], lower: [], upper: []},
      dimension: 'duration',
      samples: latency,
      type: 'samples',
    })
    expect(withEmpty).toEqual(judge('p95(latency) < 100ms', samples(latency)))
    expect(withEmpty.interval95?.every(Number.isFinite)).toBe(true)
  })

  it('a quantile on its threshold says more of the same would not decide it', () => {
    const verdict = judge('median(latency) < 50ms', samples([...spread(50, 1, 49), ...spread(50, 51, 99)]))
    expect(verdict).toMatchObject({p: 0.5, status: 'INCONCLUSIVE'})
    expect(verdict.more).toEqual({
      samples: null,
      why: 'the samples sit on the threshold: more of the same would not decide it',
    })
  })

  it('3 failovers all under 5 s: INCONCLUSIVE, about 56 more would PASS it', () => {
    const verdict = judge('p95(latency) < 5s', samples([120, 140, 260]))
    expect(verdict).toMatchObject({
      interval95: null,
      more: {samples: 56, toward: 'PASS'},
      p: 0.5,
      status: 'INCONCLUSIVE',
    })
  })

  it('min and max are what the run observed, P 1 or 0, and say so', () => {
    const verdict = judge('max(latency) < 300ms', samples([120, 140, 260]))
    expect(verdict).toMatchObject({method: 'observed', p: 1, status: 'PASS', value: 260})
    expect(verdict.reason).toBe('the max this run observed in 3 samples, not a bound on other runs')
  })
})

describe('mean and stddev (bootstrap-t behind the skewness rule)', () => {
  it('too few samples for a mean: P 0.5, the reason, and how many are needed', () => {
    const verdict = judge('mean(latency) < 1s', samples([10, 12, 11, 500]))
    expect(verdict).toMatchObject({method: 'bootstrap-t', p: 0.5, status: 'INCONCLUSIVE'})
    expect(verdict.reason).toMatch(/^4 samples are too few to bound a mean of data this skewed: about \d+ are needed/)
    expect(verdict.more?.samples).toBeGreaterThan(20)
  })

  it('a mean far under its threshold from evenly spread samples PASSes, with the bound under the threshold', () => {
    const verdict = judge('mean(latency) < 40ms', samples(spread(300, 10, 50)))
    expect(verdict).toMatchObject({method: 'bootstrap-t', status: 'PASS'})
    expect(verdict.bound).toBeLessThan(40)
    expect(verdict.interval95?.[0]).toBeLessThan(30)
    expect(verdict.interval95?.[1]).toBeGreaterThan(30)
  })

  it('a stddev is judged as the root of a variance', () => {
    const verdict = judge('stddev(latency) > 20ms', samples(spread(300, 10, 50)))
    // Evenly spread on [10, 50]: sd ≈ 40/√12 ≈ 11.6 ms, far under 20 ms.
    expect(verdict).toMatchObject({method: 'bootstrap-t', status: 'FAIL'})
    expect(verdict.value).toBeCloseTo(11.6, 0)
  })
})
