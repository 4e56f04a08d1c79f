import type {DecisionSettings, Evidence, MetricEvidence, TargetInput} from '../../../src/engine/types.js'
import {parseExpectation} from '../../../src/engine/expectation.js'

export const SETTINGS: DecisionSettings = {confidence: 0.95, minConsensus: 0.85, resamples: 400, seed: 42}

export function evidence(metrics: Record<string, MetricEvidence>, extra: Partial<Evidence> = {}): Evidence {
  return {kind: 'measured', metrics, source: 'test', ...extra}
}

export function samples(
  values: number[],
  dimension: 'duration' | 'size' | 'count' = 'duration',
  seen?: number,
): MetricEvidence {
  return {dimension, samples: values, type: 'samples', ...(seen === undefined ? {} : {seen})}
}

export function target(
  id: string,
  expectations: string[],
  collected: TargetInput['collected'],
  extra: Partial<TargetInput> = {},
): TargetInput {
  return {
    collected,
    expectations: expectations.map((text) => parseExpectation(text)),
    id,
    level: 'error',
    required: true,
    title: id,
    validator: 'test',
    weight: 1,
    ...extra,
  }
}

/** n evenly spread values in [from, to]: a sample set with spread and no randomness. */
export function spread(n: number, from: number, to: number): number[] {
  return Array.from({length: n}, (_, i) => (n === 1 ? from : from + ((to - from) * i) / (n - 1)))
}
