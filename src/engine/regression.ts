// Least squares lines and what they say: a slope with its interval (memory per instance, throughput
// per connection), the share of variance explained, and scaling efficiency. Pure: numbers in, numbers out.
import {linearRegression, linearRegressionLine, mean, median, rSquared} from 'simple-statistics'

import {betaCdf, probit} from './probability.js'

export type Point = readonly [x: number, y: number]

export interface FitOptions {
  /** Level of the slope's two-sided interval; default 0.95. */
  level?: number
  /**
   * The points are a series in time (memory read again and again): neighbouring residuals move
   * together, so they carry less information than their number says. The slope's variance is
   * widened by (1 + ρ)/(1 − ρ) and the degrees of freedom shrunk to match, ρ being the lag-1
   * autocorrelation of the residuals in x order, floored at 0 and capped at MAX_SERIAL_CORRELATION.
   */
  serial?: boolean
}

/**
 * Memory rises in steps (pages, heap chunks), so even a steady leak leaves residuals that move
 * together; past this ρ (19× the variance) the widening would hide any trend of a few dozen readings.
 */
export const MAX_SERIAL_CORRELATION = 0.9

export interface LineFit {
  n: number
  /** Smallest and largest x. */
  xRange: [number, number]
  slope: number
  intercept: number
  /** Share of y's variance the line explains, 0..1; NaN when y is the same at every point. */
  rSquared: number
  /** Standard error of the slope (widened for serial correlation when asked). */
  slopeStdError: number
  /** Two-sided interval of the slope at `level`; null when too few points are left to have one. */
  slopeInterval: [number, number] | null
  level: number
  /** ρ used to widen the interval; 0 unless `serial`. */
  serialCorrelation: number
  /** Of the t quantile: n − 2, or the effective n − 2 with serial correlation. */
  degreesOfFreedom: number
}

/**
 * Ordinary least squares y = intercept + slope·x, with the slope's t interval.
 * Throws a RangeError for fewer than 2 points or when every x is the same: no line fits those.
 */
export function fitLine(points: readonly Point[], options: FitOptions = {}): LineFit {
  const level = options.level ?? 0.95
  const n = points.length
  if (n < 2) throw new RangeError(`a line needs at least 2 points, got ${n}`)
  const data = [...points].sort((a, b) => a[0] - b[0]).map(([x, y]) => [x, y])
  const meanX = mean(data.map(([x]) => x!))
  const sxx = data.reduce((sum, [x]) => sum + (x! - meanX) ** 2, 0)
  if (!(sxx > 0))
    throw new RangeError(`a line needs at least 2 different x values, got ${n} points all at x = ${data[0]![0]}`)

  const {b: intercept, m: slope} = linearRegression(data)
  const line = linearRegressionLine({b: intercept, m: slope})
  const residuals = data.map(([x, y]) => y! - line(x!))
  const squares = residuals.reduce((sum, e) => sum + e * e, 0)
  const rho = options.serial ? lagOneAutocorrelation(residuals, squares) : 0
  // Effective sample size of an AR(1) series; its variance inflation is the inverse ratio.
  const inflation = (1 + rho) / (1 - rho)
  const degreesOfFreedom = n / inflation - 2
  const slopeStdError = n > 2 ? Math.sqrt((squares / (n - 2) / sxx) * inflation) : Number.NaN
  const half = degreesOfFreedom >= 1 ? studentTQuantile(0.5 + level / 2, degreesOfFreedom) * slopeStdError : Number.NaN
  return {
    degreesOfFreedom,
    intercept,
    level,
    n,
    rSquared: residualsExplain(data, line),
    serialCorrelation: rho,
    slope,
    slopeInterval: Number.isFinite(half) ? [slope - half, slope + half] : null,
    slopeStdError,
    xRange: [data[0]![0]!, data.at(-1)![0]!],
  }
}

/**
 * r² from simple-statistics, except that a y that never varies leaves nothing to explain: NaN, not 1 − 0/0 by accident.
 * A least-squares line's r² lies in [0, 1]; ys that differ only in their last bits can round it outside (seen: −0.15).
 */
function residualsExplain(data: number[][], line: (x: number) => number): number {
  const first = data[0]![1]
  return data.every(([, y]) => y === first) ? Number.NaN : Math.min(1, Math.max(0, rSquared(data, line)))
}

/**
 * Lag-1 autocorrelation of residuals in x order, floored at 0 (a negative one would only narrow the interval) and
 * capped.
 */
function lagOneAutocorrelation(residuals: readonly number[], squares: number): number {
  if (!(squares > 0)) return 0
  let products = 0
  for (let i = 1; i < residuals.length; i++) products += residuals[i - 1]! * residuals[i]!
  return Math.min(Math.max(0, products / squares), MAX_SERIAL_CORRELATION)
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom (df need not be whole), by the incomplete beta. */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t) || !(df > 0)) return Number.NaN
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0
  const tail = 0.5 * betaCdf(df / (df + t * t), df / 2, 0.5)
  return t > 0 ? 1 - tail : tail
}

/**
 * The t quantile: the t with P(T ≤ t) = p. Bisection on the CDF, to about 1e-12; the normal quantile bounds the search.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1) || !(df > 0)) return Number.NaN
  if (p === 0.5) return 0
  if (p < 0.5) return -studentTQuantile(1 - p, df)
  // t's tails are heavier than the normal's, so z is a lower bracket; double until above.
  let low = probit(p)
  let high = Math.max(1, 2 * low)
  while (studentTCdf(high, df) < p) high *= 2
  for (let i = 0; i < 200 && high - low > 1e-12 * Math.max(1, high); i++) {
    const middle = (low + high) / 2
    if (studentTCdf(middle, df) < p) low = middle
    else high = middle
  }

  return (low + high) / 2
}

/**
 * The points cut into `blocks` consecutive runs in x order, each as its median x and median y:
 * the series' level step by step, untouched by a spike inside a block. Throws a RangeError when
 * there are fewer points than blocks.
 */
export function blockMedians(points: readonly Point[], blocks: number): Point[] {
  if (!(blocks >= 1 && points.length >= blocks))
    throw new RangeError(`${blocks} blocks need at least ${blocks} points, got ${points.length}`)
  const sorted = [...points].sort((a, b) => a[0] - b[0])
  return Array.from({length: blocks}, (_, block) => {
    const slice = sorted.slice(
      Math.floor((block * sorted.length) / blocks),
      Math.floor(((block + 1) * sorted.length) / blocks),
    )
    return [median(slice.map(([x]) => x)), median(slice.map(([, y]) => y))] as const
  })
}

/** One step of a load test: its level (connections, or arrivals per second) and the throughput it achieved. */
export interface ScalingPoint {
  level: number
  throughput: number
}

export interface Scaling {
  /**
   * Throughput at the highest level ÷ what linear scaling from the lowest promises
   * (lowest throughput × highest level / lowest level): 1 is linear, 0.5 is half of it.
   * NaN when the lowest level achieved nothing.
   */
  efficiency: number
  /** Throughput against level; null when every level is the same. */
  fit: LineFit | null
  lowest: ScalingPoint
  highest: ScalingPoint
}

/** How throughput grows with the level across the steps of a load test; throws a RangeError for no steps. */
export function scalingOf(points: readonly ScalingPoint[]): Scaling {
  if (points.length === 0) throw new RangeError('scaling needs at least one step')
  // The first lowest and the last highest: with repeated levels, the later step has the warmer system.
  const lowest = points.reduce((best, point) => (point.level < best.level ? point : best))
  const highest = points.reduce((best, point) => (point.level >= best.level ? point : best))
  const linear = lowest.level > 0 ? (lowest.throughput * highest.level) / lowest.level : Number.NaN
  const levels = new Set(points.map((point) => point.level))
  return {
    efficiency: linear > 0 ? highest.throughput / linear : Number.NaN,
    fit: levels.size < 2 ? null : fitLine(points.map(({level, throughput}) => [level, throughput])),
    highest,
    lowest,
  }
}
