import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'

import {checkExpectation, evaluateGate, parseExpectation} from '../../../src/engine/index.js'
import {artifact} from '../../../src/validators/artifact.js'
import {metricSpecs, resolveOptions} from '../../../src/validators/options.js'
import {collectEvidence} from '../../../src/validators/runner.js'
import {measure, runContext, valueOf} from '../../helpers/evidence.js'

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/artifacts')
const SHAPES = ['k6-handle-summary.json', 'k6-summary-export.json', 'k6-machine-readable.json']
const scratch = mkdtempSync(path.join(os.tmpdir(), 'phasegate-k6-'))
afterAll(() => rmSync(scratch, {force: true, recursive: true}))

const read = (options: Record<string, unknown>, gateDir = FIXTURES) =>
  measure(artifact, {format: 'k6', ...options}, {gateDir})

/** The NO_DATA reason for these options; a test fails if there is evidence instead. */
async function noData(options: Record<string, unknown>, gateDir = FIXTURES): Promise<string> {
  const outcome = await collectEvidence(artifact, {format: 'k6', ...options}, runContext({gateDir}))
  if (!('noData' in outcome)) throw new Error(`expected NO_DATA, got ${JSON.stringify(outcome.evidence)}`)
  return outcome.noData
}

/** A k6 file written for one test into the scratch directory; returns its name there. */
function k6File(name: string, document: unknown): string {
  writeFileSync(path.join(scratch, name), typeof document === 'string' ? document : JSON.stringify(document))
  return name
}

/** What `gate validate` says about these expectations for these options (null when they fit). */
function problems(options: Record<string, unknown>, expectations: string[]): Array<string | null> {
  const specs = metricSpecs(artifact, resolveOptions(artifact, {format: 'k6', ...options}).options)
  return expectations.map((text) => {
    const expression = parseExpectation(text)
    return checkExpectation(
      expression,
      specs.find((spec) => spec.name === expression.metric),
      specs.map((spec) => spec.name),
    )
  })
}

describe('artifact format k6', () => {
  it('reads percentiles as values and rates as proportions of passes, naming each metric after its path', async () => {
    const evidence = await read({
      file: 'k6-handle-summary.json',
      metrics: [
        'http_req_duration.p95',
        'http_req_duration.p(99)',
        'http_req_failed',
        'checks',
        'http_reqs.count',
        'http_reqs.rate',
        'vus.max',
        'data_received.count',
      ],
    })
    expect(evidence).toMatchObject({
      durationMs: 30_016.412,
      kind: 'artifact',
      source: 'k6 summary k6-handle-summary.json (handleSummary data)',
    })
    expect(evidence.metrics).toEqual({
      checks: {events: 23_760, trials: 23_808, type: 'proportion'},
      'data_received.count': {dimension: 'size', type: 'value', value: 3_571_200},
      'http_req_duration.p95': {dimension: 'duration', type: 'value', value: 96.2},
      'http_req_duration.p99': {dimension: 'duration', type: 'value', value: 181.5},
      // k6 counts a failed request as a "pass" of http_req_failed: 24 of 11904 requests failed.
      http_req_failed: {events: 24, trials: 11_904, type: 'proportion'},
      'http_reqs.count': {dimension: 'count', type: 'value', value: 11_904},
      'http_reqs.rate': {dimension: 'rate', type: 'value', value: 396.582_951_957_8},
      'vus.max': {dimension: 'count', type: 'value', value: 20},
    })
    expect(evidence.notes).toContain(
      "k6's own threshold verdicts in the file were ignored (--summary-export writes them inverted, true meaning " +
        'crossed); the gate decides from the values',
    )
    expect(evidence.notes).toContain(
      'k6 summaries hold statistics, not samples: each expectation on a k6 value holds or fails outright',
    )
  })

  it.each(SHAPES)('gives the same numbers from %s, whichever shape k6 wrote', async (file) => {
    const evidence = await read({
      file,
      metrics: {
        failed: 'http_req_failed',
        ok: 'checks',
        p95: 'http_req_duration.p95',
        requests: 'http_reqs.count',
        slowest: 'http_req_duration.max',
        users: 'vus.value',
      },
    })
    expect(evidence.metrics).toEqual({
      failed: {events: 24, trials: 11_904, type: 'proportion'},
      ok: {events: 23_760, trials: 23_808, type: 'proportion'},
      p95: {dimension: 'duration', type: 'value', value: 96.2},
      requests: {dimension: 'count', type: 'value', value: 11_904},
      slowest: {dimension: 'duration', type: 'value', value: 412.9},
      users: {dimension: 'count', type: 'value', value: 20},
    })
  })

  it("reads the machine-readable summary as k6's own TestMachineReadableSummary has it: p95, k6_version", async () => {
    const evidence = await read({
      file: 'k6-machine-readable-k6-test.json',
      metrics: {
        checks: 'checks',
        custom: 'custom_iterations.count',
        iteration_p95: 'iteration_duration.p95',
        iteration_p90: 'iteration_duration.p(90)',
        iterations: 'iterations.count',
        sent: 'data_sent.count',
      },
    })
    expect(evidence.source).toBe(
      'k6 summary k6-machine-readable-k6-test.json (machine-readable summary 1.0.0, k6 2.2.0)',
    )
    expect(evidence.durationMs).toBeCloseTo(3.517, 9)
    expect(evidence.metrics).toEqual({
      checks: {events: 1, trials: 1, type: 'proportion'},
      custom: {dimension: 'count', type: 'value', value: 1},
      iteration_p90: {dimension: 'duration', type: 'value', value: 0.208_512},
      iteration_p95: {dimension: 'duration', type: 'value', value: 0.208_512},
      iterations: {dimension: 'count', type: 'value', value: 1},
      sent: {dimension: 'size', type: 'value', value: 0},
    })
  })

  it('says which shape the file was, with the k6 version when the file gives it', async () => {
    const sources = await Promise.all(
      SHAPES.map(async (file) => (await read({file, metric: 'p95', path: 'http_req_duration.p95'})).source),
    )
    expect(sources).toEqual([
      'k6 summary k6-handle-summary.json (handleSummary data)',
      'k6 summary k6-summary-export.json (--summary-export)',
      'k6 summary k6-machine-readable.json (machine-readable summary 1.0.0, k6 1.6.0)',
    ])
  })

  it(
    "ignores k6's threshold flags, inverted or not: a p95 over the gate's threshold FAILs even where k6 wrote " +
      '"false"',
    async () => {
      // k6-summary-export.json says {"p(95)<150": true} for order_latency: crossed, in --summary-export's inverted
      // sense.
      const evidence = await read({
        file: 'k6-summary-export.json',
        metrics: {orders_p95: {path: 'order_latency.p95', unit: 'ms'}, p95: 'http_req_duration.p95'},
      })
      const settings = {confidence: 0.95, minConsensus: 0.85, resamples: 200, seed: 1}
      const target = (id: string, expectations: string[]) => ({
        collected: {evidence},
        expectations: expectations.map((text) => parseExpectation(text)),
        id,
        level: 'error' as const,
        required: true,
        title: id,
        validator: 'artifact',
        weight: 1,
      })
      const {targets} = evaluateGate(settings, [
        target('api', ['p95 < 100ms']),
        target('orders', ['orders_p95 < 150ms']),
      ])
      expect(targets.map(({id, p, status}) => ({id, p, status}))).toEqual([
        {id: 'api', p: 1, status: 'PASS'},
        {id: 'orders', p: 0, status: 'FAIL'},
      ])
    },
  )

  it(
    '30 failed of 1,000 requests in a k6 summary PASS http_req_failed < 5% and FAIL < 1%: counts decide a ' +
      'proportion (scoring v2)',
    async () => {
      const exported = JSON.parse(readFileSync(path.join(FIXTURES, 'k6-summary-export.json'), 'utf8')) as {
        metrics: Record<string, Record<string, unknown>>
      }
      // k6 counts a failed request as a "pass" of http_req_failed.
      exported.metrics.http_req_failed = {...exported.metrics.http_req_failed, fails: 970, passes: 30, value: 0.03}
      const evidence = await read({file: k6File('thirty-failed.json', exported), metrics: ['http_req_failed']}, scratch)
      expect(evidence.metrics.http_req_failed).toEqual({events: 30, trials: 1000, type: 'proportion'})
      const settings = {confidence: 0.95, minConsensus: 0.85, resamples: 200, seed: 1}
      const target = (id: string, expectations: string[]) => ({
        collected: {evidence},
        expectations: expectations.map((text) => parseExpectation(text)),
        id,
        level: 'error' as const,
        required: true,
        title: id,
        validator: 'artifact',
        weight: 1,
      })
      const {targets} = evaluateGate(settings, [
        target('under-5', ['http_req_failed < 5%']),
        target('under-1', ['http_req_failed < 1%']),
      ])
      expect(targets.map(({id, status}) => ({id, status}))).toEqual([
        {id: 'under-5', status: 'PASS'},
        {id: 'under-1', status: 'FAIL'},
      ])
    },
  )

  it('reads a tagged submetric by its key in the summary', async () => {
    const evidence = await read({
      file: 'k6-handle-summary.json',
      metrics: {ok_p95: 'http_req_duration{expected_response:true}.p95'},
    })
    expect(valueOf(evidence.metrics.ok_p95)).toBe(95.8)
  })

  it(
    'reads a custom time trend as durations only when the gate says so, and cross-checks what k6 says it ' + 'holds',
    async () => {
      expect(await noData({file: 'k6-handle-summary.json', metrics: ['order_latency.p95']})).toContain(
        'k6-handle-summary.json: metrics.order_latency.values: k6 says order_latency holds times in ms (contains: ' +
          'time), not counts; give unit: ms to read them as durations',
      )
      const handled = await read({
        file: 'k6-handle-summary.json',
        metrics: {orders_p95: {path: 'order_latency.p95', unit: 'ms'}, cart_p95: 'cart_size.p95'},
      })
      expect(handled.metrics).toEqual({
        cart_p95: {dimension: 'count', type: 'value', value: 7},
        orders_p95: {dimension: 'duration', type: 'value', value: 171.9},
      })
      // --summary-export does not say what a custom metric holds: read as given, and said so.
      const exported = await read({file: 'k6-summary-export.json', metrics: ['order_latency.p95']})
      expect(exported.metrics['order_latency.p95']).toEqual({dimension: 'count', type: 'value', value: 171.9})
      expect(exported.notes).toContain(
        'order_latency: --summary-export does not say what a custom metric holds; read as plain numbers (give unit: ' +
          'ms if they are times)',
      )
    },
  )

  it('names the statistic k6 was not asked to keep, and where to ask for it', async () => {
    expect(await noData({file: 'k6-handle-summary.json', metrics: ['http_req_duration.p99.9']})).toContain(
      'k6-handle-summary.json: metrics.http_req_duration.values: expected an object with p(99.9), found an object ' +
        'with keys avg, min, med, max, p(90), p(95), p(99), count — add "p(99.9)" to k6\'s summaryTrendStats',
    )
    expect(await noData({file: 'k6-machine-readable.json', metrics: ['http_req_duration.p99']})).toBe(
      'validator artifact failed: k6-machine-readable.json: results.metrics[0].values: expected an object with p99, ' +
        'found an object with keys avg, max, med, min, p90, p95 — the machine-readable summary keeps only ' +
        'avg, min, med, max, p90, p95; for p99 export handleSummary data, ' +
        'or --summary-export without --new-machine-readable-summary',
    )
    // k6 writes a trend statistic it did not keep (not in summaryTrendStats) as null.
    const withoutP90 = JSON.parse(readFileSync(path.join(FIXTURES, 'k6-machine-readable.json'), 'utf8')) as {
      results: {metrics: Array<{values: Record<string, unknown>}>}
    }
    withoutP90.results.metrics[0]!.values.p90 = null
    expect(
      await noData({file: k6File('without-p90.json', withoutP90), metrics: ['http_req_duration.p90']}, scratch),
    ).toContain('expected an object with p90, found an object with keys avg, max, med, min, p90, p95 — add "p(90)"')
    expect(await noData({file: 'k6-machine-readable.json', metrics: ['http_reqs.rate']})).toContain(
      'k6-machine-readable.json: results.metrics[3].values: expected an object with rate, found an object with keys ' +
        'count',
    )
    expect(await noData({file: 'k6-handle-summary.json', metrics: ['http_grpc_duration.p95']})).toContain(
      'k6-handle-summary.json: metrics: no k6 metric http_grpc_duration (the file has http_req_duration, ' +
        'http_req_duration{expected_response:true}, http_req_failed, checks,',
    )
  })

  it.each([
    [
      {metrics: ['http_reqs']},
      "format k6: metric http_reqs: k6's http_reqs is a counter; read http_reqs.count or http_reqs.rate",
    ],
    [
      {metrics: ['http_req_failed.p95']},
      "k6's http_req_failed is a rate; read http_req_failed (a proportion of passes) or http_req_failed.passes / " +
        'http_req_failed.fails',
    ],
    [
      {metrics: {p95: {path: 'http_req_duration.p95', unit: 's'}}},
      'metric p95: k6 writes http_req_duration in ms; give unit: ms or none',
    ],
    [
      {metrics: {failed: {path: 'http_req_failed', unit: '%'}}},
      'metric failed: k6 computes http_req_failed itself; it takes no unit',
    ],
    [
      {metrics: {failed: {path: 'http_req_failed', type: 'samples'}}},
      'a k6 reading takes its type from the statistic it names (http_req_failed); drop type',
    ],
    [{metrics: ['http_req_duration.p95x']}, '"http_req_duration.p95x": k6 has no statistic "p95x"'],
    [
      {metrics: ['http_req_duration{expected_response:true}.p95']},
      'metrics: "http_req_duration{expected_response:true}.p95" cannot be a metric name; name it',
    ],
    [
      {metrics: ['http_req_duration.p95', 'http_req_duration.p(95)']},
      'metrics: two paths give the metric name http_req_duration.p95',
    ],
  ])('refuses %j before anything runs', (options, message) => {
    expect(() =>
      metricSpecs(artifact, resolveOptions(artifact, {file: 'k6.json', format: 'k6', ...options}).options),
    ).toThrow(message)
  })

  it('declares what each reading gives, so expectations read naturally and are checked before the run', () => {
    const options = {
      file: 'results/k6.json',
      metrics: ['http_req_duration.p95', 'http_req_failed', 'checks', 'http_reqs.rate', 'data_sent.count'],
    }
    expect(
      problems(options, [
        'http_req_duration.p95 < 500ms',
        'http_req_failed < 1%',
        'checks >= 99%',
        'http_reqs.rate > 100/s',
        'data_sent.count < 10MiB',
      ]),
    ).toEqual([null, null, null, null, null])
    expect(problems(options, ['p95(http_req_duration) < 500ms', 'http_req_duration.p95 < 500'])).toEqual([
      'unknown metric "http_req_duration" (it reports http_req_duration.p95, http_req_failed, checks, ' +
        'http_reqs.rate, data_sent.count)',
      '"http_req_duration.p95" is a duration, so its threshold needs a unit: write 500ms, not 500',
    ])
  })

  it.each([
    ['not JSON', '{"metrics": {', 'http_req_duration.p95', 'artifact k6.json is not valid JSON: '],
    [
      'metrics not an object',
      {metrics: []},
      'http_req_duration.p95',
      'k6.json: metrics: expected an object of k6 metrics (--summary-export or handleSummary data) or ' +
        'results.metrics (machine-readable summary), found an empty array',
    ],
    [
      'a percentile missing',
      {metrics: {http_req_duration: {avg: 41.2, max: 120}}},
      'http_req_duration.p95',
      'k6.json: metrics.http_req_duration: expected an object with p(95), found an object with keys avg, max — add ' +
        '"p(95)" to k6\'s summaryTrendStats',
    ],
    [
      'a percentile that is no number',
      {metrics: {http_req_duration: {'p(95)': '96ms'}}},
      'http_req_duration.p95',
      'k6.json: metrics.http_req_duration.p(95): expected a number, found the string "96ms"',
    ],
    [
      'values that are no object',
      {metrics: {http_req_duration: {type: 'trend', values: 'fast'}}},
      'http_req_duration.p95',
      'k6.json: metrics.http_req_duration.values: expected an object, found the string "fast"',
    ],
    [
      'an unknown metric type',
      {metrics: {http_req_duration: {type: 'histogram', values: {'p(95)': 1}}}},
      'http_req_duration.p95',
      'k6.json: metrics.http_req_duration.type: expected counter, gauge, rate or trend, found the string "histogram"',
    ],
    [
      'counts that are not whole',
      {metrics: {http_req_failed: {fails: 10, passes: 2.5, value: 0.2}}},
      'http_req_failed',
      'k6.json: metrics.http_req_failed.passes: expected a whole number ≥ 0, found the number 2.5',
    ],
    [
      'a metric whose values fit no kind',
      {metrics: {http_req_failed: {thresholds: {}}}},
      'http_req_failed',
      'k6.json: metrics.http_req_failed: expected the values of a k6 trend, rate, counter or gauge, found an object ' +
        'with keys thresholds',
    ],
    [
      'a machine-readable metric without a name',
      {results: {metrics: [{type: 'trend', values: {}}]}},
      'http_req_duration.p95',
      'k6.json: results.metrics[0]: expected a metric {name, type, contains, values}, found an object with keys ' +
        'type, values',
    ],
  ])('rejects a file with %s, naming the file and the field', async (_what, document, metricPath, message) => {
    const reason = await noData({file: k6File('k6.json', document), metric: 'm', path: metricPath}, scratch)
    expect(reason).toContain(message)
  })

  it('keeps a rate without counts as one proportion value, and says so', async () => {
    const evidence = await read(
      {file: k6File('rate-only.json', {metrics: {checks: {type: 'rate', values: {rate: 0.995}}}}), metrics: ['checks']},
      scratch,
    )
    expect(evidence.metrics.checks).toEqual({dimension: 'proportion', type: 'value', value: 0.995})
    expect(evidence.notes).toContain(
      'checks: the file gives its rate without passes and fails, so it is one value, not counts',
    )
  })
})
