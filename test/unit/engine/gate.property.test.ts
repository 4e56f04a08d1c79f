import fc from 'fast-check'
import {describe, expect, it} from 'vitest'

import type {DecisionSettings, EvidenceKind, MetricEvidence, Operator, TargetInput} from '../../../src/engine/types.js'

import {evaluateGate} from '../../../src/engine/index.js'
import {evidence, target} from './helpers.js'

const settingsArb: fc.Arbitrary<DecisionSettings> = fc.record({
  confidence: fc.double({max: 0.99, min: 0.66, noNaN: true}),
  minConsensus: fc.double({max: 1, min: 0, noNaN: true}),
  resamples: fc.integer({max: 300, min: 50}),
  seed: fc.nat(),
})

const operatorArb = fc.constantFrom<Operator>('<', '<=', '>', '>=')
const sampleStatisticArb = fc.constantFrom('p50', 'p90', 'p95', 'p99.9', 'mean', 'median', 'min', 'max')
const latencyArb = fc.array(fc.double({max: 500, min: 1, noNaN: true}), {maxLength: 60, minLength: 0})

/** One metric "m" and an expectation over it that fits, with a threshold in the metric's range. */
const measurementArb: fc.Arbitrary<{expectation: string; metric: MetricEvidence}> = fc.oneof(
  fc
    .record({
      op: operatorArb,
      statistic: sampleStatisticArb,
      threshold: fc.integer({max: 500, min: 1}),
      values: latencyArb,
    })
    .map(({op, statistic, threshold, values}) => ({
      expectation: `${statistic}(m) ${op} ${threshold}ms`,
      metric: {dimension: 'duration', samples: values, type: 'samples'} as MetricEvidence,
    })),
  fc
    .record({
      events: fc.nat({max: 400}),
      extra: fc.nat({max: 400}),
      op: operatorArb,
      threshold: fc.integer({max: 99, min: 1}),
    })
    .map(({events, extra, op, threshold}) => ({
      expectation: `m ${op} ${threshold}%`,
      metric: {events, trials: events + extra, type: 'proportion'} as MetricEvidence,
    })),
  fc
    .record({
      op: fc.constantFrom<Operator>('<', '<=', '>', '>=', '==', '!='),
      threshold: fc.integer({max: 60, min: 1}),
      value: fc.integer({max: 60, min: 1}),
    })
    .map(({op, threshold, value}) => ({
      expectation: `m ${op} ${threshold}x`,
      metric: {dimension: 'ratio', type: 'value', value} as MetricEvidence,
    })),
)

const kindArb = fc.constantFrom<EvidenceKind>('measured', 'artifact', 'claim')

function targetArb(id: string): fc.Arbitrary<TargetInput> {
  return fc
    .record({
      kind: kindArb,
      measurement: measurementArb,
      noData: fc.option(fc.constant('validator threw: ECONNREFUSED'), {freq: 6}),
      quality: fc.option(fc.double({max: 1, min: 0, noNaN: true})),
      required: fc.boolean(),
      weight: fc.double({max: 10, min: 0, noNaN: true}),
    })
    .map(({kind, measurement, noData, quality, required, weight}) =>
      target(id, [measurement.expectation], noData ? {noData} : {evidence: evidence({m: measurement.metric}, {kind})}, {
        level: required ? 'error' : 'warn',
        required,
        weight,
        ...(quality === null ? {} : {quality}),
      }),
    )
}

const gateArb = fc
  .integer({max: 6, min: 1})
  .chain((n) => fc.tuple(...Array.from({length: n}, (_, i) => targetArb(`t${i}`))))

describe('gate properties', () => {
  it('swapping target order never changes the decision or any target verdict', () => {
    fc.assert(
      fc.property(settingsArb, gateArb, fc.nat(), (settings, targets, shift) => {
        const rotated = [
          ...targets.slice(shift % targets.length),
          ...targets.slice(0, shift % targets.length),
        ].reverse()
        const a = evaluateGate(settings, targets)
        const b = evaluateGate(settings, rotated)
        const byId = (e: typeof a) => Object.fromEntries(e.targets.map((t) => [t.id, t]))
        expect(byId(b)).toEqual(byId(a))
        expect(b.consensus).toBeCloseTo(a.consensus, 12)
        expect([
          b.decision.outcome,
          b.decision.rule,
          [...b.decision.deciding].sort(),
          [...b.decision.improvements].sort(),
        ]).toEqual([
          a.decision.outcome,
          a.decision.rule,
          [...a.decision.deciding].sort(),
          [...a.decision.improvements].sort(),
        ])
      }),
      {numRuns: 60},
    )
  })

  it('consensus stays in [0, 1]', () => {
    fc.assert(
      fc.property(settingsArb, gateArb, (settings, targets) => {
        const {consensus} = evaluateGate(settings, targets)
        return consensus >= 0 && consensus <= 1
      }),
      {numRuns: 60},
    )
  })

  it('NO_DATA on a required target always BLOCKs', () => {
    fc.assert(
      fc.property(settingsArb, gateArb, fc.boolean(), (settings, targets, missingMetric) => {
        const silent = target(
          'silent',
          ['p95(latency) < 1s'],
          missingMetric
            ? {evidence: evidence({other: {dimension: 'count', type: 'value', value: 1}})}
            : {noData: 'timed out'},
        )
        const {decision, targets: verdicts} = evaluateGate(settings, [...targets, silent])
        expect(verdicts.at(-1)?.status).toBe('NO_DATA')
        expect([decision.outcome, decision.rule]).toEqual(['BLOCK', 1])
        expect(decision.deciding).toContain('silent')
      }),
      {numRuns: 60},
    )
  })

  it('a claim never PASSes', () => {
    fc.assert(
      fc.property(
        settingsArb,
        measurementArb,
        fc.option(fc.double({max: 5, min: 0, noNaN: true})),
        (settings, {expectation, metric}, quality) => {
          const claim = target(
            'claim',
            [expectation],
            {evidence: evidence({m: metric}, {kind: 'claim'})},
            quality === null ? {} : {quality},
          )
          const [verdict] = evaluateGate(settings, [claim]).targets
          expect(verdict?.confidence).toBeLessThanOrEqual(0.65)
          expect(verdict?.status).not.toBe('PASS')
          expect(verdict?.expectations[0]?.status).not.toBe('PASS')
        },
      ),
      {numRuns: 150},
    )
  })

  it('a PASS implies the one-sided bound sits on the holding side of the threshold', () => {
    let passes = 0
    fc.assert(
      fc.property(settingsArb, measurementArb, kindArb, (settings, {expectation, metric}, kind) => {
        const [verdict] = evaluateGate(settings, [
          target('x', [expectation], {evidence: evidence({m: metric}, {kind})}),
        ]).targets
        for (const e of verdict?.expectations ?? []) {
          if (e.status !== 'PASS' || e.operator === '==' || e.operator === '!=') continue
          passes++
          expect(e.bound).not.toBeNull()
          // Absolute expectations only here: every threshold is known.
          if (e.operator === '<' || e.operator === '<=') expect(e.bound).toBeLessThanOrEqual(e.threshold ?? Number.NaN)
          else expect(e.bound).toBeGreaterThanOrEqual(e.threshold ?? Number.NaN)
        }
      }),
      {numRuns: 300},
    )
    // The property must have been exercised, not vacuously true.
    expect(passes).toBeGreaterThan(20)
  })

  it(
    'a clear miss (every sample far beyond the threshold) is never PASS, and FAILs once there are enough samples ' +
      'to show it',
    () => {
      fc.assert(
        fc.property(
          settingsArb,
          sampleStatisticArb,
          fc.constantFrom('<', '<=', '>', '>='),
          fc.integer({max: 1000, min: 10}),
          fc.array(fc.double({max: 3, min: 2, noNaN: true}), {maxLength: 80, minLength: 2}),
          fc.constantFrom<EvidenceKind>('measured', 'artifact'),
          (settings, statistic, op, threshold, factors, kind) => {
            // Far beyond: 2–3× the threshold when it must stay below, a half to a third when it must stay above.
            const beyond = (f: number) => (op.startsWith('<') ? threshold * f : threshold / f)
            const judge = (values: number[]) => {
              const input = target('miss', [`${statistic}(latency) ${op} ${threshold}ms`], {
                evidence: evidence({latency: {dimension: 'duration', samples: values, type: 'samples'}}, {kind}),
              })
              return evaluateGate(settings, [input])
            }
            const few = judge(factors.map(beyond)).targets[0]
            expect(few?.status).not.toBe('PASS')
            expect(few?.p).toBeLessThanOrEqual(0.5)
            // 5,000 samples show that even a p99.9 is not beyond its threshold (0.999^5000 ≈ 0.007 ≤ 1 − 0.99).
            const many = judge(Array.from({length: 5000}, (_, i) => beyond(factors[i % factors.length] as number)))
            expect(many.targets[0]?.status).toBe('FAIL')
            expect(many.decision.outcome).toBe('BLOCK')
          },
        ),
        {numRuns: 40},
      )
    },
  )
})
