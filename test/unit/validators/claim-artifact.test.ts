import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import {artifact} from '../../../src/validators/artifact.js'
import {claim} from '../../../src/validators/claim.js'
import {formatPath, parsePath, valueAt} from '../../../src/json-path.js'
import {metricSpecs, resolveOptions} from '../../../src/validators/options.js'
import {collectEvidence, type RunContext} from '../../../src/validators/runner.js'
import type {Validator} from '../../../src/validators/types.js'

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/validators')

const ctx: RunContext = {
  gateDir: FIXTURES,
  log() {},
  progress() {},
  seed: 1,
  services: {},
  target: {id: 't', title: 'T'},
  timeoutMs: 10_000,
}

function collect(validator: Validator, options: Record<string, unknown>) {
  return collectEvidence(validator, options, ctx)
}

/** The metric specs for options as the gate check sees them (defaults applied). */
function specsFor(validator: Validator, options: Record<string, unknown>) {
  return metricSpecs(validator, resolveOptions(validator, options).options)
}

describe('claim validator', () => {
  it.each([
    ['850ms', {dimension: 'duration', value: 850}],
    ['1.5s', {dimension: 'duration', value: 1500}],
    ['52x', {dimension: 'ratio', value: 52}],
    ['92%', {dimension: 'proportion', value: 0.92}],
    ['1000', {dimension: 'count', value: 1000}],
    [7, {dimension: 'count', value: 7}],
  ])('reports %s as one value of claim evidence', async (value, expected) => {
    const outcome = await collect(claim, {metric: 'refresh_latency', source: 'vendor report, 2025-10-09', value})
    expect(outcome).toEqual({
      evidence: {
        kind: 'claim',
        metrics: {refresh_latency: {...expected, type: 'value'}},
        source: 'vendor report, 2025-10-09',
      },
    })
  })

  it('takes the dimension of a plain number from `dimension`', async () => {
    expect(specsFor(claim, {dimension: 'ratio', metric: 'speedup', source: 'paper', value: 40})).toEqual([
      {description: 'claimed by paper', dimension: 'ratio', name: 'speedup', type: 'value'},
    ])
  })

  it('refuses a value whose unit contradicts `dimension`, and a value that is no quantity', () => {
    expect(() => specsFor(claim, {dimension: 'size', metric: 'x', source: 's', value: '850ms'})).toThrow(
      'value "850ms" is a duration but dimension says size',
    )
    expect(() => specsFor(claim, {metric: 'x', source: 's', value: 'fast'})).toThrow('value "fast" is not a quantity')
  })

  it('needs a non-empty source', () => {
    expect(resolveOptions(claim, {metric: 'x', source: '  ', value: 1}).problems.map((p) => p.message)).toEqual([
      'option "source" is not valid: "  "',
    ])
    expect(resolveOptions(claim, {metric: 'x', value: 1}).problems.map((p) => p.message)).toEqual([
      'validator "claim" needs option "source"',
    ])
  })
})

describe('artifact validator', () => {
  it('reads one value under a path with a quoted key, converting its unit', async () => {
    const outcome = await collect(artifact, {
      file: 'k6-summary.json',
      metric: 'p95_latency',
      path: 'metrics.http_req_duration.values["p(95)"]',
      unit: 'ms',
    })
    expect(outcome).toEqual({
      evidence: {
        kind: 'artifact',
        metrics: {p95_latency: {dimension: 'duration', type: 'value', value: 88.5}},
        source: 'artifact: k6-summary.json#metrics.http_req_duration.values["p(95)"]',
      },
    })
  })

  it('reads samples, proportions and percentages from several paths, JSON Pointer included', async () => {
    const outcome = await collect(artifact, {
      file: 'bench-report.json',
      metrics: {
        cold_start: {path: 'runs[0].seconds', type: 'samples', unit: 's'},
        hit_rate: {path: '/cache/hit_rate_percent', unit: '%'},
        lookups: {path: 'cache.lookups', type: 'proportion'},
        odd: {path: '["odd.key"].value'},
      },
    })
    if ('noData' in outcome) throw new Error(outcome.noData)
    expect(outcome.evidence.metrics).toEqual({
      cold_start: {dimension: 'duration', samples: [512, 498, 530, 505], type: 'samples'},
      hit_rate: {dimension: 'proportion', type: 'value', value: 0.925},
      lookups: {events: 925, trials: 1000, type: 'proportion'},
      odd: {dimension: 'count', type: 'value', value: 7},
    })
  })

  it('declares its metrics from the options, so expectations can be checked before running', () => {
    expect(
      specsFor(artifact, {
        file: 'bench-report.json',
        metrics: {
          cold: {path: 'runs[0].seconds', type: 'samples', unit: 's'},
          hits: {path: 'cache.lookups', type: 'proportion'},
        },
      }),
    ).toEqual([
      {description: 'runs[0].seconds in bench-report.json', dimension: 'duration', name: 'cold', type: 'samples'},
      {description: 'cache.lookups in bench-report.json', dimension: 'proportion', name: 'hits', type: 'proportion'},
    ])
  })

  it.each([
    [
      {file: 'missing.json', metric: 'x', path: 'a'},
      `validator artifact failed: artifact missing.json not found (looked for ${path.join(FIXTURES, 'missing.json')})`,
    ],
    [
      {file: 'broken.json', metric: 'x', path: 'a'},
      'validator artifact failed: artifact broken.json is not valid JSON: ',
    ],
    [
      {file: 'k6-summary.json', metric: 'x', path: 'metrics.http_req_duration.values.p99'},
      'k6-summary.json#metrics.http_req_duration.values.p99: metrics.http_req_duration.values has no "p99" (keys: ' +
        'avg, p(90), p(95), max)',
    ],
    [
      {file: 'bench-report.json', metric: 'x', path: 'runs[5].seconds'},
      'runs is an array of 2 items; there is no item 5',
    ],
    [
      {file: 'bench-report.json', metric: 'x', path: 'runs[1].seconds'},
      'runs[1].seconds: holds an array of 3 items, not a number; set type: samples',
    ],
    [
      {file: 'bench-report.json', metric: 'x', path: 'suite'},
      'holds string "startup", not a number; expected a number, an array of numbers or {events, trials}',
    ],
    [
      {file: 'bench-report.json', format: 'csv', metric: 'x', path: 'a'},
      'validator artifact rejected its options: option "format" is "csv"; it must be one of: json',
    ],
  ])('gives NO_DATA with a clear reason for %j', async (options, reason) => {
    const outcome = await collect(artifact, options)
    expect('noData' in outcome && outcome.noData).toContain(reason)
  })

  it('refuses options that do not say which metrics to read', () => {
    expect(() => specsFor(artifact, {file: 'a.json', path: 'x'})).toThrow(
      'needs `path` and `metric` (one metric) or `metrics` (several)',
    )
    expect(() => specsFor(artifact, {file: 'a.json', metric: 'm', metrics: {n: {path: 'y'}}, path: 'x'})).toThrow(
      'not both',
    )
  })
})

describe('json paths', () => {
  it.each([
    ['a.b[0].c', ['a', 'b', 0, 'c']],
    ['values["p(95)"]', ['values', 'p(95)']],
    ["a['x.y'][2]", ['a', 'x.y', 2]],
    ['/a/b~1c/0', ['a', 'b/c', 0]],
  ])('parses %s', (text, steps) => {
    expect(parsePath(text)).toEqual(steps)
  })

  it.each(['', '.a', 'a..b', 'a[x]', 'a[0'])('refuses %j', (text) => {
    expect(() => parsePath(text)).toThrow()
  })

  it('formats paths back for messages and names the missing step', () => {
    expect(formatPath(['a', 0, 'x.y'])).toBe('a[0]["x.y"]')
    expect(() => valueAt({a: [{b: 1}]}, ['a', 0, 'c'])).toThrow('a[0] has no "c" (keys: b)')
    expect(() => valueAt({a: 1}, ['a', 'b'])).toThrow('a has no "b" (it is number)')
  })
})
