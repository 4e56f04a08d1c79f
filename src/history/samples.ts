// What the history keeps of a samples metric beyond its summary: a bounded uniform subset of the samples
// (enough for a Mann-Whitney test against a later run) and, for durations, the HDR histogram of all of them.
import {hashSeed, Random} from '../engine/random.js'
import type {MetricEvidence} from '../engine/types.js'
import {createHistogram, encodeHistogram, recordLatency} from '../load/histogram.js'
import {reservoir} from '../load/reservoir.js'

/**
 * Samples kept per metric and run: 40 KB as float64, and a rank test on 5,000 per side already resolves shifts well
 * below noise.
 */
export const MAX_KEPT_SAMPLES = 5000

/** A uniform subset of at most `limit` samples; the same run, target and metric always keep the same ones. */
export function keptSamples(samples: readonly number[], seed: readonly string[], limit = MAX_KEPT_SAMPLES): number[] {
  if (samples.length <= limit) return [...samples]
  return reservoir(samples, limit, new Random(hashSeed('history', ...seed)))
}

/** float64 little-endian, whatever the machine: a database copied between machines (a CI cache) reads the same. */
export function encodeSamples(samples: readonly number[]): Buffer {
  const bytes = Buffer.alloc(samples.length * 8)
  for (const [i, sample] of samples.entries()) bytes.writeDoubleLE(sample, i * 8)
  return bytes
}

export function decodeSamples(bytes: Uint8Array): number[] {
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return Array.from({length: Math.floor(view.byteLength / 8)}, (_, i) => view.readDoubleLE(i * 8))
}

/**
 * The HDR histogram (compressed base64, microseconds) of a duration metric: the shard's own when it kept one, else
 * built from the samples.
 */
export function durationHistogram(
  metric: Extract<MetricEvidence, {type: 'samples'}>,
  kept: string | undefined,
): string | null {
  if (metric.dimension !== 'duration') return null
  if (kept !== undefined) return kept
  if (metric.samples.length === 0) return null
  const histogram = createHistogram()
  for (const sample of metric.samples) recordLatency(histogram, sample)
  return encodeHistogram(histogram)
}
