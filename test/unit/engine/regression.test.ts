import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {
  blockMedians,
  fitLine,
  MAX_SERIAL_CORRELATION,
  type Point,
  scalingOf,
  studentTCdf,
  studentTQuantile,
} from '../../../src/engine/regression.js'

const line = (intercept: number, slope: number, xs: number[]): Point[] => xs.map((x) => [x, intercept + slope * x])
const range = (from: number, to: number): number[] => Array.from({length: to - from + 1}, (_, i) => from + i)

describe('fitLine', () => {
  it('recovers an exact line with r² 1 and no spread', () => {
    const fit = fitLine(line(1, 2, [0, 1, 2, 3, 4]))
    expect(fit.slope).toBeCloseTo(2, 12)
    expect(fit.intercept).toBeCloseTo(1, 12)
    expect(fit.rSquared).toBeCloseTo(1, 12)
    expect(fit.slopeStdError).toBeCloseTo(0, 12)
    expect(fit.slopeInterval![0]).toBeCloseTo(2, 12)
    expect(fit.slopeInterval![1]).toBeCloseTo(2, 12)
    expect(fit.degreesOfFreedom).toBe(3)
  })

  const textbook: Array<{
    expected: Record<'high' | 'intercept' | 'low' | 'r2' | 'slope', number>
    level: number
    points: Point[]
  }> = [
    // x 1..5, y 2 4 5 4 5: slope 0.6, intercept 2.2, SSE 2.4, SE √(0.8/10), t(0.975, 3) = 3.182446
    {
      expected: {
        high: 0.6 + 3.182_446 * Math.sqrt(0.08),
        intercept: 2.2,
        low: 0.6 - 3.182_446 * Math.sqrt(0.08),
        r2: 0.6,
        slope: 0.6,
      },
      level: 0.95,
      points: [
        [1, 2],
        [2, 4],
        [3, 5],
        [4, 4],
        [5, 5],
      ],
    },
    // The same at 90%: t(0.95, 3) = 2.353363
    {
      expected: {
        high: 0.6 + 2.353_363 * Math.sqrt(0.08),
        intercept: 2.2,
        low: 0.6 - 2.353_363 * Math.sqrt(0.08),
        r2: 0.6,
        slope: 0.6,
      },
      level: 0.9,
      points: [
        [5, 5],
        [3, 5],
        [1, 2],
        [4, 4],
        [2, 4],
      ],
    },
    // Falling, with alternating noise (scipy.stats.linregress and t.ppf(0.975, 4) agree)
    {
      expected: {high: -0.394_186, intercept: 10.428_571, low: -1.948_671, r2: 0.814_044, slope: -1.171_429},
      level: 0.95,
      points: [
        [0, 11],
        [1, 8],
        [2, 9],
        [3, 6],
        [4, 7],
        [5, 4],
      ],
    },
  ]
  it.each(textbook)(
    'matches the textbook slope, intercept, r² and t interval ($level)',
    ({expected, level, points}) => {
      const fit = fitLine(points, {level})
      expect(fit.slope).toBeCloseTo(expected.slope, 4)
      expect(fit.intercept).toBeCloseTo(expected.intercept, 4)
      expect(fit.rSquared).toBeCloseTo(expected.r2, 4)
      expect(fit.slopeInterval![0]).toBeCloseTo(expected.low, 4)
      expect(fit.slopeInterval![1]).toBeCloseTo(expected.high, 4)
    },
  )

  it('has no interval with 2 points and an undefined r² when y never varies', () => {
    expect(
      fitLine([
        [1, 5],
        [2, 7],
      ]).slopeInterval,
    ).toBeNull()
    const flat = fitLine(line(5, 0, [1, 2, 3, 4]))
    expect(flat.slope).toBe(0)
    expect(flat.rSquared).toBeNaN()
    expect(flat.slopeInterval).toEqual([0, 0])
  })

  it('keeps r² in 0..1 when ys differ only in their last bits (a case fast-check found: r² was −0.15)', () => {
    const y = -0.30383341324206187
    const points: Point[] = [998, 1000, 339, -275, 309, 691, 2, -138, 469, 996, 636, -754, 750].map((x): Point => [
      x,
      x === 636 ? -0.3038334132420623 : y,
    ])
    const {rSquared} = fitLine(points)
    expect(rSquared).toBeGreaterThanOrEqual(0)
    expect(rSquared).toBeLessThanOrEqual(1)
  })

  it('refuses what no line fits, saying why', () => {
    expect(() => fitLine([[1, 2]])).toThrow('a line needs at least 2 points, got 1')
    expect(() =>
      fitLine([
        [3, 1],
        [3, 2],
        [3, 5],
      ]),
    ).toThrow('a line needs at least 2 different x values, got 3 points all at x = 3')
  })

  it('with serial readings, widens the interval of one step in a flat series but still sees a steady climb', () => {
    // Memory that jumps once by 1 MB early on, then stays flat: the plain interval calls it growth.
    const step: Point[] = range(1, 80).map((x) => [x, x < 12 ? 50e6 : 51e6 + (x % 3) * 4096])
    const plain = fitLine(step)
    expect(plain.slopeInterval![0]).toBeGreaterThan(0)
    const serial = fitLine(step, {serial: true})
    expect(serial.serialCorrelation).toBeGreaterThan(0.5)
    expect(serial.slopeInterval![0]).toBeLessThan(0)
    expect(serial.slopeInterval![1] - serial.slopeInterval![0]).toBeGreaterThan(
      3 * (plain.slopeInterval![1] - plain.slopeInterval![0]),
    )
    // A staircase climbing 256 KiB every 8 instances is a leak however its residuals move together.
    const stairs: Point[] = range(1, 80).map((x) => [x, 50e6 + Math.floor(x / 8) * 262_144])
    const climbing = fitLine(stairs, {serial: true})
    expect(climbing.serialCorrelation).toBeLessThanOrEqual(MAX_SERIAL_CORRELATION)
    expect(climbing.slopeInterval![0]).toBeGreaterThan(16_384)
  })

  it('never narrows the interval for serial readings', () => {
    // Alternating residuals have a negative lag-1 autocorrelation: floored at 0, the plain interval.
    const zigzag: Point[] = range(1, 30).map((x) => [x, x + (x % 2 === 0 ? 1 : -1)])
    expect(fitLine(zigzag, {serial: true}).slopeInterval).toEqual(fitLine(zigzag).slopeInterval)
  })
})

describe('Student t', () => {
  it.each([
    [0.975, 1, 12.706_205],
    [0.975, 2, 4.302_653],
    [0.975, 10, 2.228_139],
    [0.975, 30, 2.042_272],
    [0.95, 5, 2.015_048],
    [0.995, 20, 2.845_340],
    [0.975, 1e9, 1.959_964],
  ])('quantile(%s, df %s) = %s', (p, df, t) => {
    expect(studentTQuantile(p, df)).toBeCloseTo(t, 5)
    expect(studentTQuantile(1 - p, df)).toBeCloseTo(-t, 5)
  })

  it('is NaN outside its domain', () => {
    expect(studentTQuantile(0, 5)).toBeNaN()
    expect(studentTQuantile(0.5, 0)).toBeNaN()
    expect(studentTCdf(1, -1)).toBeNaN()
    expect(studentTCdf(Number.POSITIVE_INFINITY, 3)).toBe(1)
  })

  it('quantile inverts the CDF, for whole and fractional degrees of freedom', () => {
    fc.assert(
      fc.property(
        fc.double({max: 0.999, min: 0.001, noNaN: true}),
        fc.double({max: 500, min: 0.5, noNaN: true}),
        (p, df) => {
          return Math.abs(studentTCdf(studentTQuantile(p, df), df) - p) < 1e-9
        },
      ),
    )
  })
})

describe('fitLine properties', () => {
  const xsArb = fc.uniqueArray(fc.integer({max: 1000, min: -1000}), {maxLength: 40, minLength: 3})
  const noisyArb = fc
    .record({
      intercept: fc.double({max: 1e6, min: -1e6, noNaN: true}),
      noise: fc.array(fc.double({max: 100, min: -100, noNaN: true}), {maxLength: 40, minLength: 40}),
      slope: fc.double({max: 1e4, min: -1e4, noNaN: true}),
      xs: xsArb,
    })
    .map(({intercept, noise, slope, xs}): Point[] => xs.map((x, i) => [x, intercept + slope * x + noise[i]!]))

  it('recovers any exact line', () => {
    fc.assert(
      fc.property(
        xsArb,
        fc.integer({max: 1e6, min: -1e6}),
        fc.integer({max: 1e4, min: -1e4}),
        (xs, intercept, slope) => {
          const fit = fitLine(line(intercept, slope, xs))
          return (
            Math.abs(fit.slope - slope) <= 1e-6 * Math.max(1, Math.abs(slope)) &&
            Math.abs(fit.intercept - intercept) <= 1e-6 * Math.max(1, Math.abs(intercept) + Math.abs(slope) * 1000)
          )
        },
      ),
    )
  })

  it('keeps the slope inside its interval, r² within 0..1, and widens (never narrows) for serial readings', () => {
    fc.assert(
      fc.property(noisyArb, (points) => {
        const plain = fitLine(points)
        const serial = fitLine(points, {serial: true})
        const [low, high] = plain.slopeInterval!
        const inside = low <= plain.slope + 1e-9 && plain.slope <= high + 1e-9
        const r2 = Number.isNaN(plain.rSquared) || (plain.rSquared >= -1e-12 && plain.rSquared <= 1 + 1e-12)
        const wider =
          serial.slopeInterval === null ||
          (serial.slopeInterval[0] <= low + 1e-9 && serial.slopeInterval[1] >= high - 1e-9)
        return inside && r2 && wider
      }),
    )
  })

  it('moves with y: a shift leaves the slope and its interval, a scale by k scales both', () => {
    fc.assert(
      fc.property(
        noisyArb,
        fc.double({max: 1e5, min: -1e5, noNaN: true}),
        fc.double({max: 100, min: 0.01, noNaN: true}),
        (points, shift, k) => {
          const base = fitLine(points)
          const shifted = fitLine(points.map(([x, y]): Point => [x, y + shift]))
          const scaled = fitLine(points.map(([x, y]): Point => [x, y * k]))
          const close = (a: number, b: number, scale: number): boolean =>
            Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(scale))
          const spread = Math.abs(base.slope) + base.slopeStdError + 1
          return (
            close(shifted.slope, base.slope, spread) &&
            close(shifted.slopeStdError, base.slopeStdError, spread) &&
            close(scaled.slope, k * base.slope, k * spread) &&
            close(scaled.slopeStdError, k * base.slopeStdError, k * spread)
          )
        },
      ),
    )
  })
})

describe('blockMedians', () => {
  it('gives the median x and y of consecutive blocks in x order, untouched by one spike', () => {
    const points: Point[] = [
      [8, 8],
      [1, 1],
      [2, 2],
      [3, 300],
      [4, 4],
      [5, 5],
      [6, 6],
      [7, 7],
    ]
    expect(blockMedians(points, 4)).toEqual([
      [1.5, 1.5],
      [3.5, 152],
      [5.5, 5.5],
      [7.5, 7.5],
    ])
    expect(
      blockMedians(
        [
          [1, 10],
          [2, 20],
          [3, 30],
          [4, 40],
          [5, 1000],
        ],
        1,
      ),
    ).toEqual([[3, 30]])
  })

  it('spreads points that do not divide evenly and refuses more blocks than points', () => {
    expect(blockMedians(line(0, 1, range(1, 6)), 4).map(([x]) => x)).toEqual([1, 2.5, 4, 5.5])
    expect(() => blockMedians([[1, 1]], 2)).toThrow('2 blocks need at least 2 points, got 1')
  })
})

describe('scalingOf', () => {
  it.each([
    {efficiency: 1, name: 'linear', r2: 1, slope: 5, throughput: [25, 50, 125, 250]},
    {
      efficiency: 0.5,
      name: 'half of linear at the top',
      r2: undefined,
      slope: undefined,
      throughput: [25, 50, 100, 125],
    },
    {efficiency: 0.1, name: 'saturated from the start', r2: Number.NaN, slope: 0, throughput: [100, 100, 100, 100]},
  ])('$name: efficiency $efficiency', ({efficiency, r2, slope, throughput}) => {
    const scaling = scalingOf([5, 10, 25, 50].map((level, i) => ({level, throughput: throughput[i]!})))
    expect(scaling.efficiency).toBeCloseTo(efficiency, 12)
    expect(scaling.lowest.level).toBe(5)
    expect(scaling.highest.level).toBe(50)
    if (slope !== undefined) expect(scaling.fit!.slope).toBeCloseTo(slope, 9)
    if (r2 !== undefined) expect(scaling.fit!.rSquared).toEqual(Number.isNaN(r2) ? Number.NaN : expect.closeTo(r2, 9))
  })

  it('compares the lowest level with the highest, whatever order the stages ran in', () => {
    const scaling = scalingOf([
      {level: 50, throughput: 200},
      {level: 5, throughput: 25},
      {level: 25, throughput: 120},
    ])
    expect(scaling.efficiency).toBeCloseTo(200 / 250, 12)
  })

  it('has no efficiency when the lowest level achieved nothing, and no line for one level', () => {
    expect(
      scalingOf([
        {level: 5, throughput: 0},
        {level: 10, throughput: 40},
      ]).efficiency,
    ).toBeNaN()
    const one = scalingOf([
      {level: 10, throughput: 40},
      {level: 10, throughput: 44},
    ])
    expect(one.fit).toBeNull()
    expect(one.efficiency).toBeCloseTo(1.1, 12)
    expect(() => scalingOf([])).toThrow('scaling needs at least one step')
  })

  it('is 1 for any throughput proportional to the level', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({max: 1000, min: 1}), {maxLength: 8, minLength: 2}),
        fc.double({max: 1e4, min: 0.01, noNaN: true}),
        (levels, perLevel) => {
          return (
            Math.abs(scalingOf(levels.map((level) => ({level, throughput: level * perLevel}))).efficiency - 1) < 1e-9
          )
        },
      ),
    )
  })
})
