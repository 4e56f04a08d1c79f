import type {Evidence, MetricEvidence} from '../../src/engine/types.js'
import type {Validator} from '../../src/validators/types.js'
import {collectEvidence, type RunContext} from '../../src/validators/runner.js'

/** A runner context for one test target; override what the test is about. */
export function runContext(overrides: Partial<RunContext> = {}): RunContext {
  return {
    gateDir: '.',
    log() {},
    progress() {},
    seed: 1,
    services: {},
    target: {id: 't', title: 'T'},
    timeoutMs: 60_000,
    ...overrides,
  }
}

/** Runs a validator through the real runner and returns its evidence; NO_DATA fails the test with its reason. */
export async function measure(
  validator: Validator,
  options: Record<string, unknown>,
  overrides: Partial<RunContext> = {},
): Promise<Evidence> {
  const outcome = await collectEvidence(validator, options, runContext(overrides))
  if ('noData' in outcome) throw new Error(`NO_DATA: ${outcome.noData}`)
  return outcome.evidence
}

export function samplesOf(metric: MetricEvidence | undefined): number[] {
  if (metric?.type !== 'samples') throw new Error(`expected samples, got ${JSON.stringify(metric)}`)
  return metric.samples
}

export function valueOf(metric: MetricEvidence | undefined): number {
  if (metric?.type !== 'value') throw new Error(`expected a value, got ${JSON.stringify(metric)}`)
  return metric.value
}

/** A proportion metric's counts; anything else fails the test saying what it was. */
export function countsOf(metric: MetricEvidence | undefined): {events: number; trials: number} {
  if (metric?.type !== 'proportion') throw new Error(`expected a proportion, got ${JSON.stringify(metric)}`)
  return {events: metric.events, trials: metric.trials}
}
