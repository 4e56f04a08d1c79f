// The artifact validator over real outputs of autocannon, hyperfine, vitest's JUnit reporter and an
// NDJSON access log (test/fixtures/artifacts/README.md says how each was made), and over broken ones.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'

import {artifact} from '../../../src/validators/artifact.js'
import {metricSpecs, resolveOptions} from '../../../src/validators/options.js'
import {collectEvidence} from '../../../src/validators/runner.js'
import {measure, runContext, samplesOf, valueOf} from '../../helpers/evidence.js'

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/artifacts')
const scratch = mkdtempSync(path.join(os.tmpdir(), 'phasegate-artifacts-'))
afterAll(() => rmSync(scratch, {force: true, recursive: true}))

const read = (options: Record<string, unknown>, gateDir = FIXTURES) => measure(artifact, options, {gateDir})
const raw = (name: string): any => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8'))

async function noData(options: Record<string, unknown>, gateDir = FIXTURES): Promise<string> {
  const outcome = await collectEvidence(artifact, options, runContext({gateDir}))
  if (!('noData' in outcome)) throw new Error(`expected NO_DATA, got ${JSON.stringify(outcome.evidence)}`)
  return outcome.noData
}

/** A file written for one test into the scratch directory; returns its name there. */
function scratchFile(name: string, text: string): string {
  writeFileSync(path.join(scratch, name), text)
  return name
}

const specsFor = (options: Record<string, unknown>) => metricSpecs(artifact, resolveOptions(artifact, options).options)

describe('artifact format autocannon', () => {
  const result = raw('autocannon.json')

  it('reads latency percentiles in ms, request rates, counts and the share of failed requests', async () => {
    const evidence = await read({
      file: 'autocannon.json',
      format: 'autocannon',
      metrics: [
        'latency.p99',
        'latency.p97_5',
        'latency.mean',
        'requests.mean',
        'requests.total',
        'throughput.total',
        'non2xx',
        'error_rate',
        'duration',
      ],
    })
    expect(evidence.metrics).toEqual({
      duration: {dimension: 'duration', type: 'value', value: result.duration * 1000},
      error_rate: {
        events: result.non2xx + result.errors,
        trials: result.requests.total + result.errors,
        type: 'proportion',
      },
      'latency.mean': {dimension: 'duration', type: 'value', value: result.latency.mean},
      'latency.p97_5': {dimension: 'duration', type: 'value', value: result.latency.p97_5},
      'latency.p99': {dimension: 'duration', type: 'value', value: result.latency.p99},
      non2xx: {dimension: 'count', type: 'value', value: result.non2xx},
      'requests.mean': {dimension: 'rate', type: 'value', value: result.requests.mean},
      'requests.total': {dimension: 'count', type: 'value', value: result.requests.total},
      'throughput.total': {dimension: 'size', type: 'value', value: result.throughput.total},
    })
    // The sample server answers 503 to every 50th request: the fixture has failures to count.
    expect(result.non2xx).toBeGreaterThan(0)
    expect(evidence).toMatchObject({
      durationMs: result.duration * 1000,
      kind: 'artifact',
      source: `autocannon autocannon.json (${result.url}, 4 connections, ${result.duration} s)`,
    })
    expect(evidence.notes).toContain(`autocannon counted ${result['5xx']} 5xx`)
  })

  it('reads responses by status code, zero for a code that never came back', async () => {
    const evidence = await read({
      file: 'autocannon.json',
      format: 'autocannon',
      metrics: {ok: 'statusCodeStats.200', teapots: 'statusCodeStats.418', unavailable: 'statusCodeStats.503'},
    })
    expect([
      valueOf(evidence.metrics.ok),
      valueOf(evidence.metrics.unavailable),
      valueOf(evidence.metrics.teapots),
    ]).toEqual([result['2xx'], result['5xx'], 0])
  })

  it('reads the measured run, not the warmup, from the two results autocannon --json --warmup writes', async () => {
    const [warmup, run] = readFileSync(path.join(FIXTURES, 'autocannon-warmup.json'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    // The fixture's warmup used 2 connections for 1 s, the run 4 for 3 s: the numbers tell them apart.
    expect([warmup.connections, run.connections]).toEqual([2, 4])
    const evidence = await read({
      file: 'autocannon-warmup.json',
      format: 'autocannon',
      metrics: ['latency.p99', 'requests.total', 'error_rate'],
    })
    expect(evidence.metrics).toEqual({
      error_rate: {events: run.non2xx + run.errors, trials: run.requests.total + run.errors, type: 'proportion'},
      'latency.p99': {dimension: 'duration', type: 'value', value: run.latency.p99},
      'requests.total': {dimension: 'count', type: 'value', value: run.requests.total},
    })
    expect(evidence).toMatchObject({
      durationMs: run.duration * 1000,
      source: `autocannon autocannon-warmup.json (${run.url}, 4 connections, ${run.duration} s)`,
    })
    expect(evidence.notes?.[0]).toBe(
      'autocannon-warmup.json holds a warmup and a measured run (autocannon --warmup): the measured run was read',
    )
  })

  it('says which percentiles autocannon has when the gate asks for another', () => {
    expect(() => specsFor({file: 'a.json', format: 'autocannon', metrics: ['latency.p95']})).toThrow(
      'format autocannon: "latency.p95": autocannon reports the percentiles p0.001 p0.01 p0.1 p1 p2.5 p10 p25 p50 ' +
        'p75 p90 p97.5 p99 p99.9 p99.99 p99.999; p95 is not one of them',
    )
    expect(() => specsFor({file: 'a.json', format: 'autocannon', metrics: ['latency.fastest']})).toThrow(
      '"latency.fastest" is nothing autocannon reports',
    )
    expect(specsFor({file: 'a.json', format: 'autocannon', metrics: ['latency.p99.9', 'error_rate']})).toEqual([
      {description: 'autocannon latency.p99_9 in a.json', dimension: 'duration', name: 'latency.p99.9', type: 'value'},
      {description: 'autocannon error_rate in a.json', dimension: 'proportion', name: 'error_rate', type: 'proportion'},
    ])
  })

  it.each([
    [
      "JSON that is not autocannon's",
      '{"title": "x"}',
      'autocannon.json: latency: expected an autocannon result (autocannon --json), found nothing',
    ],
    [
      'a percentile that is no number',
      '{"latency": {"p99": "fast"}, "requests": {"total": 1}}',
      'autocannon.json: latency.p99: expected a number, found the string "fast"',
    ],
    [
      'a negative count',
      '{"latency": {"p99": 3}, "requests": {"total": 10}, "non2xx": -1, "errors": 0}',
      'autocannon.json: non2xx: expected a whole number ≥ 0, found the number -1',
    ],
    [
      'three results, one a line',
      '{"latency": {"p99": 3}, "requests": {"total": 1}}\n'.repeat(3),
      'autocannon.json holds 3 autocannon results, one a line; autocannon --json writes one, or two with --warmup',
    ],
    [
      'two lines whose first is no result',
      '{"title": "warmup"}\n{"latency": {"p99": 3}, "requests": {"total": 1}}\n',
      'autocannon.json: line 1: expected the warmup result autocannon --warmup writes first, ' +
        'found an object with keys title',
    ],
  ])('rejects %s, naming the file and the field', async (_what, text, message) => {
    const reason = await noData(
      {file: scratchFile('autocannon.json', text), format: 'autocannon', metrics: ['latency.p99', 'error_rate']},
      scratch,
    )
    expect(reason).toContain(`validator artifact failed: ${message}`)
  })
})

describe('artifact format hyperfine', () => {
  const [sleep, node] = raw('hyperfine.json').results

  it("reads every run's wall time as samples in ms, and hyperfine's statistics as values", async () => {
    const evidence = await read({
      file: 'hyperfine.json',
      format: 'hyperfine',
      metrics: {node_runs: '[1].runs', sleep_mean: 'sleep-20ms.mean', startup: 'node-startup.times'},
    })
    expect(samplesOf(evidence.metrics.startup)).toEqual(node.times.map((seconds: number) => seconds * 1000))
    expect(evidence.metrics.sleep_mean).toEqual({dimension: 'duration', type: 'value', value: sleep.mean * 1000})
    expect(valueOf(evidence.metrics.node_runs)).toBe(10)
    expect(evidence.source).toBe('hyperfine hyperfine.json (sleep-20ms, node-startup)')
  })

  it('needs the command named when the file holds several, and names them', async () => {
    expect(await noData({file: 'hyperfine.json', format: 'hyperfine', metrics: ['times']})).toBe(
      'validator artifact failed: hyperfine.json holds 2 commands ("sleep-20ms", "node-startup"): name one in the ' +
        'path, e.g. sleep-20ms.times or [0].times',
    )
    expect(await noData({file: 'hyperfine.json', format: 'hyperfine', metrics: {x: 'node.times'}})).toContain(
      'hyperfine.json has no command "node"; it holds "sleep-20ms", "node-startup"',
    )
  })

  it('counts runs that exited non-zero as failures, and keeps their times among the samples', async () => {
    const [failing] = raw('hyperfine-failing.json').results
    const nonZero = failing.exit_codes.filter((code: number) => code !== 0).length
    const evidence = await read({file: 'hyperfine-failing.json', format: 'hyperfine', metrics: ['failures', 'times']})
    expect(evidence.metrics.failures).toEqual({events: nonZero, trials: 8, type: 'proportion'})
    expect(samplesOf(evidence.metrics.times)).toHaveLength(8)
    expect(nonZero).toBeGreaterThan(0)
    expect(evidence.notes).toEqual([
      `${failing.command}: ${nonZero} of 8 runs exited non-zero (hyperfine-failing.json results[0].exit_codes); ` +
        `their times are among the samples`,
    ])
  })

  it.each([
    [
      'no results',
      '{"benchmarks": []}',
      'times',
      'hyperfine.json: results: expected the array of benchmarked commands hyperfine --export-json writes, found ' +
        'nothing',
    ],
    [
      'a time that is no number',
      '{"results": [{"command": "a", "times": [0.1, "slow"]}]}',
      'times',
      'hyperfine.json: results[0].times[1]: expected seconds, found the string "slow"',
    ],
    [
      'a stddev of a single run',
      '{"results": [{"command": "a", "times": [0.1], "stddev": null}]}',
      'stddev',
      'hyperfine.json: results[0].stddev: expected seconds, found null',
    ],
    [
      'no exit codes',
      '{"results": [{"command": "a", "times": [0.1]}]}',
      'failures',
      'hyperfine.json: results[0].exit_codes: expected the exit code of each run (hyperfine ≥ 1.13), found nothing',
    ],
  ])('rejects a file with %s, naming the field', async (_what, text, field, message) => {
    expect(
      await noData({file: scratchFile('hyperfine.json', text), format: 'hyperfine', metrics: [field]}, scratch),
    ).toBe(`validator artifact failed: ${message}`)
  })
})

describe('artifact format junit', () => {
  it('counts outcomes from the test cases, times each test that ran, and names the failures', async () => {
    const evidence = await read({
      file: 'junit-vitest.xml',
      format: 'junit',
      metrics: ['tests', 'passed', 'failures', 'errors', 'skipped', 'pass_rate', 'duration'],
    })
    const {duration, ...counts} = evidence.metrics
    expect(counts).toEqual({
      errors: {dimension: 'count', type: 'value', value: 0},
      failures: {dimension: 'count', type: 'value', value: 2},
      pass_rate: {events: 3, trials: 5, type: 'proportion'},
      passed: {dimension: 'count', type: 'value', value: 3},
      skipped: {dimension: 'count', type: 'value', value: 2},
      tests: {dimension: 'count', type: 'value', value: 7},
    })
    const times = [
      ...readFileSync(path.join(FIXTURES, 'junit-vitest.xml'), 'utf8').matchAll(
        /<testcase [^>]*time="([\d.]+)">\s*<\/testcase>|<testcase [^>]*time="([\d.]+)">\s*<failure/g,
      ),
    ]
    expect(samplesOf(duration)).toEqual(times.map((match) => Number(match[1] ?? match[2]) * 1000))
    expect(evidence.source).toBe('JUnit report junit-vitest.xml (7 tests in 1 suite)')
    expect(evidence.notes).toEqual([
      'failed: sample.test.mjs › checkout > rounds the total to cents — expected 0.30000000000000004 to be 0.3 // ' +
        'Object.is equality',
      'failed: sample.test.mjs › search > pages results — cannot read properties of undefined (reading "next")',
    ])
  })

  it('counts a googletest disabled test (status="notrun") as skipped, not passed, and untimed', async () => {
    // googletest's own expected XML (gtest_xml_output_unittest.py): 30 test cases, 2 of them DISABLED_.
    const evidence = await read({
      file: 'gtest-xml-output.xml',
      format: 'junit',
      metrics: ['tests', 'passed', 'failures', 'skipped', 'pass_rate', 'duration', 'DisabledTest.skipped'],
    })
    const {duration, ...counts} = evidence.metrics
    expect(counts).toEqual({
      'DisabledTest.skipped': {dimension: 'count', type: 'value', value: 1},
      failures: {dimension: 'count', type: 'value', value: 7},
      pass_rate: {events: 18, trials: 25, type: 'proportion'},
      passed: {dimension: 'count', type: 'value', value: 18},
      // 2 disabled, and 3 that called GTEST_SKIP() (<skipped>); SkippedAfterFailure failed first and stays failed.
      skipped: {dimension: 'count', type: 'value', value: 5},
      tests: {dimension: 'count', type: 'value', value: 30},
    })
    expect(samplesOf(duration)).toHaveLength(25)
  })

  it('reads one suite by its name, and names the suites it has when there is no such one', async () => {
    const evidence = await read({
      file: 'junit-vitest.xml',
      format: 'junit',
      metrics: {suite_tests: 'sample.test.mjs.tests'},
    })
    expect(valueOf(evidence.metrics.suite_tests)).toBe(7)
    expect(await noData({file: 'junit-vitest.xml', format: 'junit', metrics: {x: 'other.test.ts.tests'}})).toContain(
      'junit-vitest.xml has no test suite "other.test.ts" with test cases; it has "sample.test.mjs"',
    )
  })

  it(
    "reads other producers' shapes: a bare <testsuite> root, nested suites, <error> with its message as text, " +
      'times with thousands separators',
    async () => {
      const report = `<?xml version="1.0"?>
<testsuite name="all" tests="99" failures="0">
  <testsuite name="api">
    <testcase classname="api" name="creates" time="1,200.5"/>
    <testcase classname="api" name="deletes" time="0.25"><error type="ConnectionError">connection refused
  at socket.connect</error></testcase>
  </testsuite>
  <testcase classname="ui" name="renders" time="0.5"><failure message="">snapshot differs</failure></testcase>
</testsuite>`
      const evidence = await read(
        {
          file: scratchFile('pytest.xml', report),
          format: 'junit',
          metrics: ['tests', 'errors', 'failures', 'pass_rate', 'duration', 'api.tests'],
        },
        scratch,
      )
      expect(evidence.metrics).toMatchObject({
        'api.tests': {value: 2},
        errors: {value: 1},
        failures: {value: 1},
        pass_rate: {events: 1, trials: 3},
        tests: {value: 3},
      })
      expect(samplesOf(evidence.metrics.duration)).toEqual([1_200_500, 250, 500])
      expect(evidence.notes).toEqual([
        'error: api › deletes — ConnectionError',
        'failed: all › renders — snapshot differs',
      ])
    },
  )

  it.each([
    [
      'XML that is not well-formed',
      '<testsuites><testcase name="a"></testsuites>',
      'junit.xml is not well-formed XML: line 1:',
    ],
    [
      'a root that is no test report',
      '<html><body/></html>',
      'junit.xml: the root element: expected <testsuites> or <testsuite>, found the string "<html>"',
    ],
    [
      'a time that is no number',
      '<testsuite name="s">\n<testcase name="slow" time="fast"/></testsuite>',
      'junit.xml: line 2: <testcase name="slow"> time: expected seconds, found the string "fast"',
    ],
    [
      'no test cases',
      '<testsuites><testsuite name="empty"/></testsuites>',
      'junit.xml: the report has no <testcase> elements',
    ],
    [
      'only skipped tests',
      '<testsuite name="s"><testcase name="a"><skipped/></testcase></testsuite>',
      'junit.xml: every one of the 1 tests was skipped; there is no pass rate',
    ],
  ])('rejects %s, naming the file and what is wrong', async (_what, text, message) => {
    expect(
      await noData({file: scratchFile('junit.xml', text), format: 'junit', metrics: ['pass_rate']}, scratch),
    ).toContain(`validator artifact failed: ${message}`)
  })
})

describe('artifact format ndjson', () => {
  const lines = readFileSync(path.join(FIXTURES, 'access-log.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))

  it(
    'reads one value per line as samples, true/false per line as a proportion, and only the lines `where` ' + 'picks',
    async () => {
      const evidence = await read({
        file: 'access-log.ndjson',
        format: 'ndjson',
        metrics: {
          latency: {path: 'duration_ms', unit: 'ms'},
          ok: {path: 'ok', type: 'proportion'},
          unavailable_latency: {path: 'duration_ms', unit: 'ms', where: {status: 503}},
        },
      })
      expect(samplesOf(evidence.metrics.latency)).toEqual(lines.map((line) => line.duration_ms))
      expect(evidence.metrics.ok).toEqual({
        events: lines.filter((line) => line.ok).length,
        trials: 200,
        type: 'proportion',
      })
      expect(samplesOf(evidence.metrics.unavailable_latency)).toEqual(
        lines.filter((line) => line.status === 503).map((line) => line.duration_ms),
      )
      expect(evidence.source).toBe('NDJSON access-log.ndjson: duration_ms; ok; duration_ms where status=503')
    },
  )

  it("turns k6 --out json points into real samples, and a Rate's 0/1 points into a proportion", async () => {
    const evidence = await read({
      file: 'k6-out.ndjson',
      format: 'ndjson',
      metrics: {
        failed: {path: 'data.value', type: 'proportion', where: {metric: 'http_req_failed', type: 'Point'}},
        latency: {path: 'data.value', unit: 'ms', where: {metric: 'http_req_duration', type: 'Point'}},
        ok_latency: {
          path: 'data.value',
          unit: 'ms',
          where: {'data.tags.expected_response': 'true', metric: 'http_req_duration', type: 'Point'},
        },
      },
    })
    expect(samplesOf(evidence.metrics.latency)).toEqual([
      38.21, 41.9, 35.07, 122.4, 29.88, 44.1, 39.5, 51.2, 33.3, 47.75, 36.6, 40.02,
    ])
    expect(samplesOf(evidence.metrics.ok_latency)).toHaveLength(11)
    expect(evidence.metrics.failed).toEqual({events: 1, trials: 12, type: 'proportion'})
  })

  it.each([
    ['a line that is not JSON', '{"d": 1}\n{"d": 2\n', {path: 'd'}, 'ndjson.ndjson: line 2: not valid JSON: '],
    [
      'a value that is no number',
      '{"d": 1}\n{"d": "slow"}\n',
      {path: 'd'},
      'ndjson.ndjson: line 2: d: expected a number, found the string "slow"',
    ],
    [
      'a line without the path',
      '{"d": 1}\n\n{"e": 2}\n',
      {path: 'd'},
      'ndjson.ndjson: line 3: d: expected a number, found nothing',
    ],
    [
      'no line that `where` picks',
      '{"d": 1, "m": "a"}\n',
      {path: 'd', where: {m: 'b'}},
      'ndjson.ndjson: no line holds d among the 1 lines; none matched where m="b"',
    ],
    [
      'a proportion line that is text',
      '{"ok": "yes"}\n',
      {path: 'ok', type: 'proportion'},
      'ndjson.ndjson: line 1: ok: expected true/false or a number (type: proportion), found the string "yes"',
    ],
  ])('rejects %s, naming the line and the field', async (_what, text, reading, message) => {
    expect(
      await noData({file: scratchFile('ndjson.ndjson', text), format: 'ndjson', metrics: {m: reading}}, scratch),
    ).toContain(`validator artifact failed: ${message}`)
  })

  it('refuses readings an NDJSON file cannot give, and `where` on plain JSON', () => {
    expect(() => specsFor({file: 'a.ndjson', format: 'ndjson', metric: 'm', path: 'd', type: 'value'})).toThrow(
      'each line of an NDJSON file gives one value',
    )
    expect(() => specsFor({file: 'a.json', metric: 'm', path: 'd', where: {a: 1}})).toThrow(
      'format json: metric m: `where` picks lines of an NDJSON file; use it with format: ndjson',
    )
  })
})

describe('artifact format json', () => {
  const VALIDATOR_FIXTURES = path.resolve(FIXTURES, '../validators')

  it(
    'names listed paths after themselves and takes a path string for a named metric, with top-level unit and type ' +
      'as defaults',
    async () => {
      const evidence = await read(
        {
          file: 'bench-report.json',
          metrics: {cold: 'runs[0].seconds', warm: 'runs[1].seconds'},
          type: 'samples',
          unit: 's',
        },
        VALIDATOR_FIXTURES,
      )
      expect(evidence.metrics).toEqual({
        cold: {dimension: 'duration', samples: [512, 498, 530, 505], type: 'samples'},
        warm: {dimension: 'duration', samples: [101, 98, 97], type: 'samples'},
      })
      expect((await read({file: 'bench-report.json', metrics: ['speedup']}, VALIDATOR_FIXTURES)).metrics).toEqual({
        speedup: {dimension: 'count', type: 'value', value: 52},
      })
    },
  )

  it('asks for a name when a listed path cannot be one', () => {
    expect(() => specsFor({file: 'bench-report.json', metrics: ['runs[0].seconds']})).toThrow(
      'metrics: "runs[0].seconds" cannot be a metric name; name it: metrics: {my_metric: \'runs[0].seconds\'}',
    )
  })

  it('says when the file is a directory', async () => {
    expect(await noData({file: '.', metric: 'm', path: 'a'})).toBe(
      `validator artifact failed: artifact . is a directory (${FIXTURES}); name the file in it`,
    )
  })
})
