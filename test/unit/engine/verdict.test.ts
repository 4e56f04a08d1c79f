import {describe, expect, it} from 'vitest'

import {parseExpectation} from '../../../src/engine/expectation.js'
import {evaluateGate} from '../../../src/engine/index.js'
import {evaluateExpectation, evaluateTarget, marginPct} from '../../../src/engine/verdict.js'
import {SETTINGS, evidence, samples, spread, target} from './helpers.js'

describe('marginPct', () => {
  it.each([
    [80, '<', 100, 20],
    [120, '<=', 100, -20],
    [120, '>', 100, 20],
    [80, '>=', 100, -20],
    [90, '==', 100, -10],
    [110, '!=', 100, 10],
    [5, '<', -10, -150],
    [5, '<', 0, null],
  ] as const)('%s %s %s → %s', (value, operator, threshold, margin) => {
    const result = marginPct(value, operator, threshold)
    if (margin === null) expect(result).toBeNull()
    else expect(result).toBeCloseTo(margin, 9)
  })
})

function judge(text: string, metrics: Parameters<typeof evidence>[0], extra: Parameters<typeof evidence>[1] = {}) {
  return evaluateExpectation(parseExpectation(text), evidence(metrics, extra), extra.kind ?? 'measured', SETTINGS, 't')
}

describe('expectations over samples', () => {
  it('passes a threshold far above every sample, with the point estimate and the interval', () => {
    const verdict = judge('p95(latency) <= 200ms', {latency: samples(spread(200, 10, 50))})
    // All 200 below: P = P(Bin(200, 0.95) ≤ 199) = 1 − 0.95^200.
    expect(verdict).toMatchObject({
      dimension: 'duration',
      method: 'order-statistic',
      n: 200,
      statistic: 'p95',
      status: 'PASS',
      threshold: 200,
    })
    expect(verdict.p).toBeCloseTo(1 - 0.95 ** 200, 12)
    expect(verdict.value).toBeCloseTo(48, 6)
    expect(verdict.marginPct).toBeCloseTo(76, 6)
    expect(verdict.interval95?.[0]).toBeLessThanOrEqual(verdict.value ?? Number.NaN)
    expect(verdict.bound).toBeLessThan(200)
  })

  it('is INCONCLUSIVE when the threshold sits inside the spread of the statistic', () => {
    const verdict = judge('median(latency) < 30ms', {latency: samples(spread(40, 10, 50))})
    expect(verdict.status).toBe('INCONCLUSIVE')
    expect(verdict.p).toBeGreaterThan(0.05)
    expect(verdict.p).toBeLessThan(0.95)
  })

  it('one sample cannot show a p95: P = 0.5, no interval, and 58 more samples all below would PASS it', () => {
    const verdict = judge('p95(latency) < 1s', {latency: samples([3])})
    expect(verdict).toMatchObject({
      interval95: null,
      more: {samples: 58, toward: 'PASS'},
      n: 1,
      p: 0.5,
      status: 'INCONCLUSIVE',
      value: 3,
    })
    expect(verdict.reason).toBe('1 observation cannot bound p95 on the low side at 95%')
  })

  it('no samples is NO_DATA', () => {
    expect(judge('p95(latency) < 1s', {latency: samples([])})).toMatchObject({
      p: null,
      reason: '"latency" has no samples',
      status: 'NO_DATA',
    })
  })

  it('count is exact and counts every sample seen', () => {
    expect(judge('count(latency) >= 1000', {latency: samples(spread(100, 1, 2), 'duration', 5000)})).toMatchObject({
      bound: 5000,
      dimension: 'count',
      interval95: null,
      method: 'exact',
      p: 1,
      status: 'PASS',
      value: 5000,
    })
  })

  it('rate is samples seen per second of the measurement window', () => {
    const verdict = judge(
      'rate(latency) >= 100/s',
      {latency: samples(spread(50, 1, 2), 'duration', 600)},
      {durationMs: 5000},
    )
    expect(verdict).toMatchObject({dimension: 'rate', method: 'exact', p: 1, status: 'PASS', value: 120})
  })

  it('rate without a measurement window is NO_DATA, not a guess', () => {
    expect(judge('rate(latency) >= 100/s', {latency: samples([1, 2])}).reason).toContain(
      'needs the length of the measurement window',
    )
  })

  it('sum of a reservoir estimates the sum of everything seen', () => {
    expect(judge('sum(rss) < 1KB', {rss: samples([100, 300], 'size', 10)}).value).toBe(2000)
  })

  it('a bare metric over samples is NO_DATA that says which statistics fit', () => {
    expect(judge('latency < 1s', {latency: samples([1, 2])})).toMatchObject({
      reason: expect.stringContaining('name a statistic, e.g. p95(latency) < 1s'),
      status: 'NO_DATA',
    })
  })

  it('a duration compared with a bare number is NO_DATA, never compared in the wrong unit', () => {
    expect(judge('p95(latency) < 100', {latency: samples([1, 2])}).reason).toContain('write 100ms, not 100')
  })

  it('samples that are not numbers are NO_DATA', () => {
    expect(judge('mean(latency) < 1s', {latency: samples([1, Number.NaN, 3])}).reason).toContain('1 of the 3 samples')
  })
})

describe('expectations over single values', () => {
  it.each([
    ['speedup >= 40x', 52, 1, 'PASS'],
    ['speedup >= 40x', 39, 0, 'FAIL'],
    ['speedup == 52x', 52, 1, 'PASS'],
    ['speedup != 52x', 52, 0, 'FAIL'],
  ] as const)('%s with %s → P %s', (text, value, p, status) => {
    expect(judge(text, {speedup: {dimension: 'ratio', type: 'value', value}})).toMatchObject({
      interval95: null,
      method: 'exact',
      n: 1,
      p,
      status,
      value,
    })
  })

  it('a statistic over a single value is NO_DATA that says to compare it bare', () => {
    expect(judge('p95(speedup) >= 40x', {speedup: {dimension: 'ratio', type: 'value', value: 52}}).reason).toContain(
      'compare it bare, e.g. speedup >= 40x',
    )
  })
})

describe('expectations over proportions', () => {
  it(
    'P is the exact binomial probability: 0 errors in 299 against < 1% is P(Bin(299, 0.99) ≤ 298) = 1 − ' + '0.99^299',
    () => {
      const verdict = judge('error_rate < 1%', {error_rate: {events: 0, trials: 299, type: 'proportion'}})
      expect(verdict.p).toBeCloseTo(1 - 0.99 ** 299, 12)
      expect(verdict).toMatchObject({dimension: 'proportion', method: 'beta', n: 299, status: 'PASS', value: 0})
      expect(verdict.interval95?.[0]).toBe(0)
      expect(verdict.bound).toBeLessThanOrEqual(0.01)
    },
  )

  it('P above the threshold is the upper mass, and the interval is Wilson', () => {
    const verdict = judge('hit_rate > 5%', {hit_rate: {events: 15, trials: 148, type: 'proportion'}})
    expect(verdict.p).toBeGreaterThan(0.99)
    expect(verdict.interval95?.[0]).toBeCloseTo(0.0624, 4)
    expect(verdict.interval95?.[1]).toBeCloseTo(0.1605, 4)
    expect(verdict.bound).toBeGreaterThanOrEqual(0.05)
  })

  it('a proportion never equals a value exactly', () => {
    expect(judge('error_rate == 0', {error_rate: {events: 0, trials: 10_000, type: 'proportion'}})).toMatchObject({
      p: 0,
      status: 'FAIL',
    })
    expect(judge('error_rate != 0', {error_rate: {events: 0, trials: 10_000, type: 'proportion'}})).toMatchObject({
      p: 1,
      status: 'PASS',
    })
  })

  it('zero trials is NO_DATA', () => {
    expect(judge('error_rate < 1%', {error_rate: {events: 0, trials: 0, type: 'proportion'}}).status).toBe('NO_DATA')
  })
})

describe('evaluateTarget', () => {
  const latency = samples(spread(300, 10, 50))

  it('P_target is the smallest P, and quality pulls confidence toward 0.5', () => {
    const verdict = evaluateTarget(
      SETTINGS,
      target('api', ['p95(latency) < 1s', 'median(latency) < 30ms'], {
        evidence: evidence({latency}, {kind: 'artifact'}),
      }),
    )
    const ps = verdict.expectations.map((e) => e.p ?? Number.NaN)
    expect(verdict.p).toBe(Math.min(...ps))
    expect(verdict.confidence).toBeCloseTo(0.5 + 0.9 * ((verdict.p ?? 0) - 0.5), 12)
    expect(verdict.evidence?.quality).toBe(0.9)
  })

  it('artifact evidence PASSes on P alone; its quality 0.9 only weighs the consensus', () => {
    const verdict = evaluateTarget(
      SETTINGS,
      target('k6', ['p95(latency) < 1s'], {evidence: evidence({latency}, {kind: 'artifact'})}),
    )
    expect(verdict).toMatchObject({status: 'PASS'})
    expect(verdict.p).toBeCloseTo(1 - 0.95 ** 300, 12)
    expect(verdict.confidence).toBeCloseTo(0.5 + 0.9 * ((verdict.p ?? 0) - 0.5), 12)
  })

  it('a k6 summary with 30 failed of 1,000 requests PASSes < 5% and FAILs < 1%', () => {
    const failed = {http_req_failed: {events: 30, trials: 1000, type: 'proportion' as const}}
    const k6 = evaluateTarget(
      SETTINGS,
      target('k6', ['http_req_failed < 5%'], {evidence: evidence(failed, {kind: 'artifact'})}),
    )
    const strict = evaluateTarget(
      SETTINGS,
      target('k6', ['http_req_failed < 1%'], {evidence: evidence(failed, {kind: 'artifact'})}),
    )
    expect([k6.status, strict.status]).toEqual(['PASS', 'FAIL'])
  })

  it('a claim is never PASS or FAIL, and says it needs measuring', () => {
    const claimed = (value: number) =>
      evaluateTarget(
        SETTINGS,
        target('c', ['speedup >= 40x'], {
          evidence: evidence({speedup: {dimension: 'ratio', type: 'value', value}}, {kind: 'claim'}),
        }),
      )
    expect([claimed(52).status, claimed(3).status]).toEqual(['INCONCLUSIVE', 'INCONCLUSIVE'])
    expect(claimed(52).expectations[0]?.more).toEqual({samples: null, why: 'a claim is never PASS or FAIL: measure it'})
  })

  it('a gate may lower quality but never raise it above the kind default', () => {
    const claim = (quality: number) =>
      evaluateTarget(
        SETTINGS,
        target(
          'c',
          ['speedup >= 40x'],
          {evidence: evidence({speedup: {dimension: 'ratio', type: 'value', value: 52}}, {kind: 'claim'})},
          {quality},
        ),
      )
    expect(claim(1)).toMatchObject({confidence: 0.65, status: 'INCONCLUSIVE'})
    expect(claim(0.1).confidence).toBeCloseTo(0.55, 12)
  })

  it('a missing metric makes the target NO_DATA and names what the evidence has', () => {
    const verdict = evaluateTarget(
      SETTINGS,
      target('api', ['p95(latency) < 1s', 'error_rate < 1%'], {
        evidence: evidence({latency, throughput: {dimension: 'rate', type: 'value', value: 3}}),
      }),
    )
    expect(verdict).toMatchObject({confidence: 0, p: null, status: 'NO_DATA'})
    expect(verdict.reason).toContain('metric "error_rate" is missing from the evidence (it has latency, throughput)')
    expect(verdict.expectations.map((e) => e.status)).toEqual(['PASS', 'NO_DATA'])
  })

  it('a validator that failed gives NO_DATA with its reason on the target and every expectation', () => {
    const verdict = evaluateTarget(
      SETTINGS,
      target('fleet', ['p95(allocation_latency) < 1s', 'error_rate < 1%'], {noData: 'timed out after 30 s'}),
    )
    expect(verdict).toMatchObject({
      confidence: 0,
      evidence: null,
      p: null,
      reason: 'timed out after 30 s',
      status: 'NO_DATA',
    })
    expect(verdict.expectations.map((e) => [e.status, e.reason])).toEqual([
      ['NO_DATA', 'no evidence: timed out after 30 s'],
      ['NO_DATA', 'no evidence: timed out after 30 s'],
    ])
    expect(verdict.expectations[0]).toMatchObject({
      dimension: 'duration',
      metric: 'allocation_latency',
      statistic: 'p95',
      threshold: 1000,
    })
  })

  it('summarises the evidence with the same numbers the expectations use', () => {
    const verdict = evaluateTarget(
      SETTINGS,
      target('api', ['p95(latency) < 1s', 'mean(latency) < 1s'], {
        evidence: evidence({errors: {events: 3, trials: 60, type: 'proportion'}, latency}),
      }),
    )
    const summary = verdict.evidence?.metrics.find((m) => m.name === 'latency')
    expect(summary).toMatchObject({max: 50, min: 10, n: 300, seen: 300})
    expect(summary?.p95).toBe(verdict.expectations[0]?.value)
    expect(summary?.mean).toBe(verdict.expectations[1]?.value)
    expect(verdict.evidence?.metrics.find((m) => m.name === 'errors')).toMatchObject({
      events: 3,
      n: 60,
      trials: 60,
      value: 0.05,
    })
  })

  it('gives the same numbers whatever else is in the gate: the RNG is seeded per target and expectation', () => {
    const api = target('api', ['mean(latency) < 31ms'], {evidence: evidence({latency})})
    const other = target('other', ['mean(latency) < 31ms'], {evidence: evidence({latency})})
    const alone = evaluateGate(SETTINGS, [api]).targets[0]
    const withOther = evaluateGate(SETTINGS, [other, api]).targets[1]
    expect(withOther).toEqual(alone)
    expect(evaluateGate({...SETTINGS, seed: 43}, [api]).targets[0]?.expectations[0]?.interval95).not.toEqual(
      alone?.expectations[0]?.interval95,
    )
  })
})
