import Database from 'better-sqlite3'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {UserError} from '../../../src/errors.js'
import {
  baselinesFor,
  type History,
  historyFile,
  openHistory,
  readTrend,
  RECENT_RUNS,
} from '../../../src/history/index.js'
import {decodeSamples, encodeSamples, keptSamples, MAX_KEPT_SAMPLES} from '../../../src/history/samples.js'
import {
  createHistogram,
  decodeHistogram,
  encodeHistogram,
  recordLatency,
  summarizeLatency,
} from '../../../src/load/histogram.js'
import {latencies, makeRun, minutesAfter} from './fixtures.js'

const T0 = '2026-11-23T10:00:00.000Z'

let cwd: string
let history: History
beforeEach(() => {
  cwd = mkdtempSync(path.join(os.tmpdir(), 'phasegate-history-'))
  history = openHistory(cwd)
})
afterEach(() => {
  history.close()
  rmSync(cwd, {force: true, recursive: true})
})

function recordAt(minutes: number, shape: Parameters<typeof makeRun>[0] = {}): string {
  const {collected, results} = makeRun({startedAt: minutesAfter(T0, minutes), ...shape})
  return history.record(results, collected)
}

describe('recording a run and reading it back', () => {
  it('keeps the run, its targets and every metric summary as the results file has them', () => {
    const {collected, results} = makeRun({branch: 'feature/x', commit: 'f'.repeat(40)})
    const id = history.record(results, collected)
    expect(id).toBe(results.id)
    const run = history.run(id)!
    expect(run).toMatchObject({
      branch: 'feature/x',
      commit: 'f'.repeat(40),
      consensus: results.consensus,
      dirty: false,
      gate: 'shop',
      gateSha256: results.gate.sha256,
      interrupted: false,
      outcome: results.decision.outcome,
      rule: results.decision.rule,
      shard: null,
      source: 'run',
      startedAt: results.startedAt,
    })
    for (const target of results.targets) {
      expect(run.targets[target.id]).toMatchObject({
        confidence: target.confidence,
        p: target.p,
        required: target.required,
        status: target.status,
        weight: target.weight,
      })
      for (const summary of target.evidence!.metrics) {
        const {histogram: _bins, ...numbers} = summary
        expect(run.targets[target.id]!.metrics[summary.name]).toEqual(numbers)
      }
    }
  })

  it('keeps a bounded, deterministic, uniform subset of many samples, with how many were seen', () => {
    const many = latencies(12_000, 80, 'many')
    const {collected, results} = makeRun({latency: many})
    const id = history.record(results, collected)
    const kept = history.baseline('shop', history.saveBaseline('shop', 'main', id).name)!.targets.api!.metrics.latency!
      .evidence
    expect(kept?.type).toBe('samples')
    const samples = (kept as {samples: number[]; seen: number}).samples
    expect(samples).toHaveLength(MAX_KEPT_SAMPLES)
    expect((kept as {seen: number}).seen).toBe(12_000)
    // A subset of what was measured, each sample at most as often as it occurred.
    const pool = new Map<number, number>()
    for (const x of many) pool.set(x, (pool.get(x) ?? 0) + 1)
    for (const x of samples) {
      expect(pool.get(x)).toBeGreaterThan(0)
      pool.set(x, pool.get(x)! - 1)
    }

    // The same run keeps the same samples, wherever it is recorded.
    expect(keptSamples(many, [results.id, 'api', 'latency'])).toEqual(samples)
    // Uniform over the run: the subset's median is the run's, within sampling error (sd ≈ 0.2·80/√5000·1.25 ≈ 0.3 ms).
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
    expect(Math.abs(median(samples) - median(many))).toBeLessThan(1.5)
    // Later samples are not favoured over earlier ones: as many kept from each half.
    const firstHalf = new Set(many.slice(0, 6000))
    expect(Math.abs(samples.filter((x) => firstHalf.has(x)).length - 2500)).toBeLessThan(200)
  })

  it('keeps every sample of a small run exactly', () => {
    const small = [1.5, 2.25, 1e-3, 400]
    const {collected, results} = makeRun({latency: small})
    const id = history.record(results, collected)
    history.saveBaseline('shop', 'main', id)
    expect(history.baseline('shop', 'main')!.targets.api!.metrics.latency!.evidence).toEqual({
      dimension: 'duration',
      samples: small,
      type: 'samples',
    })
  })

  it('encodes samples as little-endian float64 and back, bit for bit', () => {
    const values = [0, -0, 1.5, Number.MAX_VALUE, Number.MIN_VALUE, 123.456]
    const bytes = encodeSamples(values)
    expect(bytes.length).toBe(48)
    expect(bytes.readDoubleLE(24)).toBe(Number.MAX_VALUE)
    expect(Object.is(decodeSamples(bytes)[1], -0)).toBe(true)
    expect(decodeSamples(bytes)).toEqual(values)
  })

  it('keeps an HDR histogram of every duration sample, in microseconds, that decodes', () => {
    const many = latencies(12_000, 80, 'hdr')
    const {collected, results} = makeRun({latency: many})
    const id = history.record(results, collected)
    const db = new Database(historyFile(cwd), {readonly: true})
    const rows = db
      .prepare("SELECT metric, histogram FROM metrics WHERE run_id = ? AND target = 'api' ORDER BY metric")
      .all(id) as Array<{metric: string; histogram: string | null}>
    db.close()
    expect(rows.map((row) => [row.metric, row.histogram === null])).toEqual([
      ['errors', true],
      ['latency', false],
      ['throughput', true],
    ])
    const summary = summarizeLatency(decodeHistogram(rows[1]!.histogram!))
    expect(summary.count).toBe(12_000)
    const sorted = [...many].sort((a, b) => a - b)
    expect(summary.p95).toBeCloseTo(sorted[Math.ceil(0.95 * sorted.length) - 1]!, 0)
  })

  it('uses the histogram a shard kept (all it saw) instead of rebuilding one from its samples', () => {
    const {collected, results} = makeRun()
    const shard = createHistogram()
    for (const ms of latencies(30_000, 50, 'shard')) recordLatency(shard, ms)
    const kept = encodeHistogram(shard)
    const id = history.record(results, [{...collected[0]!, histograms: {latency: kept}}, collected[1]!])
    const db = new Database(historyFile(cwd), {readonly: true})
    expect(db.prepare("SELECT histogram FROM metrics WHERE run_id = ? AND metric = 'latency'").get(id)).toEqual({
      histogram: kept,
    })
    db.close()
  })

  it('records summaries only when the evidence as collected is not given (a merge)', () => {
    const id = history.record(makeRun().results)
    history.saveBaseline('shop', 'main', id)
    const metrics = history.baseline('shop', 'main')!.targets.api!.metrics
    expect(metrics.latency!.evidence).toBeNull()
    expect(metrics.errors!.evidence).toEqual({events: 1, trials: 1000, type: 'proportion'})
    expect(metrics.throughput!.evidence).toEqual({dimension: 'rate', type: 'value', value: 250})
  })

  it('gives a second run with the same id (two runs in one second) the next free suffix', () => {
    const {collected, results} = makeRun()
    expect([
      history.record(results, collected),
      history.record(results, collected),
      history.record({...results, id: `${results.id}-2`}, collected),
    ]).toEqual([results.id, `${results.id}-2`, `${results.id}-2-2`])
  })
})

describe('runs and series', () => {
  it("lists the gate's runs newest first, filtered by branch and target, up to the limit", () => {
    const ids = [recordAt(0), recordAt(1, {branch: 'dev'}), recordAt(2, {apiOnly: true}), recordAt(3, {gate: 'other'})]
    expect(history.runs('shop').map((run) => run.id)).toEqual([ids[2], ids[1], ids[0]])
    expect(history.runs('shop', {limit: 2}).map((run) => run.id)).toEqual([ids[2], ids[1]])
    expect(history.runs('shop', {branch: 'dev'}).map((run) => run.id)).toEqual([ids[1]])
    expect(history.runs('shop', {target: 'claim'}).map((run) => run.id)).toEqual([ids[1], ids[0]])
    expect(history.gates()).toEqual(['other', 'shop'])
  })

  it('says why `gate history` has nothing to show: no runs at all, none matching the filters, no such metric', () => {
    expect(readTrend(cwd, 'shop', {}).empty).toBe(
      'no runs recorded for shop in .gate/history.db: run `gate check shop` first.',
    )
    recordAt(0)
    expect(readTrend(cwd, 'shop', {}).empty).toBeUndefined()
    expect(readTrend(cwd, 'shpo', {}).empty).toBe(
      'no runs recorded for shpo in .gate/history.db (it has runs of shop): run `gate check shpo` first.',
    )
    expect(readTrend(cwd, 'shop', {branch: 'dev', target: 'api'}).empty).toBe(
      'no run of shop in .gate/history.db matches --branch dev --target api.',
    )
    expect(readTrend(cwd, 'shop', {metric: 'nope', target: 'api'}).empty).toBe(
      'no metric nope of target api in the last 1 run of shop.',
    )
    expect(readTrend(cwd, 'shop', {limit: 5, target: 'api'}).trend.rows).toHaveLength(1)
  })

  it("gives a metric's summaries newest first, leaving out interrupted runs, shards and the excluded run", () => {
    const ids = [
      recordAt(0, {latencyMs: 100}),
      recordAt(1, {interrupted: true}),
      recordAt(2, {shard: {count: 2, index: 1}}),
      recordAt(3, {branch: 'dev', latencyMs: 130}),
      recordAt(4, {latencyMs: 120}),
    ]
    const series = history.series('shop', 'api', 'latency')
    expect(series.map((point) => point.run)).toEqual([ids[4], ids[3], ids[0]])
    expect(series[0]).toMatchObject({
      branch: 'main',
      commit: '0123456789abcdef0123456789abcdef01234567',
      startedAt: minutesAfter(T0, 4),
    })
    expect(series[0]!.summary.p50! / series[2]!.summary.p50!).toBeCloseTo(1.2, 1)
    expect(history.series('shop', 'api', 'latency', {excludeRun: ids[4]}).map((point) => point.run)).toEqual([
      ids[3],
      ids[0],
    ])
    expect(history.series('shop', 'api', 'latency', {branch: 'dev'}).map((point) => point.run)).toEqual([ids[3]])
    expect(history.series('shop', 'api', 'latency', {limit: 1}).map((point) => point.run)).toEqual([ids[4]])
    expect(history.series('shop', 'api', 'nope')).toEqual([])
  })
})

describe('baselines', () => {
  it('pins a run under a name, replaces it on a second save, and lists baselines by gate and name', () => {
    const [a, b] = [recordAt(0), recordAt(1)]
    expect(history.saveBaseline('shop', 'main', a)).toMatchObject({
      gate: 'shop',
      name: 'main',
      outcome: 'PROCEED',
      run: a,
      source: 'run',
    })
    history.saveBaseline('shop', 'release/1.2', a)
    history.saveBaseline('shop', 'main', b)
    expect(history.baselines('shop').map((record) => [record.name, record.run])).toEqual([
      ['main', b],
      ['release/1.2', a],
    ])
    expect(history.baselines('other')).toEqual([])
    const pinned = history.baseline('shop', 'main')!
    expect(Object.keys(pinned.targets)).toEqual(['api', 'claim'])
    expect(pinned.targets.claim).toEqual({
      metrics: {
        cold_start: {
          evidence: {dimension: 'duration', type: 'value', value: 850},
          summary: expect.objectContaining({value: 850}),
        },
      },
      status: expect.any(String),
    })
    expect(history.baseline('shop', 'nope')).toBeNull()
  })

  it("refuses to pin an unknown run, another gate's run, an interrupted run, a shard, or a bad name", () => {
    const ids = {
      interrupted: recordAt(1, {interrupted: true}),
      other: recordAt(2, {gate: 'other'}),
      shard: recordAt(3, {shard: {count: 3, index: 2}}),
    }
    const refusal = (run: () => unknown): string => {
      try {
        run()
      } catch (error) {
        expect(error).toBeInstanceOf(UserError)
        return (error as Error).message
      }

      throw new Error('expected a refusal')
    }

    expect(refusal(() => history.saveBaseline('shop', 'main', 'shop-nope'))).toMatch(
      /No run shop-nope in \.gate\/history\.db/,
    )
    expect(refusal(() => history.saveBaseline('shop', 'main', ids.other))).toMatch(
      /is a run of gate "other", not "shop"/,
    )
    expect(refusal(() => history.saveBaseline('shop', 'main', ids.interrupted))).toMatch(/was interrupted/)
    expect(refusal(() => history.saveBaseline('shop', 'main', ids.shard))).toMatch(/is shard 2\/3.*Pin the merged run/)
    expect(refusal(() => history.saveBaseline('other', 'two words', ids.other))).toMatch(
      /--name "two words": a baseline name is/,
    )
    expect(history.baselines()).toEqual([])
  })

  it('imports a results file once, with summaries only, and finds a run it already has instead of copying it', () => {
    const {collected, results} = makeRun()
    const imported = makeRun({startedAt: minutesAfter(T0, 5)}).results
    const recorded = history.record(results, collected)
    expect(history.importResults(results, '/elsewhere/results.json')).toBe(recorded)
    const id = history.importResults(imported, '/ci/artifact.json')
    expect(history.importResults(imported, '/ci/artifact.json')).toBe(id)
    expect(history.run(id)).toMatchObject({source: 'file', sourceFile: '/ci/artifact.json'})
    expect(history.runs('shop')).toHaveLength(2)
    history.saveBaseline('shop', 'main', id)
    expect(history.baseline('shop', 'main')).toMatchObject({
      source: 'file',
      targets: {api: {metrics: {latency: {evidence: null}}}},
    })
  })
})

describe('baselinesFor: what a check compares its relative expectations with', () => {
  const gate = {name: 'shop', targets: [{id: 'api'}, {id: 'claim'}, {id: 'new'}]}

  it('says how to create a baseline when none is saved, whether or not there is a history', () => {
    history.close()
    rmSync(historyFile(cwd))
    expect(baselinesFor(gate, cwd).get('api')).toEqual({
      missing:
        'no baseline "main" saved for gate shop: pin a run with `gate baseline save shop`, or compare with an ' +
        'exported one (`--baseline-file FILE`)',
    })
    history = openHistory(cwd)
    history.saveBaseline('shop', 'nightly', recordAt(0))
    expect(baselinesFor(gate, cwd, 'weekly').get('claim')).toEqual({
      missing:
        'no baseline "weekly" saved for gate shop (saved: nightly; pick one with --baseline): pin a run with `gate ' +
        'baseline save shop --name weekly`, or compare with an exported one (`--baseline-file FILE`)',
    })
  })

  it(
    'gives each target the pinned metrics and the summaries of the last runs; a target the baseline lacks is ' +
      'missing',
    () => {
      const ids = Array.from({length: RECENT_RUNS + 2}, (_, i) => recordAt(i, {latencyMs: 100 + i}))
      history.saveBaseline('shop', 'main', ids[3]!)
      const inputs = baselinesFor(gate, cwd)
      const api = inputs.get('api') as {
        name: string
        run: string
        metrics: Record<string, unknown>
        recent: Record<string, Array<{p50: number}>>
      }
      expect(api).toMatchObject({name: 'main', run: ids[3]})
      expect(api.metrics).toEqual(history.baseline('shop', 'main')!.targets.api!.metrics)
      expect(api.recent.latency).toHaveLength(RECENT_RUNS)
      expect(api.recent.latency).toEqual(
        history.series('shop', 'api', 'latency', {limit: RECENT_RUNS}).map((point) => point.summary),
      )
      expect(inputs.get('new')).toEqual({
        missing:
          `the baseline "main" (run ${ids[3]}) has no target new: the gate changed since; pin a newer run with ` +
          `\`gate baseline save shop\``,
      })
    },
  )

  it('turns a damaged history into a reason on every target instead of failing the check', () => {
    history.close()
    writeFileSync(historyFile(cwd), 'garbage')
    const inputs = baselinesFor(gate, cwd)
    expect([...inputs.keys()]).toEqual(['api', 'claim', 'new'])
    expect((inputs.get('api') as {missing: string}).missing).toMatch(
      /^\.gate\/history\.db is damaged or not a database/,
    )
    rmSync(historyFile(cwd))
    history = openHistory(cwd, {create: false}) // closed again by afterEach
  })
})
