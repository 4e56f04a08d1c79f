// Statistics over samples and the seeded bootstrap that turns them into P(holds) (scoring.md §2).
import {max, meanSimple, min, quickselect, quantileSorted, sumSimple} from 'simple-statistics'

import type {Random} from './random.js'

import {percentileOf} from './expectation.js'
import {TOLERANCE} from './rules.js'

/** A statistic over a set of samples; it may reorder the array it is given. */
export type SampleStatistic = (x: Float64Array) => number

// simple-statistics only indexes and reads length, so a Float64Array serves where it asks for number[].
const asArray = (x: Float64Array): number[] => x as unknown as number[]

/**
 * Type-7 quantile (the definition simple-statistics uses) by quickselect, in place:
 * O(n) per resample instead of sorting.
 */
export function quantileInPlace(x: Float64Array, p: number): number {
  const n = x.length
  const index = (n - 1) * p
  const lower = Math.floor(index)
  quickselect(asArray(x), lower, 0, n - 1)
  const below = x[lower] ?? Number.NaN
  if (index === lower) return below
  // After the select everything right of `lower` is ≥ it; the next order statistic is their minimum.
  let above = Number.POSITIVE_INFINITY
  for (let i = lower + 1; i < n; i++) above = Math.min(above, x[i] ?? above)
  return below + (index - lower) * (above - below)
}

// Each sample set is sorted once however many statistics and expectations read it; the evidence is never mutated.
const SORTED = new WeakMap<readonly number[], Float64Array>()

/** The samples sorted ascending, shared by every reader of the same array: do not write to it. */
export function sortedSamples(samples: readonly number[]): Float64Array {
  let sorted = SORTED.get(samples)
  if (!sorted) {
    sorted = new Float64Array(samples).sort()
    SORTED.set(samples, sorted)
  }

  return sorted
}

/** A statistic of already sorted samples without copying them: order statistics by index, the rest in one pass. */
export function sortedStatistic(statistic: string, sorted: Float64Array, seen: number): number | null {
  const level = quantileLevel(statistic)
  if (level !== null) {
    // Type 7, as quantileInPlace computes it.
    const index = (sorted.length - 1) * level
    const lower = Math.floor(index)
    const below = sorted[lower] as number
    return index === lower ? below : below + (index - lower) * ((sorted[lower + 1] as number) - below)
  }

  return sampleStatistic(statistic, seen)?.(sorted.slice()) ?? null
}

/** The type-7 quantile level of an order statistic (min 0, median 0.5, pN, max 1), or null for the others. */
export function quantileLevel(statistic: string): number | null {
  if (statistic === 'min') return 0
  if (statistic === 'max') return 1
  return statistic === 'median' ? 0.5 : percentileOf(statistic)
}

/**
 * The function for a statistic computed from samples (everything but count and rate), or null.
 * `seen` scales `sum` to every sample seen when only a reservoir was kept.
 */
export function sampleStatistic(statistic: string, seen: number): SampleStatistic | null {
  const p = statistic === 'median' ? 0.5 : percentileOf(statistic)
  if (p !== null) return (x) => quantileInPlace(x, p)
  switch (statistic) {
    case 'min':
      return (x) => min(asArray(x))
    case 'max':
      return (x) => max(asArray(x))
    case 'mean':
      return (x) => meanSimple(asArray(x))
    case 'stddev':
      return sampleStddev
    case 'sum':
      return (x) => (sumSimple(asArray(x)) * seen) / x.length
    default:
      return null
  }
}

/**
 * Sample standard deviation (n − 1), 0 for a single sample. simple-statistics' version compensates
 * its sums branch by branch, which costs 4× in the bootstrap loop for digits resampling cannot use.
 */
function sampleStddev(x: Float64Array): number {
  const n = x.length
  if (n < 2) return 0
  const m = meanSimple(asArray(x))
  let squares = 0
  for (let i = 0; i < n; i++) {
    const d = (x[i] as number) - m
    squares += d * d
  }

  return Math.sqrt(squares / (n - 1))
}

export interface BootstrapOptions {
  resamples: number
  /** Level of the one-sided bound, e.g. 0.95. */
  confidence: number
  /** Which side the threshold is on; null (== and !=) gives no bound. */
  side: 'lower' | 'upper' | null
  random: Random
}

export interface BootstrapResult {
  /** Share of resamples where the expectation holds. */
  p: number
  interval95: [number, number]
  bound: number | null
}

/** One bootstrap draw of a statistic: the statistic of a fresh resample, drawn with `random`. */
export type Draw = (random: Random) => number

/** Draws of any statistic by resampling all n samples: O(n) per draw. */
export function resampleDraw(samples: readonly number[], statistic: SampleStatistic): Draw {
  const source = Float64Array.from(samples)
  const scratch = new Float64Array(source.length)
  return (random) => {
    random.resample(source, scratch)
    return statistic(scratch)
  }
}

/**
 * Draws of a quantile in O(1) instead of O(n), with exactly the distribution of resampling.
 * A resample's j-th smallest value is sorted[⌊n·U₍ⱼ₎⌋], where U₍ⱼ₎ is the j-th smallest of n
 * uniforms: U₍ⱼ₎ ~ Beta(j, n − j + 1), and given it, U₍ⱼ₊₁₎ is the least of n − j uniforms above it.
 */
export function quantileDraw(samples: readonly number[], level: number): Draw {
  const sorted = Float64Array.from(samples).sort()
  const n = sorted.length
  const at = (u: number): number => sorted[Math.min(n - 1, Math.floor(u * n))] as number
  const position = (n - 1) * level
  const j = Math.floor(position) + 1
  const fraction = position - (j - 1)
  return (random) => {
    const u = random.beta(j, n - j + 1)
    const below = at(u)
    // fraction > 0 implies j < n, so the next order statistic exists.
    return fraction === 0
      ? below
      : below + fraction * (at(u + (1 - u) * (1 - random.uniform() ** (1 / (n - j)))) - below)
  }
}

/**
 * Above this many samples the mean's bootstrap distribution is drawn from its normal limit instead of by resampling.
 */
export const NORMAL_MEAN_FROM = 5000

/**
 * Draws of the mean of a large sample set in O(1): by the central limit theorem the mean of n resampled
 * values is normal with the sample's mean and sd/√n (the plug-in sd, as resampling uses), to well under
 * the bootstrap's own Monte Carlo error once n is in the thousands.
 */
export function meanDraw(samples: readonly number[]): Draw {
  const n = samples.length
  const mean = meanSimple(samples as number[])
  let squares = 0
  for (const x of samples) squares += (x - mean) ** 2
  const spread = Math.sqrt(squares / n / n)
  return (random) => mean + spread * random.normal()
}

/** The fastest draw for a statistic: O(1) for order statistics and large means, a full resample otherwise. */
export function drawOf(samples: readonly number[], statistic: string, seen: number): Draw | null {
  const level = quantileLevel(statistic)
  if (level !== null) return quantileDraw(samples, level)
  if (statistic === 'mean' && samples.length >= NORMAL_MEAN_FROM) return meanDraw(samples)
  const compute = sampleStatistic(statistic, seen)
  return compute ? resampleDraw(samples, compute) : null
}

/** B draws: how often the drawn value satisfies `holds`, its 95% interval and one-sided bound. */
export function bootstrapDraws(
  draw: Draw,
  holds: (value: number) => boolean,
  options: BootstrapOptions,
): BootstrapResult {
  const distribution = new Float64Array(options.resamples)
  let holding = 0
  for (let b = 0; b < options.resamples; b++) {
    const value = draw(options.random)
    distribution[b] = value
    if (holds(value)) holding++
  }

  return summarize(distribution, holding, options)
}

function summarize(distribution: Float64Array, holding: number, options: BootstrapOptions): BootstrapResult {
  distribution.sort()
  const sorted = asArray(distribution)
  return {
    bound: options.side === null ? null : orderBound(distribution, options.confidence, options.side),
    interval95: [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)],
    p: holding / options.resamples,
  }
}

/**
 * One-sided bound at `confidence` from the sorted bootstrap distribution: the value that at least
 * ⌈B·confidence⌉ resamples stay on the threshold's side of. Taking an order statistic rather than
 * interpolating means P ≥ confidence always puts the bound on the holding side.
 */
export function orderBound(sorted: Float64Array, confidence: number, side: 'lower' | 'upper'): number {
  const b = sorted.length
  const rank = Math.min(b, Math.max(1, Math.ceil(b * (confidence - TOLERANCE))))
  return (side === 'upper' ? sorted[rank - 1] : sorted[b - rank]) ?? Number.NaN
}

/** Bins a summary's histogram has: enough to show a shape, few enough to keep results files small. */
export const HISTOGRAM_BINS = 24

/**
 * Samples binned between their min and max for charts: log-spaced when they are positive and span
 * more than a factor of 20 (latencies with a long tail), linear otherwise.
 */
export function binSamples(samples: Float64Array, bins = HISTOGRAM_BINS): {edges: number[]; counts: number[]} {
  const low = min(asArray(samples))
  const high = max(asArray(samples))
  if (!(high > low)) return {counts: [samples.length], edges: [low, high]}
  const logarithmic = low > 0 && high / low > 20
  const [from, to] = logarithmic ? [Math.log(low), Math.log(high)] : [low, high]
  const width = (to - from) / bins
  const edges = Array.from({length: bins + 1}, (_, i) =>
    i === bins ? high : logarithmic ? Math.exp(from + i * width) : from + i * width,
  )
  edges[0] = low
  const counts = Array.from({length: bins}, () => 0)
  for (const x of samples) {
    const at = Math.floor(((logarithmic ? Math.log(x) : x) - from) / width)
    counts[Math.min(bins - 1, Math.max(0, at))]! += 1
  }
  return {counts, edges}
}
