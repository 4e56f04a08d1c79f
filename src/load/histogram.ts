// Latency histograms: HdrHistogram in microseconds with 3 significant digits, pure JS (no WebAssembly).

import type {Histogram} from 'hdr-histogram-js'

import type {SampleBuckets} from '../engine/types.js'
import {hdrHistogram} from '../lazy.js'

export type {Histogram} from 'hdr-histogram-js'

/** Histograms record whole microseconds; summaries report milliseconds. */
const US_PER_MS = 1000

/** An empty latency histogram that grows to whatever it records. */
export function createHistogram(): Histogram {
  return hdrHistogram().build({
    autoResize: true,
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    numberOfSignificantValueDigits: 3,
    useWebAssembly: false,
  })
}

/** Records a latency given in milliseconds. */
export function recordLatency(histogram: Histogram, ms: number): void {
  histogram.recordValue(Math.max(0, Math.round(ms * US_PER_MS)))
}

/** A new histogram holding the counts of all of them (connections, stages, machines). */
export function mergeHistograms(histograms: Iterable<Histogram>): Histogram {
  const merged = createHistogram()
  for (const histogram of histograms) merged.add(histogram)
  return merged
}

/** Base64 of the compressed V2 encoding, the format other HdrHistogram libraries read too. */
export function encodeHistogram(histogram: Histogram): string {
  return hdrHistogram().encodeIntoCompressedBase64(histogram)
}

export function decodeHistogram(encoded: string): Histogram {
  const histogram = hdrHistogram().decodeFromCompressedBase64(encoded, 32, false)
  // Decoded histograms start fixed-size; merging into them must not throw on larger values.
  histogram.autoResize = true
  return histogram
}

/** What a pure-JS HdrHistogram offers beyond the shared interface; the load engine builds only those. */
interface BucketWalk {
  recordedValuesIterator?: {
    reset(): void
    hasNext(): boolean
    next(): {countAtValueIteratedTo: number; valueIteratedTo: number}
  }
  lowestEquivalentValue?(value: number): number
  highestEquivalentValue?(value: number): number
}

/**
 * Every recorded bucket in milliseconds, for counting observations against a threshold (engine/quantile.ts):
 * each spans its equivalent-value range widened by the half microsecond lost when the latency was rounded.
 * Undefined for a histogram without a bucket walk.
 */
export function histogramBuckets(histogram: Histogram): SampleBuckets | undefined {
  const walk = histogram as unknown as BucketWalk
  const iterator = walk.recordedValuesIterator
  if (!iterator || !walk.lowestEquivalentValue || !walk.highestEquivalentValue) return undefined
  const buckets: SampleBuckets = {counts: [], lower: [], upper: []}
  iterator.reset()
  while (iterator.hasNext()) {
    const {countAtValueIteratedTo: count, valueIteratedTo: value} = iterator.next()
    if (count === 0) continue
    buckets.counts.push(count)
    buckets.lower.push(Math.max(0, walk.lowestEquivalentValue.call(histogram, value) - 0.5) / US_PER_MS)
    buckets.upper.push((walk.highestEquivalentValue.call(histogram, value) + 0.5) / US_PER_MS)
  }

  return buckets
}

/**
 * Up to `max` latencies in ms, evenly spaced through the histogram's recorded values (all of them
 * when there are fewer): the stage's own distribution at the histogram's 3-digit precision, not invented.
 */
export function histogramSamples(histogram: Histogram, max: number): number[] {
  const total = histogram.totalCount
  const iterator = (histogram as unknown as BucketWalk).recordedValuesIterator
  if (total === 0) return []
  const take = Math.min(total, max)
  // The rank of the i-th sample among all recorded values: the middle of its share.
  const rankOf = (i: number): number => (take === total ? i : Math.floor(((i + 0.5) * total) / take))
  const samples: number[] = []
  if (!iterator) {
    for (let i = 0; i < take; i++)
      samples.push(histogram.getValueAtPercentile((100 * (rankOf(i) + 1)) / total) / US_PER_MS)
    return samples
  }

  iterator.reset()
  let below = 0
  while (iterator.hasNext() && samples.length < take) {
    const {countAtValueIteratedTo: count, valueIteratedTo: value} = iterator.next()
    below += count
    while (samples.length < take && rankOf(samples.length) < below) samples.push(value / US_PER_MS)
  }

  return samples
}

/** A latency histogram in numbers people read, in milliseconds; all zero when it is empty. */
export interface LatencySummary {
  count: number
  min: number
  max: number
  mean: number
  stddev: number
  p50: number
  p90: number
  p95: number
  p99: number
  p999: number
}

export function summarizeLatency(histogram: Histogram): LatencySummary {
  const count = histogram.totalCount
  const ms = (us: number): number => (count === 0 ? 0 : us / US_PER_MS)
  const at = (percentile: number): number => ms(histogram.getValueAtPercentile(percentile))
  return {
    count,
    // Percentiles 0 and 100 give the bucket bounds, as HdrHistogram reports min and max, so merged and direct
    // histograms agree.
    max: at(100),
    mean: ms(histogram.mean),
    min: at(0),
    p50: at(50),
    p90: at(90),
    p95: at(95),
    p99: at(99),
    p999: at(99.9),
    stddev: ms(histogram.stdDeviation),
  }
}
