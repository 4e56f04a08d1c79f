import {hashSeed, Random} from '../engine/random.js'
import {reservoir} from '../load/reservoir.js'
import type {Dimension, Evidence, EvidenceKind, MetricEvidence, SampleBuckets} from '../engine/types.js'

export const DIMENSIONS: readonly Dimension[] = ['duration', 'size', 'ratio', 'proportion', 'rate', 'count']
export const METRIC_TYPES: ReadonlyArray<MetricEvidence['type']> = ['samples', 'value', 'proportion']
export const EVIDENCE_KINDS: readonly EvidenceKind[] = ['measured', 'artifact', 'claim']

/** Samples kept per metric; more are cut to a uniform reservoir of this size (memory must not grow with the run). */
export const MAX_SAMPLES = 100_000

/** Evidence can be downgraded by a validator, never upgraded past what it declares. */
const KIND_RANK: Readonly<Record<EvidenceKind, number>> = {artifact: 1, claim: 0, measured: 2}

/** Durations and sizes below zero are bugs in the validator, never measurements. */
const NON_NEGATIVE: ReadonlySet<Dimension> = new Set(['duration', 'size'])

export type Collected = {evidence: Evidence} | {noData: string}

type MetricCheck = {dropped: string} | {invalid: string} | {metric: MetricEvidence}

/**
 * Checks what a validator returned before the engine trusts it: shape, finite numbers, signs,
 * counts; drops empty metrics with a note, caps huge sample sets, and never lets the kind exceed
 * the validator's declared kind. Anything malformed is NO_DATA with the reason.
 */
export function checkEvidence(raw: unknown, validator: {kind?: EvidenceKind; name: string}, seed: number): Collected {
  const refuse = (why: string): Collected => ({noData: `validator ${validator.name} returned ${why}`})
  if (!isRecord(raw)) return refuse(`${describe(raw)} instead of evidence`)
  if (!EVIDENCE_KINDS.includes(raw.kind as EvidenceKind))
    return refuse(`evidence of kind ${describe(raw.kind)}; expected measured, artifact or claim`)
  if (typeof raw.source !== 'string' || raw.source.trim() === '') return refuse('evidence without a source')
  if (!isRecord(raw.metrics)) return refuse('evidence without a metrics object')
  if (raw.durationMs !== undefined && !isNonNegative(raw.durationMs))
    return refuse(`durationMs ${describe(raw.durationMs)}; expected a non-negative number`)

  const notes = Array.isArray(raw.notes) ? raw.notes.filter((note): note is string => typeof note === 'string') : []
  const declared = validator.kind ?? 'measured'
  let kind = raw.kind as EvidenceKind
  if (KIND_RANK[kind] > KIND_RANK[declared]) {
    notes.push(`validator ${validator.name} declares ${declared} evidence but returned ${kind}; kept as ${declared}`)
    kind = declared
  }

  const metrics: Record<string, MetricEvidence> = {}
  for (const [name, metric] of Object.entries(raw.metrics)) {
    // Each metric its own stream: which samples are kept must not depend on the metrics' order.
    const checked = checkMetric(metric, () => new Random(hashSeed(seed, 'reservoir', name)))
    if ('invalid' in checked) return refuse(`an invalid metric "${name}": ${checked.invalid}`)
    if ('dropped' in checked) notes.push(`metric ${name} was dropped: ${checked.dropped}`)
    else metrics[name] = checked.metric
  }

  if (Object.keys(metrics).length === 0) return refuse('no usable samples')
  const evidence: Evidence = {kind, metrics, source: raw.source}
  if (raw.durationMs !== undefined) evidence.durationMs = raw.durationMs as number
  if (notes.length > 0) evidence.notes = notes
  return {evidence}
}

function checkMetric(raw: unknown, random: () => Random): MetricCheck {
  if (!isRecord(raw)) return {invalid: `expected an object, got ${describe(raw)}`}
  switch (raw.type) {
    case 'samples':
      return checkSamples(raw, random)
    case 'value':
      return checkValue(raw)
    case 'proportion':
      return checkProportion(raw)
    default:
      return {invalid: `type ${describe(raw.type)}; expected ${METRIC_TYPES.join(', ')}`}
  }
}

function checkSamples(raw: Record<string, unknown>, random: () => Random): MetricCheck {
  const dimension = raw.dimension as Dimension
  if (!DIMENSIONS.includes(dimension)) return {invalid: badDimension(raw.dimension)}
  if (!Array.isArray(raw.samples)) return {invalid: `samples is ${describe(raw.samples)}; expected an array of numbers`}
  const samples = raw.samples as unknown[]
  if (samples.length === 0) return {dropped: 'it has no samples'}
  for (const [index, sample] of samples.entries()) {
    const problem = numberProblem(sample, dimension)
    if (problem) return {invalid: `sample #${index + 1} ${problem}`}
  }

  const seen = raw.seen ?? samples.length
  if (!Number.isInteger(seen) || (seen as number) < samples.length)
    return {invalid: `seen is ${describe(raw.seen)}; expected an integer of at least the ${samples.length} samples`}
  const kept =
    samples.length > MAX_SAMPLES ? reservoir(samples as number[], MAX_SAMPLES, random()) : [...(samples as number[])]
  const buckets = raw.buckets === undefined ? undefined : checkBuckets(raw.buckets)
  if (typeof buckets === 'string') return {invalid: buckets}
  return {
    metric: {
      dimension,
      samples: kept,
      type: 'samples',
      ...(seen === kept.length ? {} : {seen: seen as number}),
      ...(buckets ? {buckets} : {}),
    },
  }
}

/** A histogram of every observation (SampleBuckets), or what is wrong with it. */
function checkBuckets(raw: unknown): SampleBuckets | string {
  const lists = isRecord(raw) ? [raw.lower, raw.upper, raw.counts] : []
  const [lower, upper, counts] = lists as number[][]
  if (!lower || !upper || !counts || !lists.every(Array.isArray))
    return `buckets is ${describe(raw)}; expected {lower, upper, counts} arrays`
  if (lower.length !== counts.length || upper.length !== counts.length)
    return 'buckets: lower, upper and counts must have one entry per bucket'
  for (let i = 0; i < counts.length; i++) {
    if (
      !isCount(counts[i]) ||
      !Number.isFinite(lower[i]) ||
      !Number.isFinite(upper[i]) ||
      (lower[i] as number) > (upper[i] as number)
    ) {
      return `bucket #${i + 1}: expected lower ≤ upper, both finite, and a whole count ≥ 0`
    }
  }

  return {counts: [...counts], lower: [...lower], upper: [...upper]}
}

function checkValue(raw: Record<string, unknown>): MetricCheck {
  const dimension = raw.dimension as Dimension
  if (!DIMENSIONS.includes(dimension)) return {invalid: badDimension(raw.dimension)}
  const problem = numberProblem(raw.value, dimension)
  if (problem) return {invalid: `value ${problem}`}
  return {metric: {dimension, type: 'value', value: raw.value as number}}
}

function checkProportion(raw: Record<string, unknown>): MetricCheck {
  const {events, trials} = raw
  if (!isCount(events) || !isCount(trials))
    return {invalid: `events ${describe(events)} and trials ${describe(trials)} must be whole numbers ≥ 0`}
  if (events > trials) return {invalid: `${events} events out of ${trials} trials; events cannot exceed trials`}
  if (trials === 0) return {dropped: 'it has no trials'}
  return {metric: {events, trials, type: 'proportion'}}
}

function numberProblem(value: unknown, dimension: Dimension): string | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return `is ${describe(value)}; expected a finite number`
  if (value < 0 && NON_NEGATIVE.has(dimension)) return `is ${value}; a ${dimension} cannot be negative`
  return undefined
}

function badDimension(dimension: unknown): string {
  return `dimension ${describe(dimension)}; expected one of ${DIMENSIONS.join(', ')}`
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

function isCount(value: unknown): value is number {
  return Number.isInteger(value) && (value as number) >= 0
}

function isNonNegative(value: unknown): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0
}

/** A value as it appears in messages: 3, NaN, "x", null, an array, an object. */
function describe(value: unknown): string {
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined)
    return String(value)
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
  return Array.isArray(value) ? 'an array' : typeof value
}
