import {describe, expect, it} from 'vitest'

import {
  arrivalsBefore,
  arrivalsBy,
  connectionsAt,
  intendedOffset,
  type PlannedStage,
  resolvePlan,
} from '../../../src/load/plan.js'
import {LOAD_LIMITS, LoadPlanError} from '../../../src/load/index.js'

const URL_ = 'http://127.0.0.1:1/x?y=1'

function stage(overrides: Partial<PlannedStage>): PlannedStage {
  return {connections: 10, durationMs: 1000, index: 0, model: 'open', rampFrom: null, rate: 100, ...overrides}
}

describe('resolving a load plan', () => {
  it('fills in the defaults: closed model, 10 connections, 10 s, 2xx/3xx', () => {
    const plan = resolvePlan({url: URL_})
    expect(plan.model).toBe('closed')
    expect(plan.method).toBe('GET')
    expect(plan.stages).toEqual([
      {connections: 10, durationMs: 10_000, index: 0, model: 'closed', rampFrom: null, rate: 0},
    ])
    expect(plan.plannedMs).toBe(10_000)
    expect(plan.requestBudget).toBe(LOAD_LIMITS.requests)
    expect([199, 200, 302, 399, 400, 503].map(plan.isOk)).toEqual([false, true, true, true, false, false])
  })

  it('switches to the open model when there is a rate, and stages inherit the plan', () => {
    const plan = resolvePlan({
      connections: 4,
      rate: 50,
      stages: [{durationMs: 1000}, {durationMs: 2000, rate: 80}],
      url: URL_,
    })
    expect(plan.model).toBe('open')
    expect(plan.stages.map((s) => [s.connections, s.rate, s.durationMs])).toEqual([
      [4, 50, 1000],
      [4, 80, 2000],
    ])
    expect(plan.plannedMs).toBe(3000)
  })

  it('accepts only the statuses the caller lists', () => {
    const plan = resolvePlan({okStatus: [200, 404], url: URL_})
    expect([200, 204, 404].map(plan.isOk)).toEqual([true, false, true])
  })

  it.each([
    [{durationMs: 11 * 60_000}, /the run would last 11 min, over the cap of 10 min/],
    [{stages: [{durationMs: 6 * 60_000}, {durationMs: 5 * 60_000}]}, /would last 11 min, over the cap of 10 min/],
    [{requests: 10_000_001}, /requests is 10,000,001, over the cap of 10,000,000/],
    [{connections: 10_001}, /connections is 10,001, over the cap/],
    [{durationMs: 600_000, rate: 20_000}, /intend 12,000,000 requests, over the cap/],
    [{rate: 2_000_000}, /rate is 2,000,000, over the cap/],
    [{connections: 2.5}, /connections is 2.5; it must be a whole number/],
    [{stages: []}, /stages is empty/],
    [{stages: [{durationMs: 1000, rate: 10}, {durationMs: 1000}]}, /stage 2: has no rate/],
    [{okStatus: []}, /okStatus is empty/],
    [{url: 'ftp://127.0.0.1/'}, /not http or https/],
    [{url: 'nope'}, /is not a URL/],
  ])('refuses %j with a clear message', (overrides, message) => {
    expect(() => resolvePlan({url: URL_, ...overrides})).toThrow(LoadPlanError)
    expect(() => resolvePlan({url: URL_, ...overrides})).toThrow(message)
  })

  it('lets an explicit request count bound an open plan that would intend more than the cap', () => {
    expect(resolvePlan({durationMs: 600_000, rate: 20_000, requests: 1000, url: URL_}).requestBudget).toBe(1000)
  })
})

describe('the open model schedule', () => {
  it('spaces arrivals evenly at a constant rate', () => {
    const constant = stage({rate: 200})
    expect([0, 1, 2, 199].map((n) => intendedOffset(constant, n))).toEqual([0, 5, 10, 995])
    expect(arrivalsBefore(constant, 1000)).toBe(200)
    expect(arrivalsBefore(constant, 500)).toBe(100)
    expect(arrivalsBefore(constant, 501)).toBe(101)
  })

  it('ramps linearly: arrivals by t are the area under the rate, and the offsets invert it', () => {
    const ramp = stage({durationMs: 2000, rampFrom: 0, rate: 100})
    expect(arrivalsBy(ramp, 2000)).toBeCloseTo(100)
    expect(arrivalsBy(ramp, 1000)).toBeCloseTo(25)
    for (const n of [1, 10, 25, 60, 99]) expect(arrivalsBy(ramp, intendedOffset(ramp, n))).toBeCloseTo(n, 6)
    expect(arrivalsBefore(ramp, 2000)).toBe(100)
  })

  it('ramps down to nothing and then has no more arrivals', () => {
    const down = stage({durationMs: 1000, rampFrom: 100, rate: 0})
    expect(arrivalsBy(down, 1000)).toBeCloseTo(50)
    expect(intendedOffset(down, 49)).toBeLessThan(1000)
    expect(intendedOffset(down, 51)).toBe(Number.POSITIVE_INFINITY)
  })

  it('moves virtual users linearly in a closed ramp and keeps them level otherwise', () => {
    const ramp = stage({connections: 11, model: 'closed', rampFrom: 1, rate: 0})
    expect([0, 500, 1000, 5000].map((ms) => connectionsAt(ramp, ms))).toEqual([1, 6, 11, 11])
    expect(connectionsAt(stage({connections: 7, model: 'closed', rate: 0}), 300)).toBe(7)
    expect(connectionsAt(stage({connections: 7, rampFrom: 1}), 300)).toBe(7)
  })
})
