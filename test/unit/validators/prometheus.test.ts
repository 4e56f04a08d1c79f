// What the prometheus validator checks before any query runs; the queries themselves are tested
// against a real Prometheus in test/integration/prometheus.test.ts.
import {describe, expect, it} from 'vitest'

import {builtinValidators} from '../../../src/validators/builtin.js'
import {metricSpecs, resolveOptions} from '../../../src/validators/options.js'
import {prometheus} from '../../../src/validators/prometheus.js'

const URL = 'http://127.0.0.1:9090'
const specsFor = (options: Record<string, unknown>) =>
  metricSpecs(prometheus, resolveOptions(prometheus, {url: URL, ...options}).options)
const problemsOf = (options: Record<string, unknown>) =>
  resolveOptions(prometheus, options).problems.map(({message}) => message)

describe('prometheus validator options', () => {
  it('is a built-in validator whose evidence is of kind artifact', () => {
    expect(builtinValidators).toContain(prometheus)
    expect(prometheus.kind).toBe('artifact')
  })

  it('declares one value per query, samples for a range, in the unit or dimension the gate gives', () => {
    expect(
      specsFor({
        queries: {
          errors: 'sum(rate(http_requests_total{code=~"5.."}[5m]))',
          p95: {query: 'histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))', unit: 's'},
        },
      }),
    ).toEqual([
      {
        description: 'PromQL sum(rate(http_requests_total{code=~"5.."}[5m]))',
        dimension: 'count',
        name: 'errors',
        type: 'value',
      },
      {
        description: 'PromQL histogram_quantile(0.95, sum by (le) (rate(x_bucket[5m])))',
        dimension: 'duration',
        name: 'p95',
        type: 'value',
      },
    ])
    expect(
      specsFor({dimension: 'proportion', metric: 'hit_ratio', query: 'a / b', range: {duration: '5m', step: '15s'}}),
    ).toEqual([
      {
        description: 'PromQL a / b over the last 5m, every 15s',
        dimension: 'proportion',
        name: 'hit_ratio',
        type: 'samples',
      },
    ])
  })

  it.each([
    [{query: 'up'}, 'needs `query` and `metric` (one metric) or `queries` (several: name → PromQL)'],
    [
      {metric: 'up', queries: {a: 'up'}, query: 'up'},
      'give either `query` and `metric` (one metric) or `queries` (several), not both',
    ],
    [
      {metric: 'up', query: 'up', range: {duration: '10s', step: '1m'}},
      'range.step 1m is longer than range.duration 10s: there would be at most one sample',
    ],
    [
      {queries: {p95: {dimension: 'count', query: 'x', unit: 's'}}},
      'metric p95: unit s is a duration but dimension says count; drop dimension, it is only for plain numbers',
    ],
  ])('refuses %j before anything runs', (options, message) => {
    expect(() => specsFor(options)).toThrow(message)
  })

  it("checks the options' shapes with its schema, and fills in the timeout", () => {
    expect(problemsOf({metric: 'x', query: 'up', url: 'not a url'})).toEqual(['option "url" is not valid: "not a url"'])
    expect(problemsOf({aggregate: 'median', metric: 'x', query: 'up', url: URL})).toEqual([
      'option "aggregate" is "median"; it must be one of: avg, max, min, sum',
    ])
    expect(problemsOf({metric: 'x', query: 'up', range: {duration: '5m'}, url: URL})).toEqual([
      'validator "prometheus" needs option "range.step"',
    ])
    expect(problemsOf({queries: {'bad name': 'up'}, url: URL})).toContain('option "queries" is not valid: "bad name"')
    expect(resolveOptions(prometheus, {metric: 'x', query: 'up', url: URL}).options.timeout).toBe('10s')
  })
})
