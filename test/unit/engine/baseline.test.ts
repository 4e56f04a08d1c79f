import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {evaluateTarget} from '../../../src/engine/index.js'
import {Random, hashSeed} from '../../../src/engine/random.js'
import type {BaselineInput, MetricEvidence, MetricSummary, TargetInput} from '../../../src/engine/types.js'
import {summarizeMetric} from '../../../src/engine/verdict.js'
import {SETTINGS, evidence, samples, target} from './helpers.js'

/** n latencies from a lognormal around `median` ms, scaled by `factor`: a known shift. */
function latencies(n: number, seed: number, median = 20, factor = 1): number[] {
  const random = new Random(hashSeed(seed, 'latencies'))
  return Array.from({length: n}, () => factor * median * Math.exp(0.4 * random.normal()))
}

function baselineOf(
  metrics: Record<string, MetricEvidence>,
  recent?: Record<string, MetricSummary[]>,
  keep = true,
): BaselineInput {
  return {
    metrics: Object.fromEntries(
      Object.entries(metrics).map(([name, metric]) => [
        name,
        {evidence: keep ? metric : null, summary: summarizeMetric(name, metric)},
      ]),
    ),
    name: 'main',
    run: 'g-20261101T000000Z',
    ...(recent ? {recent} : {}),
  }
}

function judge(expectation: string, now: Record<string, MetricEvidence>, baseline: TargetInput['baseline'], seed = 42) {
  return evaluateTarget(
    {...SETTINGS, resamples: 1000, seed},
    target('t', [expectation], {evidence: evidence(now)}, {baseline}),
  )
}

describe('relative expectations without a baseline', () => {
  it('are NO_DATA with the command that creates one, never a silent pass', () => {
    const verdict = judge('p95(latency) <= baseline * 1.10', {latency: samples(latencies(200, 1))}, undefined)
    expect(verdict.status).toBe('NO_DATA')
    expect(verdict.expectations[0]).toMatchObject({p: null, status: 'NO_DATA', threshold: null})
    expect(verdict.reason).toContain('gate baseline save')
  })

  it('carry the reason the caller gives (no history, no such baseline) and a metric the baseline lacks', () => {
    expect(
      judge(
        'p95(latency) <= baseline',
        {latency: samples(latencies(50, 1))},
        {missing: 'no baseline "main" for gate g'},
      ).reason,
    ).toContain('no baseline "main" for gate g')
    const other = baselineOf({other: samples(latencies(50, 2))})
    expect(judge('p95(latency) <= baseline', {latency: samples(latencies(50, 1))}, other).reason).toContain(
      'has no metric "latency"',
    )
  })
})

describe("sample metrics against the baseline's samples", () => {
  it('detects a 30% slowdown of the median by Hodges-Lehmann at the stated confidence, for any seed', () => {
    let covered = 0
    fc.assert(
      fc.property(fc.integer({max: 10_000, min: 1}), (seed) => {
        const baseline = baselineOf({latency: samples(latencies(400, seed))})
        const verdict = judge(
          'median(latency) <= baseline * 1.10',
          {latency: samples(latencies(400, seed + 1, 20, 1.3))},
          baseline,
          seed,
        )
        const [expectation] = verdict.expectations
        expect(verdict.status).toBe('FAIL')
        expect(expectation?.baseline?.model).toBe('hodges-lehmann')
        // The interval of the change excludes the allowed +10%, and contains the true +30% about 95% of the time.
        const [low, high] = expectation?.baseline?.changeInterval95 ?? [Number.NaN, Number.NaN]
        expect(low).toBeGreaterThan(0.1)
        if (low < 0.3 && high > 0.3) covered++
        expect(expectation?.baseline?.mannWhitneyP).toBeLessThan(0.001)
      }),
      {numRuns: 40, seed: 11},
    )
    // Binomial(40, 0.95): 34 or fewer happens with probability < 2%; the seeds are fixed, so this is deterministic.
    expect(covered).toBeGreaterThanOrEqual(35)
  })

  it('detects a 30% slowdown of p95 by counting this run against the baseline order-statistic draws', () => {
    fc.assert(
      fc.property(fc.integer({max: 10_000, min: 1}), (seed) => {
        const baseline = baselineOf({latency: samples(latencies(1000, seed))})
        const verdict = judge(
          'p95(latency) <= baseline * 1.10',
          {latency: samples(latencies(1000, seed + 1, 20, 1.3))},
          baseline,
          seed,
        )
        expect(verdict.status).toBe('FAIL')
        expect(verdict.expectations[0]?.baseline?.model).toBe('order-statistic')
        expect(verdict.expectations[0]?.baseline?.change).toBeGreaterThan(0.15)
      }),
      {numRuns: 20, seed: 12},
    )
  })

  it('does not flag a run drawn from the same distribution as its baseline (no shift), across many seeds', () => {
    const statuses = {median: new Map<string, number>(), p95: new Map<string, number>()}
    fc.assert(
      fc.property(fc.integer({max: 100_000, min: 1}), (seed) => {
        const baseline = baselineOf({latency: samples(latencies(1000, seed))})
        const now = {latency: samples(latencies(1000, seed + 7))}
        for (const statistic of ['median', 'p95'] as const) {
          const verdict = judge(`${statistic}(latency) <= baseline * 1.10`, now, baseline, seed)
          // Noise alone never fails a run: the allowance is 10% and the noise is a few percent.
          expect(verdict.status).not.toBe('FAIL')
          statuses[statistic].set(verdict.status, (statuses[statistic].get(verdict.status) ?? 0) + 1)
        }
      }),
      {numRuns: 40, seed: 13},
    )
    expect(statuses.median.get('PASS')).toBe(40)
    // A p95 is noisier than a median: some runs cannot be told apart from +10% and say INCONCLUSIVE (measure more),
    // none FAIL.
    expect(statuses.p95.get('PASS') ?? 0).toBeGreaterThanOrEqual(28)
  })

  it("judges an offset in the metric's unit: +5 ms of median is allowed, +15 ms is not", () => {
    const baseline = baselineOf({latency: samples(latencies(500, 3))})
    const slower = (ms: number) => ({latency: samples(latencies(500, 4).map((x) => x + ms))})
    expect(judge('median(latency) <= baseline + 10ms', slower(5), baseline).status).toBe('PASS')
    expect(judge('median(latency) <= baseline + 10ms', slower(15), baseline).status).toBe('FAIL')
  })

  it("sets the threshold from the baseline's statistic and reports both values", () => {
    const before = latencies(300, 5)
    const baseline = baselineOf({latency: samples(before)})
    const [expectation] = judge(
      'p95(latency) <= baseline * 1.5',
      {latency: samples(latencies(300, 6))},
      baseline,
    ).expectations
    const p95 = summarizeMetric('latency', samples(before)).p95 ?? Number.NaN
    expect(expectation?.baseline?.value).toBeCloseTo(p95, 9)
    expect(expectation?.threshold).toBeCloseTo(p95 * 1.5, 9)
    expect(expectation?.status).toBe('PASS')
  })
})

describe("proportions against the baseline's counts", () => {
  it('fails a hit rate that fell by 10 points and passes one within 5%', () => {
    const baseline = baselineOf({hit_rate: {events: 900, trials: 1000, type: 'proportion'}})
    const fell = judge(
      'hit_rate >= baseline - 5%',
      {hit_rate: {events: 800, trials: 1000, type: 'proportion'}},
      baseline,
    )
    expect(fell.status).toBe('FAIL')
    expect(fell.expectations[0]?.baseline?.model).toBe('beta')
    expect(
      judge('hit_rate >= baseline - 5%', {hit_rate: {events: 895, trials: 1000, type: 'proportion'}}, baseline).status,
    ).toBe('PASS')
  })
})

describe('summary values only', () => {
  const throughput = (value: number): MetricEvidence => ({dimension: 'rate', type: 'value', value})
  const summaries = (...values: number[]) => values.map((value) => summarizeMetric('throughput', throughput(value)))

  it('uses the run-to-run spread of earlier runs when there are enough of them, and says so', () => {
    const baseline = baselineOf({throughput: throughput(1000)}, {throughput: summaries(1000, 1020, 980, 1010, 990)})
    const dropped = judge('throughput >= baseline - 10%', {throughput: throughput(700)}, baseline)
    expect(dropped.status).toBe('FAIL')
    expect(dropped.expectations[0]?.baseline?.model).toBe('run-to-run')
    expect(dropped.expectations[0]?.reason).toContain('run-to-run spread of 5 earlier runs')
    expect(judge('throughput >= baseline - 10%', {throughput: throughput(995)}, baseline).status).toBe('PASS')
  })

  it('falls back to an exact comparison, P 0 or 1, with too few earlier runs', () => {
    const baseline = baselineOf({throughput: throughput(1000)}, {throughput: summaries(1000)})
    const [expectation] = judge('throughput >= baseline - 10%', {throughput: throughput(950)}, baseline).expectations
    expect(expectation).toMatchObject({p: 1, status: 'PASS'})
    expect(expectation?.baseline?.model).toBe('exact')
    expect(expectation?.reason).toContain('no run-to-run spread yet')
  })

  it("takes a summary-only baseline's statistic as exact for sample metrics and names the statistics it lacks", () => {
    const summaryOnly = baselineOf({latency: samples(latencies(300, 8))}, undefined, false)
    const [expectation] = judge(
      'p95(latency) <= baseline * 1.2',
      {latency: samples(latencies(300, 9))},
      summaryOnly,
    ).expectations
    expect(expectation?.baseline?.model).toBe('bootstrap')
    expect(expectation?.reason).toContain('summary values only')
    expect(judge('p75(latency) <= baseline', {latency: samples(latencies(300, 9))}, summaryOnly).reason).toContain(
      'p75 is not among them',
    )
  })
})
