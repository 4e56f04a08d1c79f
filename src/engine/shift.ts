// Two-sample tests for a shift between a baseline run and this one: Mann-Whitney U and the
// Hodges-Lehmann estimate with its distribution-free interval.
import {errorFunction} from 'simple-statistics'

import {probit} from './probability.js'

/** Standard normal CDF. */
export function normalCdf(z: number): number {
  if (z === Number.POSITIVE_INFINITY) return 1
  if (z === Number.NEGATIVE_INFINITY) return 0
  return 0.5 * (1 + errorFunction(z / Math.SQRT2))
}

export interface MannWhitney {
  /** U of the second sample: how many (x, y) pairs have y > x, ties counting half. */
  u: number
  /** Normal approximation with tie and continuity correction. */
  z: number
  /** Two-sided p-value: how likely a difference this large is when both come from one distribution. */
  p: number
}

/**
 * Mann-Whitney U test of y against x. Ranks are computed here rather than by simple-statistics'
 * wilcoxonRankSum because the variance needs the sizes of the tie groups, which it does not return.
 */
export function mannWhitney(x: readonly number[], y: readonly number[]): MannWhitney {
  const n = x.length
  const m = y.length
  const pooled = new Float64Array(n + m)
  pooled.set(x)
  pooled.set(y, n)
  const order = Uint32Array.from(pooled.keys()).sort((i, j) => (pooled[i] as number) - (pooled[j] as number))
  let rankSumY = 0
  let ties = 0
  for (let start = 0; start < order.length;) {
    let end = start + 1
    while (end < order.length && pooled[order[end] as number] === pooled[order[start] as number]) end++
    const midRank = (start + 1 + end) / 2
    for (let k = start; k < end; k++) if ((order[k] as number) >= n) rankSumY += midRank
    const t = end - start
    ties += t * t * t - t
    start = end
  }

  const u = rankSumY - (m * (m + 1)) / 2
  const mean = (n * m) / 2
  const total = n + m
  const variance = ((n * m) / 12) * (total + 1 - ties / (total * (total - 1)))
  if (!(variance > 0)) return {p: 1, u, z: 0}
  const distance = Math.max(0, Math.abs(u - mean) - 0.5)
  const z = (Math.sign(u - mean) * distance) / Math.sqrt(variance)
  return {p: Math.min(1, 2 * (1 - normalCdf(Math.abs(z)))), u, z}
}

/**
 * The k-th smallest (1-based) of the n·m differences y[j] − x[i] without forming them: bisection on
 * the value, counting the differences at or below it in O(n + m) with two pointers over sorted x and y.
 */
export function pairwiseDifference(xSorted: Float64Array, ySorted: Float64Array, k: number): number {
  const n = xSorted.length
  const m = ySorted.length
  const countAtMost = (d: number): number => {
    // For each y (ascending) the x with y − x ≤ d are those x ≥ y − d: a suffix of x that shrinks as y grows.
    let count = 0
    let i = 0
    for (let j = 0; j < m; j++) {
      const limit = (ySorted[j] as number) - d
      while (i < n && (xSorted[i] as number) < limit) i++
      count += n - i
    }
    return count
  }

  const smallest = (ySorted[0] as number) - (xSorted[n - 1] as number)
  let high = (ySorted[m - 1] as number) - (xSorted[0] as number)
  if (k <= 1) return smallest
  if (k >= n * m) return high
  // Invariant: fewer than k differences are ≤ low, at least k are ≤ high. 100 halvings reach adjacent doubles.
  let low = smallest - (Math.abs(smallest) + 1)
  for (let step = 0; step < 100; step++) {
    const middle = low + (high - low) / 2
    if (middle <= low || middle >= high) break
    if (countAtMost(middle) >= k) high = middle
    else low = middle
  }

  // The k-th difference is the least actual difference above low: for each y, the one with the largest x below y − low.
  let least = Number.POSITIVE_INFINITY
  let i = 0
  for (let j = 0; j < m; j++) {
    const y = ySorted[j] as number
    while (i < n && (xSorted[i] as number) < y - low) i++
    if (i > 0) least = Math.min(least, y - (xSorted[i - 1] as number))
  }
  return least
}

export interface HodgesLehmann {
  /** Median of all differences y − x: the shift that moves x onto y. */
  shift: number
  /** Distribution-free 95% interval of the shift, by inverting the Mann-Whitney test. */
  interval95: [number, number]
}

/** Hodges-Lehmann shift of y relative to x with its 95% interval (normal approximation of U's critical value). */
export function hodgesLehmann(x: readonly number[], y: readonly number[]): HodgesLehmann {
  const xs = Float64Array.from(x).sort()
  const ys = Float64Array.from(y).sort()
  const pairs = xs.length * ys.length
  const half = (k: number) => pairwiseDifference(xs, ys, k)
  const shift = pairs % 2 === 1 ? half((pairs + 1) / 2) : (half(pairs / 2) + half(pairs / 2 + 1)) / 2
  const spread = probit(0.975) * Math.sqrt((pairs * (xs.length + ys.length + 1)) / 12)
  const k = Math.max(1, Math.floor(pairs / 2 - spread))
  return {interval95: [half(k), half(pairs - k + 1)], shift}
}
