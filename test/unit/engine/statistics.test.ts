import fc from 'fast-check'
import {quantile, sampleStandardDeviation} from 'simple-statistics'
import {describe, expect, it} from 'vitest'

import {Random, hashSeed} from '../../../src/engine/random.js'
import {
  type BootstrapOptions,
  bootstrapDraws,
  orderBound,
  quantileDraw,
  quantileInPlace,
  quantileLevel,
  resampleDraw,
  type SampleStatistic,
  sampleStatistic,
} from '../../../src/engine/statistics.js'

// The two ways the engine draws a statistic: a full resample, or an order statistic drawn directly.
const bootstrap = (
  samples: number[],
  statistic: SampleStatistic,
  holds: (v: number) => boolean,
  options: BootstrapOptions,
) => bootstrapDraws(resampleDraw(samples, statistic), holds, options)
const bootstrapQuantile = (
  samples: number[],
  level: number,
  holds: (v: number) => boolean,
  options: BootstrapOptions,
) => bootstrapDraws(quantileDraw(samples, level), holds, options)

const finite = fc.double({max: 1e6, min: -1e6, noDefaultInfinity: true, noNaN: true})

describe('Random (xoshiro128**)', () => {
  it('matches the reference output for state 1, 2, 3, 4', () => {
    const random = new Random([1, 2, 3, 4])
    expect(Array.from({length: 5}, () => random.nextUint32())).toEqual([
      11_520, 0, 5_927_040, 70_819_200, 2_031_721_883,
    ])
  })

  it('resample draws the same stream as index()', () => {
    const from = Float64Array.from({length: 37}, (_, i) => i)
    const into = new Float64Array(200)
    new Random(hashSeed(5)).resample(from, into)
    const one = new Random(hashSeed(5))
    expect(Array.from(into)).toEqual(Array.from({length: 200}, () => one.index(37)))
  })

  it('gives different streams for different parts and the same for the same parts', () => {
    const draw = (...parts: Array<number | string>) => new Random(hashSeed(...parts)).nextUint32()
    expect(draw(1, 'api', 'p95(latency) < 1s')).toBe(draw(1, 'api', 'p95(latency) < 1s'))
    expect(
      new Set([draw(1, 'api', 'x'), draw(2, 'api', 'x'), draw(1, 'web', 'x'), draw(1, 'api', 'y'), draw(1, 'ap', 'ix')])
        .size,
    ).toBe(5)
  })
})

describe('sample statistics', () => {
  it('quantileInPlace agrees with simple-statistics quantile', () => {
    fc.assert(
      fc.property(
        fc.array(finite, {maxLength: 2000, minLength: 1}),
        fc.double({max: 0.999, min: 0.001, noNaN: true}),
        (xs, p) => {
          return quantileInPlace(Float64Array.from(xs), p) === quantile(xs, p)
        },
      ),
    )
  })

  it.each([
    ['min', [3, 1, 2], 1],
    ['max', [3, 1, 2], 3],
    ['mean', [1, 2, 3, 6], 3],
    ['median', [5, 1, 3], 3],
    ['p50', [1, 2, 3, 4], 2.5],
    ['sum', [1, 2, 3], 6],
    ['stddev', [7], 0],
  ])('%s of %j is %s', (name, xs, expected) => {
    expect(sampleStatistic(name, xs.length)?.(Float64Array.from(xs))).toBe(expected)
  })

  it('stddev is the sample (n − 1) standard deviation', () => {
    fc.assert(
      fc.property(fc.array(finite, {maxLength: 200, minLength: 2}), (xs) => {
        const ours = sampleStatistic('stddev', xs.length)?.(Float64Array.from(xs)) ?? Number.NaN
        return Math.abs(ours - sampleStandardDeviation(xs)) <= 1e-9 * (1 + Math.abs(ours))
      }),
    )
  })

  it('sum scales a reservoir up to every sample seen', () => {
    expect(sampleStatistic('sum', 30)?.(Float64Array.from([1, 2, 3]))).toBe(60)
  })

  it('has no sample statistic for count, rate or unknown names', () => {
    expect([sampleStatistic('count', 1), sampleStatistic('rate', 1), sampleStatistic('p100', 1)]).toEqual([
      null,
      null,
      null,
    ])
  })
})

/** Deterministic draws from an exponential distribution with the given mean. */
function exponential(random: Random, n: number, mean: number): number[] {
  return Array.from({length: n}, () => -Math.log((random.nextUint32() + 0.5) / 2 ** 32) * mean)
}

function run(samples: number[], seed: number, statistic = 'p95', threshold = 150) {
  return bootstrap(samples, sampleStatistic(statistic, samples.length) ?? ((x) => x[0] ?? 0), (v) => v < threshold, {
    confidence: 0.95,
    random: new Random(hashSeed(seed)),
    resamples: 500,
    side: 'upper',
  })
}

describe('bootstrap', () => {
  const samples = exponential(new Random(hashSeed('data')), 400, 50)

  it('gives the same numbers for the same seed', () => {
    expect(run(samples, 7)).toEqual(run(samples, 7))
  })

  it('gives different resamples for a different seed', () => {
    expect(run(samples, 7).interval95).not.toEqual(run(samples, 8).interval95)
  })

  it('brackets the point estimate with its 95% interval and puts the upper bound inside it', () => {
    const result = run(samples, 3)
    const p95 = quantile(samples, 0.95)
    expect(result.interval95[0]).toBeLessThanOrEqual(p95)
    expect(result.interval95[1]).toBeGreaterThanOrEqual(p95)
    expect(result.bound).toBeGreaterThan(p95)
    expect(result.bound).toBeLessThanOrEqual(result.interval95[1])
  })

  it('P is the share of resamples that hold: all for a threshold above every sample, none below', () => {
    expect(run(samples, 1, 'p95', Math.max(...samples) + 1).p).toBe(1)
    expect(run(samples, 1, 'p95', Math.min(...samples)).p).toBe(0)
  })

  it('more samples never widen the 95% interval on average', () => {
    // Uniform draws: with heavy tails a tail percentile's bootstrap interval is too narrow at tiny n.
    fc.assert(
      fc.property(
        fc.integer({max: 60, min: 15}),
        fc.constantFrom('mean', 'p90', 'median', 'stddev'),
        fc.nat(),
        (n, statistic, seed) => {
          const source = new Random(hashSeed('draws', seed))
          const width = (size: number) => {
            let total = 0
            for (let draw = 0; draw < 20; draw++) {
              const values = Array.from({length: size}, () => (source.nextUint32() / 2 ** 32) * 100)
              const [lo, hi] = run(values, draw + seed, statistic).interval95
              total += hi - lo
            }

            return total / 20
          }

          return width(4 * n) < width(n)
        },
      ),
      {numRuns: 25},
    )
  })
})

describe('bootstrapQuantile (order statistics drawn directly)', () => {
  /** Share of a bootstrap distribution at or below each of `cuts`. */
  const cdfAt = (result: Float64Array, cuts: number[]) =>
    cuts.map((cut) => result.filter((x) => x <= cut).length / result.length)
  /** The bootstrap distribution itself: every resample's statistic, recorded through `holds`. */
  const distribution = (samples: number[], statistic: string, fast: boolean, seed: number) => {
    const values: number[] = []
    const record = (x: number) => (values.push(x), true)
    const options = {confidence: 0.95, random: new Random(hashSeed('dist', seed)), resamples: 20_000, side: null}
    if (fast) bootstrapQuantile(samples, quantileLevel(statistic)!, record, options)
    else bootstrap(samples, sampleStatistic(statistic, samples.length)!, record, options)
    return Float64Array.from(values)
  }

  it('knows the level of every order statistic and nothing else', () => {
    const levels = ['min', 'median', 'p95', 'p99.9', 'max', 'mean', 'stddev', 'sum'].map(quantileLevel)
    expect(levels.slice(5)).toEqual([null, null, null])
    levels.slice(0, 5).forEach((level, i) => expect(level).toBeCloseTo([0, 0.5, 0.95, 0.999, 1][i]!, 12))
  })

  it('has the distribution of resampling with replacement, for interpolated levels, the extremes and ties', () => {
    const heavy = exponential(new Random(hashSeed('heavy')), 300, 40)
    const ties = Array.from({length: 101}, (_, i) => Math.floor(i / 10))
    for (const [samples, statistic] of [
      [heavy, 'p95'],
      [heavy, 'median'],
      [heavy, 'p99'],
      [heavy, 'min'],
      [heavy, 'max'],
      [ties, 'p90'],
      [ties, 'p37.5'],
      [[3, 9], 'median'],
    ] as const) {
      const brute = distribution([...samples], statistic, false, 1)
      const fast = distribution([...samples], statistic, true, 2)
      const sorted = Float64Array.from(brute).sort()
      const cuts = [0.025, 0.1, 0.25, 0.5, 0.75, 0.9, 0.975].map((q) => sorted[Math.floor(q * (sorted.length - 1))]!)
      const gaps = cdfAt(fast, cuts).map((share, i) => Math.abs(share - cdfAt(brute, cuts)[i]!))
      // 20,000 resamples each: the sampling error of a share is about 0.005, so 0.02 is four of them.
      expect(Math.max(...gaps), `${statistic} of ${samples.length} samples`).toBeLessThan(0.02)
    }
  })

  it('gives the same P, interval and bound for the same seed, and brackets the point estimate', () => {
    const samples = exponential(new Random(hashSeed('data')), 400, 50)
    const once = (seed: number) =>
      bootstrapQuantile(samples, 0.95, (v) => v < 150, {
        confidence: 0.95,
        random: new Random(hashSeed(seed)),
        resamples: 2000,
        side: 'upper',
      })
    expect(once(4)).toEqual(once(4))
    const p95 = quantile(samples, 0.95)
    expect(once(4).interval95[0]).toBeLessThanOrEqual(p95)
    expect(once(4).interval95[1]).toBeGreaterThanOrEqual(p95)
  })

  it('draws gamma and beta variates with the right means', () => {
    const random = new Random(hashSeed('gamma'))
    const mean = (draw: () => number) => Array.from({length: 20_000}, draw).reduce((sum, x) => sum + x, 0) / 20_000
    expect(mean(() => random.gamma(3))).toBeCloseTo(3, 1)
    expect(mean(() => random.beta(2, 6))).toBeCloseTo(0.25, 2)
    expect(mean(() => random.beta(95_000, 5001)) * 100_000).toBeCloseTo(94_999, -2)
  })
})

describe('orderBound', () => {
  it('is the value at least ⌈B·confidence⌉ resamples stay on the threshold side of, and no further out', () => {
    fc.assert(
      fc.property(
        fc.array(finite, {maxLength: 300, minLength: 1}),
        fc.double({max: 0.999, min: 0.5, noNaN: true}),
        (xs, confidence) => {
          const sorted = Float64Array.from(xs).sort()
          const rank = Math.ceil(sorted.length * confidence - 1e-6)
          const upper = orderBound(sorted, confidence, 'upper')
          const lower = orderBound(sorted, confidence, 'lower')
          const atOrBelow = xs.filter((x) => x <= upper).length
          const atOrAbove = xs.filter((x) => x >= lower).length
          return (
            atOrBelow >= rank &&
            xs.filter((x) => x < upper).length < rank &&
            atOrAbove >= rank &&
            xs.filter((x) => x > lower).length < rank
          )
        },
      ),
    )
  })

  it('never interpolates across a gap: 95 of 100 resamples at 1, five at 1000', () => {
    const sorted = Float64Array.from({length: 100}, (_, i) => (i < 95 ? 1 : 1000))
    expect(orderBound(sorted, 0.95, 'upper')).toBe(1)
    expect(orderBound(sorted, 0.96, 'upper')).toBe(1000)
  })
})

describe('the mean of a large sample set', () => {
  it('draws from the normal limit with the same centre and spread as resampling it', async () => {
    const {meanDraw, resampleDraw, sampleStatistic, NORMAL_MEAN_FROM} =
      await import('../../../src/engine/statistics.js')
    const {Random, hashSeed} = await import('../../../src/engine/random.js')
    const random = new Random(hashSeed(3, 'skewed'))
    // Skewed like latencies: the normal limit must still match the resampled means.
    const samples = Array.from({length: NORMAL_MEAN_FROM}, () => Math.exp(random.normal()))
    const draw = (make: (r: InstanceType<typeof Random>) => number) =>
      Array.from({length: 2000}, () => make(random)).sort((a, b) => a - b)
    const normal = draw(meanDraw(samples))
    const resampled = draw(resampleDraw(samples, sampleStatistic('mean', samples.length)!))
    for (const q of [0.025, 0.5, 0.975]) {
      const at = Math.floor(q * 2000)
      expect(Math.abs(normal[at]! - resampled[at]!)).toBeLessThan(0.006)
    }
  })
})
