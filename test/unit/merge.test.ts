import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import {hashSeed, Random} from '../../src/engine/random.js'
import type {Evidence} from '../../src/engine/types.js'
import {createHistogram, encodeHistogram, recordLatency} from '../../src/load/histogram.js'
import {checkShards} from '../../src/run/merge.js'
import {apportion, mergeEvidence, mergeSamples, mergeTarget, type ShardEvidence} from '../../src/results/merge.js'
import type {CollectedTarget, RunEvidence} from '../../src/results/types.js'
import {planShare} from '../../src/validators/http.js'
import {shareOf} from '../../src/validators/types.js'

const sorted = (values: readonly number[]): number[] => [...values].sort((a, b) => a - b)

/** The value at quantile q of sorted values, nearest rank: what an HDR histogram reports. */
const nearestRank = (values: readonly number[], q: number): number =>
  sorted(values)[Math.max(0, Math.ceil(q * values.length) - 1)]!

function shardOf(index: number, count: number, evidence: Partial<Evidence>): ShardEvidence {
  return {evidence: {kind: 'measured', metrics: {}, source: 'test', ...evidence}, shard: {count, index}}
}

const shardEvidence = fc.record({
  errors: fc.nat(1000),
  extra: fc.nat(1000),
  latency: fc.array(fc.double({max: 1000, min: 0, noNaN: true}), {maxLength: 30, minLength: 1}),
  rate: fc.double({max: 1e4, min: 0, noNaN: true}),
  requests: fc.nat(1e6),
})

type ShardShape = typeof shardEvidence extends fc.Arbitrary<infer T> ? T : never

function toEvidence({errors, extra, latency, rate, requests}: ShardShape): Evidence {
  return {
    durationMs: requests,
    kind: 'measured',
    metrics: {
      error_rate: {events: errors, trials: errors + extra, type: 'proportion'},
      latency: {dimension: 'duration', samples: latency, type: 'samples'},
      requests: {dimension: 'count', type: 'value', value: requests},
      throughput: {dimension: 'rate', type: 'value', value: rate},
    },
    source: `shard source ${requests % 3}`,
  }
}

describe('merging shard evidence', () => {
  it('does not depend on the order the shards come in, and sums events, trials, counts and rates exactly', () => {
    fc.assert(
      fc.property(fc.array(shardEvidence, {maxLength: 5, minLength: 2}), fc.integer(), (shards, seed) => {
        const parts = shards.map((shard, i) => shardOf(i + 1, shards.length, toEvidence(shard)))
        const merged = mergeEvidence(parts, seed)
        expect(mergeEvidence([...parts].reverse(), seed)).toEqual(merged)
        const sum = (pick: (s: (typeof shards)[number]) => number): number =>
          shards.reduce((total, s) => total + pick(s), 0)
        expect(merged.metrics.error_rate).toEqual({
          events: sum((s) => s.errors),
          trials: sum((s) => s.errors + s.extra),
          type: 'proportion',
        })
        expect(merged.metrics.requests).toEqual({dimension: 'count', type: 'value', value: sum((s) => s.requests)})
        expect((merged.metrics.throughput as {value: number}).value).toBeCloseTo(
          sum((s) => s.rate),
          6,
        )
        expect(merged.durationMs).toBe(Math.max(...shards.map((s) => s.requests)))
        // Every shard kept all it saw and the union fits: the merged samples are exactly the union.
        expect(sorted((merged.metrics.latency as {samples: number[]}).samples)).toEqual(
          sorted(shards.flatMap((s) => s.latency)),
        )
      }),
    )
  })

  it('changes only which samples are drawn when the seed changes', () => {
    const big = (offset: number): Evidence => ({
      kind: 'measured',
      metrics: {
        error_rate: {events: 1, trials: 10, type: 'proportion'},
        latency: {
          dimension: 'duration',
          samples: Array.from({length: 50}, (_, i) => offset + i),
          seen: 500,
          type: 'samples',
        },
      },
      source: 'x',
    })
    const parts = [shardOf(1, 2, big(0)), shardOf(2, 2, big(1000))]
    const [a, b] = [mergeEvidence(parts, 1), mergeEvidence(parts, 2)]
    expect(a.metrics.error_rate).toEqual(b.metrics.error_rate)
    expect(a.notes).toEqual(b.notes)
    expect((a.metrics.latency as {seen: number}).seen).toBe(1000)
    expect((a.metrics.latency as {samples: number[]}).samples).not.toEqual(
      (b.metrics.latency as {samples: number[]}).samples,
    )
  })

  it('keeps a duration that every shard agrees on and drops one they disagree on, saying why', () => {
    const value = (ms: number): Partial<Evidence> => ({
      metrics: {cold_start: {dimension: 'duration', type: 'value', value: ms}},
      notes: [`took ${ms}`],
    })
    expect(mergeEvidence([shardOf(1, 2, value(5)), shardOf(2, 2, value(5))], 1).metrics.cold_start).toEqual({
      dimension: 'duration',
      type: 'value',
      value: 5,
    })
    const disagree = mergeEvidence([shardOf(1, 2, value(5)), shardOf(2, 2, value(6))], 1)
    expect(disagree.metrics.cold_start).toBeUndefined()
    expect(disagree.notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/cold_start was dropped: the shards disagree .* a duration does not add up/),
        'shard 1/2: took 5',
        'shard 2/2: took 6',
      ]),
    )
  })
})

describe('merging samples', () => {
  it('draws from each shard in proportion to what it saw, as many as the smallest reservoir allows', () => {
    const a = {samples: Array.from({length: 100}, () => 1), seen: 1000}
    const b = {samples: Array.from({length: 100}, () => 2), seen: 100}
    const merged = mergeSamples([a, b], new Random(hashSeed(1)))
    expect(merged.method).toBe('reservoir')
    expect(merged.seen).toBe(1100)
    // 1000:100 → 100 from a, 10 from b: each kept sample stands for 10 seen.
    expect(merged.samples.filter((x) => x === 1)).toHaveLength(100)
    expect(merged.samples.filter((x) => x === 2)).toHaveLength(10)
  })

  it('with HDR histograms, gives the percentiles of the union at the histogram precision', () => {
    const random = new Random(hashSeed(7))
    const streams = [
      Array.from({length: 3000}, () => 1 + random.uniform() * 9),
      Array.from({length: 5000}, () => 20 + random.uniform() * 200),
    ]
    const parts = streams.map((stream) => {
      const histogram = createHistogram()
      for (const ms of stream) recordLatency(histogram, ms)
      return {encoded: encodeHistogram(histogram), samples: stream.slice(0, 100), seen: stream.length}
    })
    const merged = mergeSamples(
      parts,
      new Random(hashSeed(1)),
      parts.map((part) => part.encoded),
      1000,
    )
    expect(merged.method).toBe('histogram')
    expect(merged.seen).toBe(8000)
    expect(merged.samples).toHaveLength(200)
    const union = streams.flat()
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const exact = nearestRank(union, q)
      // Evenly drawn samples land within one draw's share of the rank; the histogram within 0.1% (3 digits) plus 1 µs.
      const drawn = nearestRank(merged.samples, q)
      expect(Math.abs(drawn - exact)).toBeLessThanOrEqual(
        Math.max(exact * 2e-3, nearestRank(union, q + 1 / 200) - nearestRank(union, q - 1 / 200)) + 1e-3,
      )
    }
    expect(merged.note).toMatch(/merged HDR histograms of 8,000: p50 .* p95 .* p99/)
  })

  it('apportions a total in proportion to the weights, in whole numbers that add up', () => {
    fc.assert(
      fc.property(fc.nat(10_000), fc.array(fc.nat(1e6), {maxLength: 8, minLength: 1}), (total, weights) => {
        const shares = apportion(total, weights)
        const sum = weights.reduce((a, b) => a + b, 0)
        if (sum === 0) {
          // Nothing to weigh by: nobody gets a share (returning the assertion's value would read as a failed property).
          expect(shares.every((share) => share === 0)).toBe(true)
          return
        }
        expect(shares.reduce((a, b) => a + b, 0)).toBe(total)
        for (const [i, share] of shares.entries()) expect(Math.abs(share - (total * weights[i]!) / sum)).toBeLessThan(1)
      }),
    )
  })
})

describe('merging a target', () => {
  const target = (collected: CollectedTarget['collected'], skipped = false): CollectedTarget => ({
    collected,
    expectations: ['p95(duration) < 1s'],
    id: 'once',
    level: 'error',
    required: false,
    title: 'once',
    validator: 'command',
    weight: 1,
    ...(skipped ? {skippedOnShard: true as const} : {}),
  })
  const evidence: Evidence = {
    kind: 'measured',
    metrics: {duration: {dimension: 'duration', samples: [1, 2, 3], type: 'samples'}},
    source: 'command: true',
  }

  it('takes a target that cannot split from shard 1, the one shard that ran it', () => {
    const skipped = target({noData: 'runs whole on shard 1/2: validator command cannot split its work'}, true)
    expect(
      mergeTarget(
        [
          {shard: {count: 2, index: 2}, target: skipped},
          {shard: {count: 2, index: 1}, target: target({evidence})},
        ],
        1,
      ),
    ).toEqual({evidence})
  })

  it('is NO_DATA, with the reason, when shard 1 is not among the runs', () => {
    const skipped = target({noData: 'runs whole on shard 1/2: validator command cannot split its work'}, true)
    expect(mergeTarget([{shard: {count: 2, index: 2}, target: skipped}], 1)).toEqual({
      noData: expect.stringMatching(/cannot split its work, and shard 1\/2 is not among the merged runs/),
    })
  })

  it('merges the shards that collected and names the one that did not', () => {
    const merged = mergeTarget(
      [
        {shard: {count: 3, index: 1}, target: target({evidence})},
        {shard: {count: 3, index: 2}, target: target({noData: 'timed out after 2 min'})},
        {shard: {count: 3, index: 3}, target: target({evidence})},
      ],
      1,
    )
    expect('evidence' in merged && merged.evidence.metrics.duration).toEqual({
      dimension: 'duration',
      samples: [1, 2, 3, 1, 2, 3],
      type: 'samples',
    })
    expect('evidence' in merged && merged.evidence.notes).toContain(
      'not merged, no data from shard 2/3: timed out after 2 min',
    )
  })
})

describe('which runs merge', () => {
  const run = (index: number, count: number, sha = 'a'.repeat(64)): RunEvidence => ({
    finishedAt: '2026-11-23T00:00:01Z',
    gate: {file: 'gates/g.yaml', name: 'g', sha256: sha, title: 'g'},
    interrupted: false,
    run: `g-${index}`,
    settings: {confidence: 0.95, minConsensus: 0.85, resamples: 1000, seed: 1},
    shard: {count, index},
    startedAt: '2026-11-23T00:00:00Z',
    targets: [],
    version: 1,
    warnings: [],
  })
  const refs = (...runs: RunEvidence[]) => runs.map((evidence) => ({evidence, ref: evidence.run}))

  it('refuses runs of different gate files, different shard counts, and a shard given twice', () => {
    expect(() => checkShards(refs(run(1, 2), run(2, 2, 'b'.repeat(64))))).toThrow(
      /Cannot merge runs of different gate files: g-1 .* but g-2 ran/,
    )
    expect(() => checkShards(refs(run(1, 2), run(2, 3)))).toThrow(/same number of ways/)
    expect(() => checkShards(refs(run(1, 2), run(1, 2)))).toThrow(/shard 1\/2 is given twice/)
  })

  it('warns about each missing shard and accepts a complete set', () => {
    expect(checkShards(refs(run(2, 3)))).toEqual([
      expect.stringMatching(/^shard 1\/3, shard 3\/3 are missing: the merge covers 1 of 3 shares/),
    ])
    expect(checkShards(refs(run(2, 2), run(1, 2)))).toEqual([])
  })
})

describe("a shard's share of the load", () => {
  it('adds up to the whole, the remainder on the lowest shards, never zero', () => {
    fc.assert(
      fc.property(fc.integer({max: 10_000, min: 1}), fc.integer({max: 64, min: 1}), (total, count) => {
        const shares = Array.from({length: count}, (_, i) => shareOf(total, {count, index: i + 1}))
        expect(Math.min(...shares)).toBeGreaterThanOrEqual(1)
        if (total >= count) expect(shares.reduce((a, b) => a + b, 0)).toBe(total)
        expect(sorted(shares).reverse()).toEqual(shares)
      }),
    )
  })

  it('divides connections, requests and rates of the plan and of each stage', () => {
    const plan = {
      connections: 5,
      durationMs: 1000,
      rate: 100,
      requests: 401,
      stages: [{connections: 3, durationMs: 1000, rampFrom: 10, rate: 50}],
      timeoutMs: 1000,
      url: 'http://127.0.0.1:1/',
    }
    expect(planShare(plan, {count: 2, index: 1})).toMatchObject({
      connections: 3,
      rate: 50,
      requests: 201,
      stages: [{connections: 2, rampFrom: 5, rate: 25}],
    })
    expect(planShare(plan, {count: 2, index: 2})).toMatchObject({
      connections: 2,
      rate: 50,
      requests: 200,
      stages: [{connections: 1, rampFrom: 5, rate: 25}],
    })
    expect(
      planShare(
        {...plan, rate: undefined, stages: [{connections: 4, durationMs: 1000, rampFrom: 3}]},
        {count: 2, index: 2},
      ).stages,
    ).toEqual([{connections: 2, durationMs: 1000, rampFrom: 1, rate: undefined}])
  })
})
