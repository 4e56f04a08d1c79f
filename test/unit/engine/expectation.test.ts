import {describe, expect, it} from 'vitest'

import {
  ExpectationSyntaxError,
  checkExpectation,
  parseExpectation,
  percentileOf,
  pointAt,
} from '../../../src/engine/expectation.js'

function syntaxError(text: string): ExpectationSyntaxError {
  try {
    parseExpectation(text)
  } catch (error) {
    if (error instanceof ExpectationSyntaxError) return error
    throw error
  }

  throw new Error(`"${text}" parsed, but it should not`)
}

describe('parseExpectation: good input', () => {
  it.each([
    ['p95(latency) <= 200ms', 'p95', 'latency', '<=', 200, 'duration'],
    ['error_rate<1%', 'value', 'error_rate', '<', 0.01, 'proportion'],
    ['  p99.9( latency )>=1.5s ', 'p99.9', 'latency', '>=', 1500, 'duration'],
    ['speedup >= 40x', 'value', 'speedup', '>=', 40, 'ratio'],
    ['peak.rss <= 512MiB', 'value', 'peak.rss', '<=', 512 * 1024 ** 2, 'size'],
    ['mean(rss) < 2GB', 'mean', 'rss', '<', 2e9, 'size'],
    ['rate(latency) >= 100/s', 'rate', 'latency', '>=', 100, 'rate'],
    ['count(latency) > 1000', 'count', 'latency', '>', 1000, null],
    ['mismatches == 0', 'value', 'mismatches', '==', 0, null],
    ['failures != 3', 'value', 'failures', '!=', 3, null],
    ['p12.5(op_latency) > 250 us', 'p12.5', 'op_latency', '>', 0.25, 'duration'],
    ['median(t) < 2m', 'median', 't', '<', 120_000, 'duration'],
    ['stddev(t) < 1h', 'stddev', 't', '<', 3_600_000, 'duration'],
    ['sum(bytes_out) < 10KB', 'sum', 'bytes_out', '<', 10_000, 'size'],
    ['min(x) > -3e2ns', 'min', 'x', '>', -3e-4, 'duration'],
  ] as const)('%s', (text, statistic, metric, operator, threshold, dimension) => {
    const parsed = parseExpectation(text)
    expect(parsed).toMatchObject({metric, operator, statistic, text, thresholdDimension: dimension})
    expect(parsed.threshold).toBeCloseTo(threshold, 12)
  })

  it('records where each part starts, for later messages', () => {
    expect(parseExpectation('p95(latency) <= 200ms').at).toEqual({metric: 4, operator: 13, statistic: 0, threshold: 16})
    expect(parseExpectation('hits >= 3').at).toEqual({metric: 0, operator: 5, statistic: null, threshold: 8})
  })
})

describe('parseExpectation: thresholds relative to the baseline', () => {
  it.each([
    ['p95(latency) <= baseline * 1.10', {factor: 1.1, kind: 'scale'}, null],
    ['p95(latency) <= baseline', {factor: 1, kind: 'scale'}, null],
    ['throughput >= baseline - 5%', {factor: 0.95, kind: 'scale'}, null],
    ['p99(latency) < baseline + 10%', {factor: 1.1, kind: 'scale'}, null],
    ['speedup >= BASELINE * 0.9x', {factor: 0.9, kind: 'scale'}, null],
    ['p95(latency) <= baseline + 20ms', {amount: 20, kind: 'offset'}, 'duration'],
    ['mean(rss) <= baseline + 1MiB', {amount: 1024 ** 2, kind: 'offset'}, 'size'],
    ['hit_rate >= baseline - 0.05', {amount: -0.05, kind: 'offset'}, null],
  ] as const)('%s', (text, relative, dimension) => {
    const parsed = parseExpectation(text)
    expect(parsed.relative?.kind).toBe(relative.kind)
    if (relative.kind === 'scale') expect((parsed.relative as {factor: number}).factor).toBeCloseTo(relative.factor, 12)
    else expect((parsed.relative as {amount: number}).amount).toBeCloseTo(relative.amount, 12)
    expect(parsed.thresholdDimension).toBe(dimension)
    // Unknown until the baseline is: nothing may compare with it by accident.
    expect(parsed.threshold).toBeNaN()
  })

  it("checks an offset's unit against the metric and lets a scale fit any metric", () => {
    const duration = {dimension: 'duration', type: 'samples'} as const
    expect(checkExpectation(parseExpectation('p95(latency) <= baseline * 1.1'), duration, ['latency'])).toBeNull()
    expect(checkExpectation(parseExpectation('p95(latency) <= baseline + 5ms'), duration, ['latency'])).toBeNull()
    expect(checkExpectation(parseExpectation('p95(latency) <= baseline + 5MB'), duration, ['latency'])).toContain(
      'cannot be compared',
    )
    expect(checkExpectation(parseExpectation('p95(latency) <= baseline + 5'), duration, ['latency'])).toContain(
      'needs a unit',
    )
  })
})

describe('parseExpectation: errors point at the bad token', () => {
  it.each([
    [
      'p9x(latency) < 100ms',
      0,
      3,
      'unknown statistic "p9x" — use min max mean median stddev count sum rate p50 p90 p95 p99 p99.9 or pN',
    ],
    ['p95(latency) < 100msec', 18, 4, 'unknown unit "msec" — did you mean "ms"?'],
    ['p95(latency) 100ms', 13, 5, 'expected an operator (< <= > >= == !=) after "p95(latency)"'],
    ['p95(latency) = 100ms', 13, 1, 'write =='],
    ['x => 3', 2, 2, 'write >='],
    ['p95(latency) <= baseline / 2', 25, 1, 'expected "*", "+" or "-" after "baseline"'],
    ['p95(latency) <= baseline * 10ms', 27, 4, '"baseline * 10ms" scales by a plain factor'],
    ['p95(latency) <= baseline *', 26, 1, 'expected a threshold after "*"'],
    ['p95(latency) <= baseline + -5ms', 27, 4, 'must not be negative'],
    ['p95(latency) <= baseline + 5 furlongs', 29, 8, 'unknown unit "furlongs"'],
    ['p95(latency <= 1', 12, 2, 'expected ")"'],
    ['mean() < 3', 5, 1, 'expected a metric name inside "mean("'],
    ['p95(latency) <=', 15, 1, 'expected a threshold after "<="'],
    ['p95(latency) <= fast', 16, 4, 'expected a number'],
    ['p95(latency) <= 200ms extra', 22, 5, 'unexpected "extra" after the threshold'],
    ['p100(latency) < 1s', 0, 4, 'percentile "p100" is out of range'],
    ['p0(latency) < 1s', 0, 2, 'use min'],
    ['avg(latency) < 1s', 0, 3, 'did you mean "mean"?'],
    ['meen(latency) < 1s', 0, 4, 'did you mean "mean"?'],
    ['p95(latency) < 1 Ms', 17, 2, 'did you mean "ms"?'],
    ['p95(latency) < 1 sec', 17, 3, 'did you mean "s"?'],
    ['hit_rate > 90 percent', 14, 7, 'did you mean "%"?'],
    ['5 < 3', 0, 1, 'expected a metric name'],
    ['', 0, 1, 'empty expectation'],
    ['x < 1e999', 4, 5, 'too large'],
  ])('%s', (text, offset, length, message) => {
    const error = syntaxError(text)
    expect(error.message).toContain(message)
    expect({length: error.length, offset: error.offset}).toEqual({length, offset})
  })

  it('keeps the problem and the hint apart for issue lists', () => {
    const error = syntaxError('p95(latency) < 100msec')
    expect(error.problem).toBe('unknown unit "msec"')
    expect(error.hint).toBe('did you mean "ms"?')
    expect(pointAt('p95(latency) < 100msec', error).split('\n')[1]).toBe(`${' '.repeat(18)}^^^^`)
  })
})

describe('percentileOf', () => {
  it.each([
    ['p50', 0.5],
    ['p99.9', 0.999],
    ['p0.5', 0.005],
    ['median', null],
    ['p100', null],
    ['p0', null],
  ] as const)('%s', (statistic, q) => {
    const value = percentileOf(statistic)
    if (q === null) expect(value).toBeNull()
    else expect(value).toBeCloseTo(q, 12)
  })
})

describe('checkExpectation', () => {
  const latency = {dimension: 'duration', type: 'samples'} as const
  const hitRate = {dimension: 'proportion', type: 'proportion'} as const
  const speedup = {dimension: 'ratio', type: 'value'} as const
  const known = ['latency', 'hit_rate', 'speedup']
  const check = (text: string, shape: Parameters<typeof checkExpectation>[1]) =>
    checkExpectation(parseExpectation(text), shape, known)

  it.each([
    ['p95(latency) <= 200ms', latency],
    ['count(latency) >= 1000', latency],
    ['rate(latency) >= 50/s', latency],
    ['rate(latency) >= 50', latency],
    ['hit_rate >= 90%', hitRate],
    ['hit_rate >= 0.9', hitRate],
    ['speedup >= 40x', speedup],
    ['speedup >= 4000%', speedup],
  ] as const)('accepts %s', (text, shape) => {
    expect(check(text, shape)).toBeNull()
  })

  it.each([
    [
      'p95(latncy) < 1ms',
      undefined,
      'unknown metric "latncy" — did you mean "latency"? (it reports latency, hit_rate, speedup)',
    ],
    ['latency.p95 < 1ms', undefined, 'did you mean p95(latency)?'],
    ['p95 < 1ms', undefined, '"p95" is a statistic, not a metric'],
    ['latency < 100ms', latency, 'name a statistic, e.g. p95(latency) < 100ms'],
    ['p95(hit_rate) > 90%', hitRate, 'compare it bare, e.g. hit_rate > 90%'],
    ['mean(speedup) > 4x', speedup, 'is a single value'],
    ['p95(latency) < 100', latency, 'write 100ms, not 100'],
    ['p95(latency) < 1MB', latency, 'is a duration but 1MB is a size'],
    ['count(latency) > 5s', latency, 'is a count but 5s is a duration'],
    ['hit_rate > 90', hitRate, 'write 90% (or 0.9), not 90'],
  ] as const)('rejects %s', (text, shape, message) => {
    expect(check(text, shape)).toContain(message)
  })
})
