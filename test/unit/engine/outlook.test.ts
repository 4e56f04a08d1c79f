import {describe, expect, it} from 'vitest'

import {consensusOf, evaluateGate} from '../../../src/engine/index.js'
import {
  bottlenecks,
  headlineExpectation,
  nextSteps,
  outcomeIfAllSettled,
  statusWord,
} from '../../../src/engine/outlook.js'
import {evidence, samples, SETTINGS, spread, target} from './helpers.js'

const value = (v: number) => ({dimension: 'count' as const, type: 'value' as const, value: v})

/** A phase-2-shaped gate, judged by the real engine: every number below comes from evaluateGate. */
function phase() {
  return evaluateGate(SETTINGS, [
    // 200 allocations between 10 and 40 ms: p95 far under 100 ms, all agents allocated.
    target(
      'fleet',
      ['p95(latency) < 100ms', 'agents >= 1000'],
      {evidence: evidence({agents: value(1000), latency: samples(spread(200, 10, 40))})},
      {weight: 3},
    ),
    // 200 refreshes between 600 and 980 ms: p95 just under 1 s, PASS but not by much.
    target('dashboard', ['p95(refresh) < 1s'], {evidence: evidence({refresh: samples(spread(200, 600, 980))})}),
    // 3 failovers, all under 5 s: a p95 cannot be shown from 3, so INCONCLUSIVE, toward PASS.
    target(
      'failover',
      ['p95(failover) < 5s', 'lost == 0'],
      {evidence: evidence({failover: samples([900, 1100, 1300]), lost: value(0)})},
      {weight: 2},
    ),
    // A speed-up of 1.05x against 40x: past the threshold by 97%.
    target(
      'wasm',
      ['speedup >= 40', 'mismatches == 0'],
      {evidence: evidence({mismatches: value(2), speedup: {dimension: 'ratio', type: 'value', value: 1.05}})},
      {level: 'warn', required: false},
    ),
    target(
      'cache',
      ['hit_rate >= 90%'],
      {evidence: evidence({hit_rate: {events: 850, trials: 1000, type: 'proportion'}})},
      {level: 'warn', required: false},
    ),
    target(
      'vendor',
      ['refresh < 1s'],
      {evidence: evidence({refresh: {dimension: 'duration', type: 'value', value: 850}}, {kind: 'claim'})},
      {required: false},
    ),
    target('db', ['p95(query) < 10ms'], {noData: 'connect ECONNREFUSED'}, {required: false}),
  ])
}

describe('statusWord', () => {
  const {targets} = phase()
  const byId = Object.fromEntries(targets.map((t) => [t.id, t]))

  it('calls a PASS EXCEEDED only when its one-sided bound clears the threshold by a fifth, else MET', () => {
    expect(byId.fleet!.status).toBe('PASS')
    expect(statusWord(byId.fleet!)).toBe('EXCEEDED')
    expect(byId.dashboard!.status).toBe('PASS')
    expect(statusWord(byId.dashboard!)).toBe('MET')
  })

  it('calls a FAIL MISSED and every target that is not decided UNPROVEN, a claim included', () => {
    expect(statusWord(byId.wasm!)).toBe('MISSED')
    expect(byId.failover!.status).toBe('INCONCLUSIVE')
    expect(statusWord(byId.failover!)).toBe('UNPROVEN')
    expect(statusWord(byId.vendor!)).toBe('UNPROVEN')
    expect(statusWord(byId.db!)).toBe('UNPROVEN')
  })
})

describe('headlineExpectation', () => {
  const {targets} = phase()
  const byId = Object.fromEntries(targets.map((t) => [t.id, t]))

  it('is the primary (first) expectation when it shares the target status', () => {
    // agents >= 1000 has P = 1 like the p95, and the smallest margin: the old headline; the p95 is the primary.
    expect(headlineExpectation(byId.fleet!)).toBe(0)
    expect(headlineExpectation(byId.failover!)).toBe(0)
  })

  it('is the expectation that decides the status when the primary does not', () => {
    const cache = evaluateGate(SETTINGS, [
      target('x', ['hit_rate >= 50%', 'errors == 0'], {
        evidence: evidence({errors: value(3), hit_rate: {events: 900, trials: 1000, type: 'proportion'}}),
      }),
    ]).targets[0]!
    expect(cache.status).toBe('FAIL')
    expect(headlineExpectation(cache)).toBe(1)
  })
})

describe('bottlenecks', () => {
  it('ranks what is past its threshold by weight × shortfall; a zero threshold counts as a full miss', () => {
    const found = bottlenecks(phase().targets)
    expect(found.map((b) => [b.target, b.expectation])).toEqual([
      ['wasm', 1],
      ['wasm', 0],
      ['cache', 0],
    ])
    expect(found[0]).toMatchObject({severity: 1, shortfall: null})
    expect(found[1]!.shortfall).toBeCloseTo((40 - 1.05) / 40, 9)
    expect(found[2]!.severity).toBeCloseTo((0.9 - 0.85) / 0.9, 9)
  })

  it('finds none when every value is on the holding side', () => {
    expect(bottlenecks(phase().targets.filter((t) => t.status === 'PASS'))).toEqual([])
  })
})

describe('nextSteps', () => {
  const {consensus, decision, targets} = phase()
  const steps = nextSteps(targets, SETTINGS)
  const byId = Object.fromEntries(steps.map((s) => [s.target, s]))

  it('has one step per target that does not PASS, ranked by the consensus it would add', () => {
    expect(steps.map((s) => s.target).sort()).toEqual(['cache', 'db', 'failover', 'vendor', 'wasm'])
    const gains = steps.map((s) => s.gain)
    expect(gains).toEqual([...gains].sort((a, b) => b - a))
    expect(steps.every((s) => s.gain > 0)).toBe(true)
  })

  it('says how many more samples would settle an INCONCLUSIVE p95, and what it would add', () => {
    const failover = byId.failover!
    const verdict = targets.find((t) => t.id === 'failover')!
    expect(failover.actions).toEqual([
      {expectation: 0, kind: 'measure-more', samples: verdict.expectations[0]!.more!.samples},
    ])
    expect(failover.actions[0]).toMatchObject({samples: expect.any(Number)})
    expect(failover.confidenceAfter).toBeCloseTo(0.95, 12)
    const after = targets.map((t) => (t.id === 'failover' ? {...t, confidence: 0.95} : t))
    expect(failover.gain).toBeCloseTo(consensusOf(after) - consensus, 12)
  })

  it('asks for the claim to be measured live (quality 1 then), for data where there is none, and for fixes', () => {
    expect(byId.vendor!.actions).toEqual([{expectation: 0, kind: 'measure-live'}])
    expect(byId.vendor!.confidenceAfter).toBeCloseTo(0.95, 12)
    expect(byId.db!.actions).toEqual([{expectation: 0, kind: 'collect'}])
    expect(byId.wasm!.actions).toEqual([
      {expectation: 0, kind: 'improve'},
      {expectation: 1, kind: 'improve'},
    ])
  })

  it('names the outcome each step alone would lead to, and the outcome of all of them', () => {
    // The required failover is INCONCLUSIVE: rule 2 decides until it is settled.
    expect(decision.outcome).toBe('INCONCLUSIVE')
    expect(byId.failover!.outcomeAfter).not.toBe('INCONCLUSIVE')
    for (const id of ['cache', 'db', 'vendor', 'wasm']) expect(byId[id]!.outcomeAfter).toBe('INCONCLUSIVE')
    const all = outcomeIfAllSettled(targets, steps, SETTINGS)
    expect(all.outcome).toBe('PROCEED')
    expect(all.consensus).toBeGreaterThan(consensus)
  })

  it('has nothing to do when every target PASSes', () => {
    expect(
      nextSteps(
        phase().targets.filter((t) => t.status === 'PASS'),
        SETTINGS,
      ),
    ).toEqual([])
  })
})
