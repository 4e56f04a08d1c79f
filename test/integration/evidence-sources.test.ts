// Issue 6's promise end to end: a k6 summary, a JUnit report and a Prometheus query each carry a
// target of a real `gate check` to a decision, and the report names where each number came from.
import {copyFileSync, mkdirSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {client, type Demo, ensureDemoBuilt, startDemo, stopAllDemos} from './demo/demo.js'
import {makeProject, ROOT, runGate} from './helpers.js'
import {PROMETHEUS, type PrometheusServer, startPrometheus} from './servers/prometheus.js'

const ARTIFACTS = path.join(ROOT, 'test/fixtures/artifacts')

describe.skipIf(!PROMETHEUS)('a k6 summary, a JUnit report and a Prometheus query as evidence of one gate', () => {
  let demo: Demo
  let server: PrometheusServer
  beforeAll(async () => {
    await ensureDemoBuilt()
    demo = await startDemo()
    server = await startPrometheus({demo: demo.url})
    await server.waitForTargets()
    // Three cache misses the demo counts, then Prometheus has scraped them.
    for (const key of ['x', 'y', 'z']) await client(demo.url).get(`/cache/items/${key}`)
    await server.waitForValue('demo_cache_misses_total', (value) => value >= 3)
  })
  afterAll(async () => {
    await server?.stop()
    if (demo) expect((await demo.stop()).survivors).toEqual([])
    await stopAllDemos()
  })

  it('decides on all three and shows each source in the Markdown report', async () => {
    const project = makeProject({
      sources: `version: 1
decision: { min_consensus: 0.5 }
targets:
  - id: load-test
    title: k6 load test — p95 under 100 ms, under 1% failed
    validator: artifact
    with: { file: results/k6.json, format: k6, metrics: [http_req_duration.p95, http_req_failed] }
    expect: [ http_req_duration.p95 < 100ms, http_req_failed < 1% ]
  - id: unit-tests
    title: Unit tests — all pass
    validator: artifact
    with: { file: results/junit.xml, format: junit, metrics: [pass_rate, failures] }
    expect: [ pass_rate >= 95%, failures == 0 ]
  - id: cache-misses
    title: Cache — the demo counted its misses
    validator: prometheus
    with: { url: "${server.url}", query: "demo_cache_misses_total", metric: misses }
    expect: [ misses >= 3 ]
`,
    })
    try {
      mkdirSync(path.join(project.dir, 'gates/results'), {recursive: true})
      copyFileSync(path.join(ARTIFACTS, 'k6-summary-export.json'), path.join(project.dir, 'gates/results/k6.json'))
      copyFileSync(path.join(ARTIFACTS, 'junit-vitest.xml'), path.join(project.dir, 'gates/results/junit.xml'))
      const json = await runGate(['check', 'sources', '--json'], {cwd: project.dir})
      const run = JSON.parse(json.stdout)
      const status = Object.fromEntries(
        run.targets.map((target: {id: string; status: string}) => [target.id, target.status]),
      )
      // The fixture's k6 run met both thresholds; its JUnit report has 2 failed tests of 5 that ran.
      expect(status).toEqual({'cache-misses': 'PASS', 'load-test': 'PASS', 'unit-tests': 'FAIL'})
      expect(run.targets.map((target: {evidence: {kind: string}}) => target.evidence.kind)).toEqual([
        'artifact',
        'artifact',
        'artifact',
      ])
      expect(json.code).toBe(0)

      const report = await runGate(['report', '--format', 'md'], {cwd: project.dir})
      expect(report.stdout).toMatch(/k6 summary results\/k6\.json/)
      expect(report.stdout).toMatch(/JUnit report results\/junit\.xml/)
      expect(report.stdout).toMatch(/Prometheus/)
    } finally {
      project.cleanup()
    }
  })
})
