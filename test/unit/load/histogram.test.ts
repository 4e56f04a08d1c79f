import {describe, expect, it} from 'vitest'

import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  mergeHistograms,
  recordLatency,
  summarizeLatency,
} from '../../../src/load/index.js'

function histogramOf(latenciesMs: number[]) {
  const histogram = createHistogram()
  for (const ms of latenciesMs) recordLatency(histogram, ms)
  return histogram
}

const range = (count: number, from: number, step: number): number[] =>
  Array.from({length: count}, (_, i) => from + i * step)

describe('latency histograms', () => {
  it('summarises in milliseconds within 3 significant digits', () => {
    const summary = summarizeLatency(histogramOf(range(1000, 1, 1)))
    expect(summary.count).toBe(1000)
    expect(summary.min).toBeCloseTo(1, 2)
    expect(summary.max).toBeCloseTo(1000, -1)
    expect(summary.mean).toBeCloseTo(500.5, 0)
    for (const [value, expected] of [
      [summary.p50, 500],
      [summary.p90, 900],
      [summary.p95, 950],
      [summary.p99, 990],
      [summary.p999, 999],
    ] as const) {
      expect(Math.abs(value - expected) / expected).toBeLessThan(0.001)
    }
  })

  it('summarises an empty histogram as zeros', () => {
    expect(summarizeLatency(createHistogram())).toEqual({
      count: 0,
      max: 0,
      mean: 0,
      min: 0,
      p50: 0,
      p90: 0,
      p95: 0,
      p99: 0,
      p999: 0,
      stddev: 0,
    })
  })

  it('survives encode → decode → merge with the counts summed and the same percentiles', () => {
    const fast = range(3000, 0.5, 0.01)
    const slow = range(500, 200, 3)
    const direct = summarizeLatency(histogramOf([...fast, ...slow]))
    const encoded = [encodeHistogram(histogramOf(fast)), encodeHistogram(histogramOf(slow))]
    expect(encoded.every((text) => /^[A-Za-z0-9+/]+=*$/.test(text))).toBe(true)
    const merged = mergeHistograms(encoded.map(decodeHistogram))
    expect(merged.totalCount).toBe(3500)
    expect(summarizeLatency(merged)).toEqual(direct)
  })

  it('merges into a decoded histogram even when the other holds larger values', () => {
    const decoded = decodeHistogram(encodeHistogram(histogramOf([1, 2, 3])))
    decoded.add(histogramOf([60_000]))
    expect(summarizeLatency(decoded).max).toBeCloseTo(60_000, -2)
    expect(decoded.totalCount).toBe(4)
  })
})
