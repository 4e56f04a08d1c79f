import {quantile} from 'simple-statistics'
import {describe, expect, it} from 'vitest'

import {createHistogram, type Histogram, recordLatency, summarizeLatency} from '../../../src/load/histogram.js'
import {histogramSamples} from '../../../src/load/histogram.js'
import {stageKeys} from '../../../src/validators/http.js'

function histogramOf(ms: number[]): Histogram {
  const histogram = createHistogram()
  for (const value of ms) recordLatency(histogram, value)
  return histogram
}

/** The same histogram seen only through the public interface: no iterator, percentiles only. */
const percentilesOnly = (histogram: Histogram): Histogram =>
  ({
    getValueAtPercentile: (p: number) => histogram.getValueAtPercentile(p),
    totalCount: histogram.totalCount,
  }) as unknown as Histogram

describe('histogramSamples', () => {
  it('gives every recorded value when there are fewer than the cap, at 3-digit precision', () => {
    const samples = histogramSamples(histogramOf([3, 1, 2.5, 3, 120]), 100)
    expect(samples).toHaveLength(5)
    for (const [i, expected] of [1, 2.5, 3, 3, 120].entries())
      expect(samples[i]).toBeCloseTo(expected, expected >= 100 ? 0 : 1)
  })

  it("draws the cap evenly through the distribution when there are more: its percentiles are the histogram's", () => {
    const values = Array.from({length: 50_000}, (_, i) => 1 + (i % 1000) / 10 + (i % 7) * 3)
    const histogram = histogramOf(values)
    const samples = histogramSamples(histogram, 2000)
    expect(samples).toHaveLength(2000)
    const summary = summarizeLatency(histogram)
    expect(quantile(samples, 0.5)).toBeCloseTo(summary.p50, 0)
    expect(quantile(samples, 0.95)).toBeCloseTo(summary.p95, 0)
    expect(samples.every((ms, i) => i === 0 || ms >= samples[i - 1]!)).toBe(true)
  })

  it('gives the same samples through percentiles when a histogram has no iterator, and none for an empty one', () => {
    const histogram = histogramOf(Array.from({length: 3000}, (_, i) => 5 + (i % 97)))
    expect(histogramSamples(percentilesOnly(histogram), 500)).toEqual(histogramSamples(histogram, 500))
    expect(histogramSamples(createHistogram(), 10)).toEqual([])
  })
})

describe('stageKeys', () => {
  it.each([
    [{connections: 10, stages: [{connections: 5}, {}, {connections: 50}]}, ['at_5', 'at_10', 'at_50']],
    [
      {connections: 10, rate: 100, stages: [{}, {rate: 250}, {connections: 50, rate: 2.5}]},
      ['at_100rps', 'at_250rps', 'at_2.5rps'],
    ],
    [{connections: 10, stages: [{name: 'warm'}, {connections: 10, name: 'hot'}]}, ['warm', 'hot']],
    [{connections: 10}, []],
  ])('%j → %j', (options, keys) => {
    expect(stageKeys(options)).toEqual(keys)
  })
})
