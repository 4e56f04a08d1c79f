// Spread over runs: a relative expectation judged against how much the pinned baseline runs differ from run to run,
// not against one run's samples. Each pinned run gives the statistic once (its samples' median, p95…); this run's
// statistic is one more draw from the same spread if nothing changed. On the log scale for a factor (a slowdown
// scales), the difference d = this run − mean of the k pinned runs has standard error s·√(1 + 1/k), s the pinned
// runs' standard deviation: a prediction interval, Student's t with k − 1 degrees of freedom. s holds both the
// run-to-run spread and each run's own sampling noise, so this run's noise is counted too.
import type {RelativeThreshold} from './expectation.js'
import type {Operator} from './types.js'

import {boundSide, holds, relativeThreshold} from './expectation.js'
import {studentTCdf, studentTQuantile} from './regression.js'

/** Pinned runs needed before their spread decides: 2 leave one degree of freedom, too few to ever PASS in practice. */
export const MIN_PINNED_RUNS = 3

export interface RunSpread {
  /** The baseline's statistic: the geometric mean of the pinned runs' on the log scale, else their mean. */
  baseline: number
  /** 95% prediction interval of this run's change against the baseline (current / baseline − 1). */
  changeInterval95: [number, number] | null
  p: number
  /** The pinned runs' standard deviation on the scale compared (log for a factor). */
  sd: number
  logScale: boolean
  runs: number
}

/**
 * P that `current` holds against the pinned runs' `values` under `relative` and `operator`; null when fewer
 * than 2 values (no spread at all). Values on one scale: the caller has checked they are finite.
 */
export function spreadOverRuns(
  current: number,
  values: readonly number[],
  relative: RelativeThreshold,
  operator: Operator,
): RunSpread | null {
  const k = values.length
  if (k < 2) return null
  const logScale = relative.kind === 'scale' && relative.factor > 0 && current > 0 && values.every((x) => x > 0)
  const scaled = logScale ? values.map(Math.log) : values
  const mean = scaled.reduce((a, b) => a + b, 0) / k
  const sd = Math.sqrt(scaled.reduce((a, x) => a + (x - mean) ** 2, 0) / (k - 1))
  const baseline = logScale ? Math.exp(mean) : mean
  const factor = relative.kind === 'scale' ? relative.factor : 1
  // The threshold moves with the baseline's mean: on the linear scale a factor scales that mean's error too.
  const limit = logScale ? mean + Math.log(factor) : relative.kind === 'scale' ? factor * mean : mean + relative.amount
  const now = logScale ? Math.log(current) : current
  const side = boundSide(operator)
  if (!(sd > 0) || side === null) {
    // Runs that all agree (a count, a setting) leave nothing to spread: the comparison is exact.
    return {baseline, changeInterval95: null, logScale, p: holds(now, operator, limit) ? 1 : 0, runs: k, sd}
  }

  const spread = (weight: number): number => sd * Math.sqrt(1 + (weight * weight) / k)
  const z = (limit - now) / spread(logScale ? 1 : factor)
  const half = studentTQuantile(0.975, k - 1) * spread(1)
  const change = (x: number): number => (logScale ? Math.expm1(x) : baseline === 0 ? Number.NaN : x / baseline)
  const interval: [number, number] = [change(now - mean - half), change(now - mean + half)]
  return {
    baseline,
    changeInterval95: interval.every(Number.isFinite) ? interval : null,
    logScale,
    p: side === 'upper' ? studentTCdf(z, k - 1) : studentTCdf(-z, k - 1),
    runs: k,
    sd,
  }
}

/** Paired rounds needed before they decide: 2 leave one degree of freedom, too few to ever PASS in practice. */
export const MIN_PAIRED_ROUNDS = 3

export interface PairedShift {
  /** Rounds with the statistic on both sides. */
  pairs: number
  /** Candidate against baseline: the pairs' geometric mean ratio − 1 (log), else mean difference / baseline mean. */
  change: number | null
  /** Student t 95% interval of the change over the pairs; null when the pairs all agree or are too few. */
  changeInterval95: [number, number] | null
  p: number
  /** Standard deviation of the per-pair differences on the scale compared (log for a factor). */
  sd: number
  logScale: boolean
}

/**
 * Interleaved A/B (`gate check --against`): each pair is one round's statistic on the candidate and on the baseline,
 * measured back to back, so what drifts on the machine moves both. On the log scale for a factor (a slowdown scales),
 * the pair's difference d = log(candidate) − log(baseline) leaves the drift out; P that the expectation holds is the
 * Student t posterior of the mean d against the allowed factor, n − 1 degrees of freedom (a paired t); null for none.
 */
export function pairedShift(
  pairs: ReadonlyArray<readonly [candidate: number, baseline: number]>,
  relative: RelativeThreshold,
  operator: Operator,
): PairedShift | null {
  const n = pairs.length
  if (n === 0) return null
  const logScale = relative.kind === 'scale' && relative.factor > 0 && pairs.every(([c, b]) => c > 0 && b > 0)
  // What must hold per pair, as a difference against 0: log(c) − log(b) − log(f), or c − threshold(b).
  const margins = pairs.map(([c, b]) =>
    logScale
      ? Math.log(c) - Math.log(b) - Math.log((relative as {factor: number}).factor)
      : c - relativeThreshold(relative, b),
  )
  const shifts = pairs.map(([c, b]) => (logScale ? Math.log(c) - Math.log(b) : c - b))
  const meanOf = (xs: readonly number[]): number => xs.reduce((a, x) => a + x, 0) / xs.length
  const sdOf = (xs: readonly number[]): number =>
    n < 2 ? Number.NaN : Math.sqrt(xs.reduce((a, x) => a + (x - meanOf(xs)) ** 2, 0) / (n - 1))
  const margin = meanOf(margins)
  const shift = meanOf(shifts)
  const baseMean = meanOf(pairs.map(([, b]) => b))
  const change = (x: number): number => (logScale ? Math.expm1(x) : baseMean === 0 ? Number.NaN : x / baseMean)
  const sd = sdOf(margins)
  const side = boundSide(operator)
  const central = Number.isFinite(change(shift)) ? change(shift) : null
  if (!(sd > 0) || side === null) {
    // One pair, or pairs that all agree (a count, a setting): nothing to spread, the comparison is exact.
    const p = holds(margin, operator, 0) ? 1 : 0
    return {change: central, changeInterval95: null, logScale, p, pairs: n, sd: Number.isNaN(sd) ? 0 : sd}
  }

  const se = sd / Math.sqrt(n)
  const half = (studentTQuantile(0.975, n - 1) * sdOf(shifts)) / Math.sqrt(n)
  const interval: [number, number] = [change(shift - half), change(shift + half)]
  const t = -margin / se
  return {
    change: central,
    changeInterval95: interval.every(Number.isFinite) ? interval : null,
    logScale,
    p: side === 'upper' ? studentTCdf(t, n - 1) : studentTCdf(-t, n - 1),
    pairs: n,
    sd,
  }
}
