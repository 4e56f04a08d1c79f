// Decided runs for history tests: real verdicts from the engine over synthetic evidence.
import {hashSeed, Random} from '../../../src/engine/random.js'
import {evaluateGate} from '../../../src/engine/index.js'
import type {DecisionSettings} from '../../../src/engine/types.js'
import type {CollectedTarget, RunResults} from '../../../src/results/types.js'
import {parseExpectation} from '../../../src/engine/expectation.js'

export const SETTINGS: DecisionSettings = {confidence: 0.9, minConsensus: 0.8, resamples: 200, seed: 1}

export interface RunShape {
  gate?: string
  id?: string
  startedAt?: string
  /** Latency samples of target "api" (ms); by default 200 draws around `latencyMs`. */
  latency?: number[]
  latencyMs?: number
  errors?: number
  throughput?: number
  interrupted?: boolean
  shard?: {index: number; count: number}
  branch?: string | null
  commit?: string
  sha256?: string
  /** Drop target "claim" (the gate changed). */
  apiOnly?: boolean
}

/** Latencies around `centre` ms (lognormal-ish, positive), reproducible from `seed`. */
export function latencies(count: number, centre: number, seed: string | number = 1): number[] {
  const random = new Random(hashSeed('latency', seed))
  return Array.from({length: count}, () => centre * Math.exp(0.2 * random.normal()))
}

/**
 * A run of a two-target gate: "api" (latency samples, an error proportion, a throughput value) and "claim" (one value).
 */
export function makeRun(shape: RunShape = {}): {results: RunResults; collected: CollectedTarget[]} {
  const gate = shape.gate ?? 'shop'
  const startedAt = shape.startedAt ?? '2026-11-23T10:00:00.000Z'
  const latency = shape.latency ?? latencies(200, shape.latencyMs ?? 100, startedAt)
  const inputs: CollectedTarget[] = [
    {
      collected: {
        evidence: {
          durationMs: 10_000,
          kind: 'measured',
          metrics: {
            errors: {events: shape.errors ?? 1, trials: 1000, type: 'proportion'},
            latency: {dimension: 'duration', samples: latency, type: 'samples'},
            throughput: {dimension: 'rate', type: 'value', value: shape.throughput ?? 250},
          },
          source: 'live: GET http://127.0.0.1:1/x',
        },
      },
      expectations: ['p95(latency) < 1s', 'errors < 0.05', 'throughput > 10'],
      id: 'api',
      level: 'error',
      required: true,
      title: 'API',
      validator: 'http',
      weight: 2,
    },
    ...(shape.apiOnly
      ? []
      : [
          {
            collected: {
              evidence: {
                kind: 'claim' as const,
                metrics: {cold_start: {dimension: 'duration' as const, type: 'value' as const, value: 850}},
                source: 'vendor report',
              },
            },
            expectations: ['cold_start < 1s'],
            id: 'claim',
            level: 'warn' as const,
            required: false,
            title: 'Cold start',
            validator: 'claim',
            weight: 1,
          },
        ]),
  ]
  const evaluation = evaluateGate(
    SETTINGS,
    inputs.map((input) => ({...input, expectations: input.expectations.map((text) => parseExpectation(text))})),
  )
  const finishedAt = new Date(Date.parse(startedAt) + 12_000).toISOString()
  const results: RunResults = {
    $schema: 'https://phasegate.dev/schemas/results-v1.json',
    consensus: evaluation.consensus,
    decision: evaluation.decision,
    durationMs: 12_000,
    environment: {
      arch: 'x64',
      ci: false,
      cpu: {count: 2, model: 'test'},
      git:
        shape.branch === null
          ? null
          : {
              branch: shape.branch ?? 'main',
              commit: shape.commit ?? '0123456789abcdef0123456789abcdef01234567',
              dirty: false,
            },
      memoryBytes: 1,
      node: 'v20',
      platform: 'linux',
    },
    finishedAt,
    gate: {file: `gates/${gate}.yaml`, name: gate, sha256: shape.sha256 ?? 'a'.repeat(64), title: 'Shop'},
    id: shape.id ?? `${gate}-${startedAt.replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}`,
    interrupted: shape.interrupted ?? false,
    settings: SETTINGS,
    startedAt,
    targets: evaluation.targets,
    tool: {name: 'phasegate', version: '0.1.0'},
    version: 1,
    warnings: [],
    ...(shape.shard ? {shard: shape.shard} : {}),
  }
  return {collected: inputs, results}
}

/** Start times one minute apart, oldest first. */
export function minutesAfter(base: string, minutes: number): string {
  return new Date(Date.parse(base) + minutes * 60_000).toISOString()
}
