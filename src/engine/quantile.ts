// P(holds) for a quantile (`p95(x) < T`, `median(x) >= T`) from counts: exact and distribution-free (scoring.md v2 §2).
// pN < T holds when more than N% of the population lies below T. Of n samples k lie there, and the exact binomial
// test of "share ≤ N%" gives the probability P(Bin(n, N%) ≤ k − 1): the Beta(k, n − k + 1) posterior's mass above
// N%. Taken alone as P, that keeps a false PASS at or under 1 − confidence at every n; its mirror
// P(Bin(n, N%) ≤ k) = Beta(k + 1, n − k) does the same for a false FAIL. P is whichever of the two is nearer ½, and ½
// when they straddle it: the uniform-prior Beta(k + 1, n − k + 1) alone, which lies between them, PASSed a median on
// its threshold in 7.3% of 12-sample sets and FAILed a p95 on its threshold in 14% of 3-sample sets.
import type {Operator, SampleBuckets} from './types.js'

import {betaCdf} from './probability.js'
import {TOLERANCE} from './rules.js'
import {sortedSamples} from './statistics.js'

/** P(Bin(n, p) ≤ k). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0
  if (k >= n) return 1
  // P(Bin(n, p) ≤ k) = I_{1−p}(n − k, k + 1).
  return betaCdf(1 - p, n - k, k + 1)
}

/** P that more than `level` of the population is on the holding side, from `holding` of `n` observations there. */
export interface ShareProbability {
  p: number
  /** From the count that surely holds (P(Bin(n, level) ≤ k − 1)): P ≥ confidence here is a PASS. */
  lower: number
  /** From the count that may hold (P(Bin(n, level) ≤ k)): P ≤ 1 − confidence here is a FAIL. */
  upper: number
}

/**
 * `sure` observations are known to be on the holding side and `possible` may be (more than `sure` only when a
 * histogram bucket straddles the threshold).
 */
export function shareProbability(sure: number, possible: number, n: number, level: number): ShareProbability {
  const lower = binomialCdf(sure - 1, n, level)
  const upper = binomialCdf(possible, n, level)
  return {lower, p: lower >= 0.5 ? lower : upper <= 0.5 ? upper : 0.5, upper}
}

/** For `pN(x) op T`: which share must exceed what, and whether an observation is on the holding side. */
export interface QuantileQuestion {
  /** The share of the population on the holding side must exceed this. */
  level: number
  /** True when x is on the holding side of T. */
  holding: (x: number) => boolean
}

/** pN < T ⟺ more than N% lies below T; pN > T ⟺ more than (100 − N)% lies above it. Null for == and !=. */
export function quantileQuestion(quantile: number, operator: Operator, threshold: number): QuantileQuestion | null {
  switch (operator) {
    case '<':
      return {holding: (x) => x < threshold, level: quantile}
    case '<=':
      return {holding: (x) => x <= threshold, level: quantile}
    case '>':
      return {holding: (x) => x > threshold, level: 1 - quantile}
    case '>=':
      return {holding: (x) => x >= threshold, level: 1 - quantile}
    default:
      return null
  }
}

/** How many observations are surely and possibly on the holding side, and of how many. */
export interface HoldingCount {
  n: number
  possible: number
  sure: number
}

/** What a quantile is decided from: every observation's bucket when a histogram kept them, else the sorted samples. */
export type Observations = {buckets: SampleBuckets} | {sorted: Float64Array}

export function observationsOf(metric: {buckets?: SampleBuckets; samples: readonly number[]}): Observations {
  return metric.buckets && bucketTotal(metric.buckets) > 0
    ? {buckets: metric.buckets}
    : {sorted: sortedSamples(metric.samples)}
}

export function countHolding(observations: Observations, question: QuantileQuestion): HoldingCount {
  return 'buckets' in observations
    ? countBuckets(observations.buckets, question)
    : countSorted(observations.sorted, question)
}

/**
 * Samples on the holding side, by binary search over the sorted samples: O(log n), for counting against many
 * thresholds.
 */
export function countSorted(sorted: Float64Array, question: QuantileQuestion): HoldingCount {
  // The holding side is a prefix (< and <=) or a suffix (> and >=) of the sorted samples.
  const prefix = question.holding(Number.NEGATIVE_INFINITY)
  let lo = 0
  let hi = sorted.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (question.holding(sorted[mid] as number) === prefix) lo = mid + 1
    else hi = mid
  }

  const sure = prefix ? lo : sorted.length - lo
  return {n: sorted.length, possible: sure, sure}
}

/** From a histogram of every observation: a bucket counts surely when both its ends hold, possibly when either does. */
export function countBuckets(buckets: SampleBuckets, question: QuantileQuestion): HoldingCount {
  let n = 0
  let sure = 0
  let possible = 0
  for (let i = 0; i < buckets.counts.length; i++) {
    const count = buckets.counts[i] as number
    const low = question.holding(buckets.lower[i] as number)
    const high = question.holding(buckets.upper[i] as number)
    n += count
    if (low && high) sure += count
    if (low || high) possible += count
  }

  return {n, possible, sure}
}

/**
 * The 1-based ranks [l, u] of the order statistics that bound the `quantile` with coverage ≥ 1 − 2·tail
 * (each side ≤ tail), or null on a side n observations cannot bound.
 */
export function orderStatisticRanks(
  n: number,
  quantile: number,
  tail: number,
): {lower: number | null; upper: number | null} {
  // x_(u) ≥ Q when at most u − 1 observations fall below Q: P(Bin(n, q) ≤ u − 1) ≥ 1 − tail; the smallest such u.
  const upper = smallestRank(n, (u) => binomialCdf(u - 1, n, quantile) >= 1 - tail - TOLERANCE)
  // x_(l) ≤ Q when at least l observations fall at or below Q: P(Bin(n, q) ≥ l) ≥ 1 − tail; the largest such l.
  const lowerMirror = smallestRank(n, (m) => binomialCdf(m - 1, n, 1 - quantile) >= 1 - tail - TOLERANCE)
  return {lower: lowerMirror === null ? null : n + 1 - lowerMirror, upper}
}

/** The smallest r in 1..n for which `enough(r)` holds (it is monotone in r), or null. */
function smallestRank(n: number, enough: (rank: number) => boolean): number | null {
  if (n < 1 || !enough(n)) return null
  let lo = 1
  let hi = n
  while (lo < hi) {
    const mid = Math.floor((lo + hi) / 2)
    if (enough(mid)) hi = mid
    else lo = mid + 1
  }

  return lo
}

/** The r-th smallest observation (1-based) of sorted samples, or of a histogram: its bucket's low or high end. */
export function rankValue(observations: Observations, rank: number, end: 'lower' | 'upper'): number {
  if ('sorted' in observations) return observations.sorted[rank - 1] as number
  const {buckets} = observations
  let seen = 0
  for (let i = 0; i < buckets.counts.length; i++) {
    seen += buckets.counts[i] as number
    if (seen >= rank) return (end === 'lower' ? buckets.lower[i] : buckets.upper[i]) as number
  }

  return buckets.upper.at(-1) as number
}

/** How many observations the buckets hold. */
function bucketTotal(buckets: SampleBuckets): number {
  let n = 0
  for (const count of buckets.counts) n += count
  return n
}
