import {describe, expect, it} from 'vitest'

import type {Evidence, MetricEvidence} from '../../../src/engine/types.js'
import {MAX_SAMPLES} from '../../../src/validators/evidence.js'
import {collectEvidence, type RunContext} from '../../../src/validators/runner.js'
import {defineValidator, type Validator} from '../../../src/validators/types.js'

function context(overrides: Partial<RunContext> = {}): RunContext {
  return {
    gateDir: process.cwd(),
    log() {},
    progress() {},
    seed: 1,
    services: {},
    target: {id: 't', title: 'T'},
    timeoutMs: 10_000,
    ...overrides,
  }
}

function returning(evidence: unknown, extra: Partial<Validator> = {}): Validator {
  return defineValidator({
    collect: async () => evidence as Evidence,
    description: 'test',
    metrics: [],
    name: 'fake',
    options: {type: 'object'},
    ...extra,
  })
}

function measured(metrics: Record<string, unknown>): Record<string, unknown> {
  return {kind: 'measured', metrics, source: 'test'}
}

function samples(values: number[], dimension = 'duration'): Record<string, unknown> {
  return {dimension, samples: values, type: 'samples'}
}

function noDataOf(outcome: Awaited<ReturnType<typeof collectEvidence>>): string {
  if (!('noData' in outcome))
    throw new Error(`expected NO_DATA, got evidence ${JSON.stringify(outcome.evidence).slice(0, 200)}`)
  return outcome.noData
}

function evidenceOf(outcome: Awaited<ReturnType<typeof collectEvidence>>): Evidence {
  if ('noData' in outcome) throw new Error(`expected evidence, got NO_DATA: ${outcome.noData}`)
  return outcome.evidence
}

describe('collectEvidence', () => {
  it('turns a throw into NO_DATA with the validator name and message, never the stack', async () => {
    const validator = returning(undefined, {
      async collect() {
        throw new Error('connection refused by 127.0.0.1:9')
      },
    })
    const reason = noDataOf(await collectEvidence(validator, {}, context()))
    expect(reason).toBe('validator fake failed: connection refused by 127.0.0.1:9')
    expect(reason).not.toContain(' at ')
  })

  it('cuts off a validator that ignores its signal at the timeout', async () => {
    let signalled = false
    const validator = returning(undefined, {
      collect(ctx) {
        ctx.signal.addEventListener('abort', () => (signalled = true))
        return new Promise(() => {})
      },
    })
    expect(noDataOf(await collectEvidence(validator, {}, context({timeoutMs: 50})))).toBe('timed out after 50 ms')
    expect(signalled).toBe(true)
  })

  it('reports an interruption from the parent signal, and does not start when already interrupted', async () => {
    const controller = new AbortController()
    const validator = returning(undefined, {
      collect(ctx) {
        setTimeout(() => controller.abort(new Error('SIGINT')), 10)
        return new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)))
      },
    })
    expect(noDataOf(await collectEvidence(validator, {}, context({signal: controller.signal})))).toBe('interrupted')
    expect(noDataOf(await collectEvidence(validator, {}, context({signal: controller.signal})))).toBe(
      'interrupted before it ran',
    )
  })

  it('fills in schema defaults and refuses options that do not fit the schema', async () => {
    let seen: unknown
    const validator = returning(undefined, {
      async collect(_ctx, options) {
        seen = options
        return measured({n: {dimension: 'count', type: 'value', value: 1}}) as unknown as Evidence
      },
      options: {additionalProperties: false, properties: {runs: {default: 10, type: 'integer'}}, type: 'object'},
    })
    evidenceOf(await collectEvidence(validator, {}, context()))
    expect(seen).toEqual({runs: 10})
    expect(noDataOf(await collectEvidence(validator, {runs: 'ten'}, context()))).toBe(
      'validator fake rejected its options: option "runs" must be integer',
    )
  })

  it.each([
    [
      'NaN',
      measured({latency: samples([1, Number.NaN])}),
      'an invalid metric "latency": sample #2 is NaN; expected a finite number',
    ],
    [
      'Infinity',
      measured({n: {dimension: 'count', type: 'value', value: Number.POSITIVE_INFINITY}}),
      'value is Infinity',
    ],
    ['a negative duration', measured({latency: samples([3, -1])}), 'sample #2 is -1; a duration cannot be negative'],
    ['a negative size', measured({rss: {dimension: 'size', type: 'value', value: -5}}), 'a size cannot be negative'],
    [
      'events above trials',
      measured({hits: {events: 11, trials: 10, type: 'proportion'}}),
      'events cannot exceed trials',
    ],
    ['fractional events', measured({hits: {events: 1.5, trials: 10, type: 'proportion'}}), 'must be whole numbers'],
    ['an unknown type', measured({x: {type: 'histogram'}}), 'type "histogram"'],
    ['an unknown dimension', measured({x: {dimension: 'parsecs', type: 'value', value: 1}}), 'dimension "parsecs"'],
    ['no kind', {metrics: {}, source: 'x'}, 'evidence of kind undefined'],
    ['no source', {kind: 'measured', metrics: {}}, 'evidence without a source'],
    ['a string', 'all good', 'returned "all good" instead of evidence'],
  ])('rejects evidence with %s', async (_what, evidence, message) => {
    expect(noDataOf(await collectEvidence(returning(evidence), {}, context()))).toContain(message)
  })

  it('accepts negative ratios and counts, which can be real (a slowdown, a delta)', async () => {
    const evidence = evidenceOf(
      await collectEvidence(
        returning(measured({delta: {dimension: 'count', type: 'value', value: -3}})),
        {},
        context(),
      ),
    )
    expect(evidence.metrics.delta).toEqual({dimension: 'count', type: 'value', value: -3})
  })

  it('drops an empty metric with a note, and gives NO_DATA when nothing usable is left', async () => {
    const evidence = evidenceOf(
      await collectEvidence(returning(measured({empty: samples([]), ok: samples([1, 2])})), {}, context()),
    )
    expect(Object.keys(evidence.metrics)).toEqual(['ok'])
    expect(evidence.notes).toContain('metric empty was dropped: it has no samples')

    const none = measured({empty: samples([]), never: {events: 0, trials: 0, type: 'proportion'}})
    expect(noDataOf(await collectEvidence(returning(none), {}, context()))).toBe(
      'validator fake returned no usable samples',
    )
  })

  it('cuts millions of samples to a seeded uniform reservoir and records how many were seen', async () => {
    const count = 2_000_000
    const all = Array.from({length: count}, (_, i) => i)
    const run = async (seed: number) =>
      evidenceOf(await collectEvidence(returning(measured({latency: samples(all)})), {}, context({seed}))).metrics
        .latency as Extract<MetricEvidence, {type: 'samples'}>
    const first = await run(7)
    expect(first.samples).toHaveLength(MAX_SAMPLES)
    expect(first.seen).toBe(count)
    expect(new Set(first.samples).size).toBe(MAX_SAMPLES) // drawn without replacement
    // Uniform: the kept samples' mean is close to the population's.
    const mean = first.samples.reduce((sum, x) => sum + x, 0) / MAX_SAMPLES
    expect(Math.abs(mean - count / 2) / count).toBeLessThan(0.01)
    expect((await run(7)).samples.slice(0, 100)).toEqual(first.samples.slice(0, 100))
    expect((await run(8)).samples.slice(0, 100)).not.toEqual(first.samples.slice(0, 100))
  })

  it('keeps the declared kind when a validator tries to upgrade its evidence', async () => {
    const validator = returning(measured({n: {dimension: 'count', type: 'value', value: 1}}), {kind: 'claim'})
    const evidence = evidenceOf(await collectEvidence(validator, {}, context()))
    expect(evidence.kind).toBe('claim')
    expect(evidence.notes).toEqual(['validator fake declares claim evidence but returned measured; kept as claim'])
  })

  it('lets a validator downgrade its evidence', async () => {
    const evidence = evidenceOf(
      await collectEvidence(
        returning({...measured({n: {dimension: 'count', type: 'value', value: 1}}), kind: 'artifact'}),
        {},
        context(),
      ),
    )
    expect(evidence.kind).toBe('artifact')
    expect(evidence.notes).toBeUndefined()
  })
})
