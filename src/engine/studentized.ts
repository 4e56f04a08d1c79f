// P(holds) for a mean or a standard deviation: the studentized (bootstrap-t) bootstrap, gated by how skewed the data
// are (scoring.md v2 §2). No method bounds a mean without assuming something about the tail the samples have not
// shown; the percentile bootstrap PASSed a lognormal mean on its threshold in 10–15% of sets at n ≤ 20. So below
// n = 28 + 25·g1² (Sugden, Smith & Jones 2000: where the mean's sampling distribution is near enough to normal)
// the verdict says the sample is too small and P stays ½. Above it, bootstrap-t. g1 is not the sample skewness itself
// but its upper 95% bound (skewnessUpper): the sample skewness of a heavy tail is lowest in the sets that missed the
// tail, which are the sets whose mean is low, and the rule on it alone let a Lomax α = 3 mean PASS falsely in 6%.
// A variance is the mean of squared deviations, so the same rule and method serve stddev over those.
import type {Random} from './random.js'

import {probit} from './probability.js'
import {normalCdf} from './shift.js'

/** Above this many samples the studentized statistic is taken as normal instead of resampled (the skew rule passed). */
export const NORMAL_FROM = 5000

/** n > 28 + 25·g1²: the smallest sample the skewness `g1` allows. */
export function samplesNeeded(g1: number): number {
  return Math.floor(28 + 25 * g1 * g1) + 1
}

/** Sums over x that a mean and a variance and their standard errors need. */
interface Moments {
  n: number
  mean: number
  /** Central moments m2, m3, m4 with divisor n. */
  m2: number
  m3: number
  m4: number
}

function moments(x: ArrayLike<number>): Moments {
  const n = x.length
  let sum = 0
  for (let i = 0; i < n; i++) sum += x[i] as number
  const mean = sum / n
  let m2 = 0
  let m3 = 0
  let m4 = 0
  for (let i = 0; i < n; i++) {
    const d = (x[i] as number) - mean
    const d2 = d * d
    m2 += d2
    m3 += d2 * d
    m4 += d2 * d2
  }

  return {m2: m2 / n, m3: m3 / n, m4: m4 / n, mean, n}
}

function skewness(m: Moments): number {
  return m.m2 > 0 ? m.m3 / m.m2 ** 1.5 : 0
}

/** A statistic with its standard error, for studentizing. */
interface Estimate {
  theta: number
  se: number
}

export type StudentizedStatistic = 'mean' | 'variance'

function estimate(statistic: StudentizedStatistic, m: Moments): Estimate {
  const {n} = m
  if (statistic === 'mean') return {se: Math.sqrt(m.m2 / (n - 1) / n), theta: m.mean}
  // Var(s²) ≈ (m4 − m2²)/n for large n, with s² = m2·n/(n − 1).
  return {se: (Math.sqrt(Math.max(0, m.m4 - m.m2 * m.m2) / n) * n) / (n - 1), theta: (m.m2 * n) / (n - 1)}
}

/** The skewness that decides whether n is enough: of x for a mean, of the squared deviations for a variance. */
function skewnessFor(statistic: StudentizedStatistic, x: ArrayLike<number>, m: Moments): number {
  if (statistic === 'mean') return skewnessUpper(x, m)
  const squares = new Float64Array(x.length)
  for (let i = 0; i < x.length; i++) squares[i] = ((x[i] as number) - m.mean) ** 2
  return skewnessUpper(squares, moments(squares))
}

/** z of the one-sided 95% bound on |skewness| that the skew rule uses. */
export const SKEW_BOUND_Z = probit(0.95)

/**
 * An upper 95% confidence bound of |g1|: |g1| + 1.645·(jackknife standard error), each leave-one-out skewness from
 * the centred sums in O(1). The sample skewness of a heavy tail is low exactly in the sets that missed the tail, and
 * those are the sets whose mean is low: the rule on g1 itself let the mean of a Lomax α = 3 on its threshold PASS
 * `<` in 5.5%, 5.9% and 6.0% of 3000 sets at n = 500, 1000, 2000. The jackknife error is large when a few values
 * carry the skewness, so the bound asks for more samples there; with it those shares are 3.7%, 4.8% and 5.2% of
 * 2000 sets (test/unit/engine/calibration.test.ts, `npm run bench -- --only calibration`).
 */
function skewnessUpper(x: ArrayLike<number>, m: Moments): number {
  const g = Math.abs(skewness(m))
  const {n} = m
  if (n < 3 || !(m.m2 > 0)) return g
  const s2 = m.m2 * n
  const s3 = m.m3 * n
  const k = n - 1
  let sum = 0
  let sumSquares = 0
  for (let j = 0; j < n; j++) {
    const d = (x[j] as number) - m.mean
    const delta = -d / k
    const e2 = (s2 - d * d) / k
    const e3 = (s3 - d * d * d) / k
    const m2 = e2 - delta * delta
    const m3 = e3 - 3 * delta * e2 + 2 * delta ** 3
    const gj = m2 > 0 ? m3 / m2 ** 1.5 : 0
    sum += gj
    sumSquares += gj * gj
  }

  const meanG = sum / n
  const se = Math.sqrt(Math.max(0, (k / n) * (sumSquares - n * meanG * meanG)))
  return g + SKEW_BOUND_Z * se
}

export interface StudentizedResult {
  /** The statistic over all samples. */
  theta: number
  /** P(θ < threshold) (`below`) and its mirror; null when n is too small for the method. */
  below: number | null
  interval95: [number, number] | null
  /** One-sided bounds of θ at the gate's confidence: the upper one for <, the lower one for >. */
  upper: number | null
  lower: number | null
  /** The n the skew rule asks for, and the standardized distance z = (θ − T)/se, for "how many more". */
  needed: number
  z: number
}

/**
 * Bootstrap-t of a mean or a variance against `threshold`: t* = (θ* − θ)/se* over resamples, and
 * P(θ < T) = share of t* above (θ − T)/se, the confidence distribution that its intervals invert.
 */
export function studentized(
  statistic: StudentizedStatistic,
  samples: ArrayLike<number>,
  threshold: number,
  options: {confidence: number; random: Random; resamples: number},
): StudentizedResult {
  const n = samples.length
  const all = moments(samples)
  const {se, theta} = estimate(statistic, all)
  const needed = Math.max(samplesNeeded(skewnessFor(statistic, samples, all)), 3)
  const z =
    se > 0
      ? (theta - threshold) / se
      : theta === threshold
        ? 0
        : Math.sign(theta - threshold) * Number.POSITIVE_INFINITY
  const tooFew = {below: null, interval95: null, lower: null, needed, theta, upper: null, z}
  if (n < needed) return tooFew
  if (!(se > 0)) {
    // Every sample equal: the skew rule passed on a constant, which says nothing about spread beyond it.
    return tooFew
  }

  const t = n >= NORMAL_FROM ? STANDARD_NORMAL : bootstrapT(statistic, samples, theta, options)
  // θ = θ̂ − t·se, so θ < T ⟺ t > z.
  const below = 1 - t.cdf(z)
  const at = (level: number): number => theta - t.quantile(level) * se
  return {
    below,
    interval95: [at(0.975), at(0.025)],
    lower: at(options.confidence),
    needed,
    theta,
    upper: at(1 - options.confidence),
    z,
  }
}

/** The distribution of the studentized statistic t. */
interface TDistribution {
  cdf(z: number): number
  quantile(level: number): number
}

const STANDARD_NORMAL: TDistribution = {cdf: normalCdf, quantile: probit}

/** t* of B studentized resamples (±∞ for resamples with no spread), as an empirical distribution. */
function bootstrapT(
  statistic: StudentizedStatistic,
  samples: ArrayLike<number>,
  theta: number,
  options: {random: Random; resamples: number},
): TDistribution {
  const source = Float64Array.from(samples)
  const scratch = new Float64Array(source.length)
  const t = new Float64Array(options.resamples)
  for (let b = 0; b < options.resamples; b++) {
    options.random.resample(source, scratch)
    const e = estimate(statistic, moments(scratch))
    const d = e.theta - theta
    t[b] = e.se > 0 ? d / e.se : d === 0 ? 0 : Math.sign(d) * Number.POSITIVE_INFINITY
  }

  t.sort()
  const b = t.length
  return {
    cdf: (z) => countAtMost(t, z) / b,
    quantile: (level) => t[Math.min(b - 1, Math.max(0, Math.ceil(level * b) - 1))] as number,
  }
}

/** How many of the sorted values are ≤ z. */
function countAtMost(sorted: Float64Array, z: number): number {
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if ((sorted[mid] as number) <= z) lo = mid + 1
    else hi = mid
  }

  return lo
}
