import {existsSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {summarizeMetric} from '../../src/engine/verdict.js'
import type {MetricEvidence} from '../../src/engine/types.js'
import {decodeHistogram, mergeHistograms, summarizeLatency} from '../../src/load/histogram.js'
import type {RunEvidence, RunResults} from '../../src/results/types.js'
import {type CliResult, ROOT, makeProject, readJson, runGate} from './helpers.js'

const FAST_SERVER = path.join(ROOT, 'test/fixtures/load-servers/fast-server.mjs')

/** An http target whose load divides over shards (401 requests: 201 + 200), and a command target that cannot split. */
const gate = (title: string): string => `version: 1
title: ${title}
decision: { min_consensus: 0.5, confidence: 0.9, seed: 7 }
services:
  sut:
    command: node ${JSON.stringify(FAST_SERVER)}
    ready: { log: 'listening on (?<url>http://\\S+)', timeout: 20s }
targets:
  - id: api
    title: the fast server answers
    validator: http
    with: { url: "\${services.sut.url}/", connections: 3, requests: 401, duration: 20s }
    expect:
      - p95(latency) < 5s
      - error_rate < 5%
      - requests >= 401
  - id: once
    title: node starts
    validator: command
    with: { run: "node -e 0", runs: 3 }
    expect:
      - max(duration) < 10s
`

describe('gate check --shard and gate merge', () => {
  const project = makeProject({g: gate('merge test'), other: gate('another gate')})
  const gateCli = (args: string[]): Promise<CliResult> => runGate(args, {cwd: project.dir})
  /** The results file a check saved, from its "results: …" line. */
  const savedBy = (r: CliResult): string => path.join(project.dir, /^results: (.+)$/m.exec(r.stderr)?.[1] ?? 'missing')
  const evidenceOf = (results: string): RunEvidence => readJson(results.replace(/\.json$/, '.evidence.json'))
  const shards: string[] = []
  let merged: CliResult
  let mergedResults: RunResults

  beforeAll(async () => {
    for (const shard of ['1/2', '2/2']) {
      const r = await gateCli(['check', 'g', '--shard', shard])
      expect(r.stderr).toMatch(/results: /)
      shards.push(savedBy(r))
    }
    merged = await gateCli(['merge', ...shards])
    mergedResults = readJson(savedBy(merged))
  }, 120_000)

  afterAll(() => project.cleanup())

  it('divides the http load between the shards and runs the target that cannot split on shard 1 only', () => {
    const [first, second] = shards.map(evidenceOf)
    const api = (run: RunEvidence) => run.targets.find(({id}) => id === 'api')!
    const requests = (run: RunEvidence) =>
      'evidence' in api(run).collected
        ? (api(run).collected as {evidence: {metrics: Record<string, MetricEvidence>}}).evidence.metrics.requests
        : undefined
    expect([requests(first!), requests(second!)]).toEqual([
      {dimension: 'count', type: 'value', value: 201},
      {dimension: 'count', type: 'value', value: 200},
    ])
    expect(JSON.stringify(api(first!).collected)).toMatch(
      /share 1\/2 of the load: 2 of 3 connections, 201 of 401 requests/,
    )
    expect(api(first!).histograms?.latency).toEqual(expect.any(String))
    const once = second!.targets.find(({id}) => id === 'once')!
    expect(once).toMatchObject({
      collected: {noData: 'runs whole on shard 1/2: validator command cannot split its work'},
      skippedOnShard: true,
    })
    expect(first!.gate.sha256).toMatch(/^[0-9a-f]{64}$/)
  })

  it('decides on the union: counts and proportions sum exactly, percentiles are those of all samples together', () => {
    expect(merged.code).toBe(0)
    expect(mergedResults.decision.outcome).toBe('PROCEED')
    expect(mergedResults.merged?.runs.map(({shard}) => shard)).toEqual([
      {count: 2, index: 1},
      {count: 2, index: 2},
    ])
    const api = mergedResults.targets.find(({id}) => id === 'api')!
    const metric = (name: string) => api.evidence!.metrics.find((m) => m.name === name)!
    expect(metric('requests').value).toBe(401)
    expect(metric('error_rate')).toMatchObject({events: 0, trials: 401})

    const shardEvidence = shards.map((file) => evidenceOf(file).targets.find(({id}) => id === 'api')!)
    const union = shardEvidence.flatMap(
      (target) =>
        (target.collected as {evidence: {metrics: Record<string, {samples: number[]}>}}).evidence.metrics.latency!
          .samples,
    )
    expect(union).toHaveLength(401)
    const direct = summarizeMetric('latency', {dimension: 'duration', samples: union, type: 'samples'})
    for (const key of ['p50', 'p90', 'p95', 'p99', 'min', 'max'] as const)
      expect(metric('latency')[key]).toBeCloseTo(direct[key]!, 9)

    // The shards' HDR histograms added up give the same percentiles within the histogram's precision (3 digits, whole
    // µs).
    const histogram = summarizeLatency(
      mergeHistograms(shardEvidence.map((target) => decodeHistogram(target.histograms!.latency!))),
    )
    expect(histogram.count).toBe(401)
    const sorted = [...union].sort((a, b) => a - b)
    for (const [q, key] of [
      [0.5, 'p50'],
      [0.9, 'p90'],
      [0.99, 'p99'],
    ] as const) {
      const exact = sorted[Math.ceil(q * sorted.length) - 1]!
      expect(Math.abs(histogram[key] - exact)).toBeLessThanOrEqual(exact * 2e-3 + 0.002)
    }
  })

  it('takes the target that cannot split from the shard that ran it', () => {
    const once = mergedResults.targets.find(({id}) => id === 'once')!
    expect(once.status).toBe('PASS')
    expect(once.evidence?.metrics.find((m) => m.name === 'duration')?.n).toBe(3)
  })

  it('keeps, per target, the noise record of its noisiest runner, and none from a shard that skipped it', () => {
    const noiseOf = (file: string, id: string) => evidenceOf(file).targets.find((target) => target.id === id)!.noise
    const merged = (id: string) => mergedResults.targets.find((target) => target.id === id)!.noise
    expect(shards.map((file) => noiseOf(file, 'api'))).toContainEqual(merged('api'))
    expect(noiseOf(shards[1]!, 'once')).toBeUndefined()
    expect(merged('once')).toBeDefined()
    expect(merged('once')).toEqual(noiseOf(shards[0]!, 'once'))
  })

  it('saves the merged decision so that `gate report` re-renders it with the same exit code', async () => {
    const report = await gateCli(['report', mergedResults.id, '--json'])
    expect(report.code).toBe(0)
    expect(JSON.parse(report.stdout)).toEqual(mergedResults)
    const table = await gateCli(['report', 'latest'])
    expect(table.stdout).toContain(`run ${mergedResults.id}`)
    expect(table.stdout).toMatch(/PASS +node starts/)
    expect(table.code).toBe(0)
  })

  it('warns when a shard is missing and decides on what it has', async () => {
    const r = await gateCli(['merge', shards[1]!, '--json'])
    const results = JSON.parse(r.stdout) as RunResults
    expect(results.warnings).toContain(
      'shard 1/2 is missing: the merge covers 1 of 2 shares of the load, so its counts and rates cover only those ' +
        'shares',
    )
    expect(results.targets.find(({id}) => id === 'once')).toMatchObject({
      reason: expect.stringMatching(/shard 1\/2 is not among the merged runs/),
      status: 'NO_DATA',
    })
    expect(r.code).toBe(1)
  })

  // Each runs a check of its own: generous limits for a shared, busy machine.
  it('refuses to merge shards of different gate files with exit 2', async () => {
    const other = await gateCli(['check', 'other', '--shard', '2/2'])
    const refused = await gateCli(['merge', shards[0]!, savedBy(other)])
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(
      /Cannot merge runs of different gate files: .* ran gates\/g\.yaml .* ran gates\/other\.yaml/,
    )
  }, 90_000)

  it('refuses a run that kept no evidence with exit 2: only shards save it', async () => {
    const whole = await gateCli(['check', 'other'])
    expect(existsSync(savedBy(whole).replace(/\.json$/, '.evidence.json'))).toBe(false)
    const noEvidence = await gateCli(['merge', savedBy(whole)])
    expect(noEvidence.code).toBe(2)
    expect(noEvidence.stderr).toMatch(/kept no evidence to merge; only `gate check GATE --shard i\/n` saves it/)
  }, 90_000)

  it('rejects a --shard that is not I/N with 1 ≤ I ≤ N', async () => {
    const r = await gateCli(['check', 'g', '--shard', '3/2'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--shard 3\/2: expected I\/N with 1 ≤ I ≤ N/)
  })
})
