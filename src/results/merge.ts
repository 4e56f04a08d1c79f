// Merging the evidence of several shard runs (`gate check --shard i/n` on n machines) into the
// evidence of one run over the whole load. Pure: evidence in, evidence out; the engine decides after.

import {hashSeed, Random} from '../engine/random.js'
import type {Dimension, Evidence, EvidenceKind, MetricEvidence, SampleBuckets, TargetInput} from '../engine/types.js'
import {formatValue, grouped} from '../engine/units.js'
import {
  decodeHistogram,
  histogramBuckets,
  histogramSamples,
  mergeHistograms,
  summarizeLatency,
} from '../load/histogram.js'
import {reservoir} from '../load/reservoir.js'
import {MAX_SAMPLES} from '../validators/evidence.js'
import type {Shard} from '../validators/types.js'
import {type CollectedTarget, shardLabel} from './types.js'

/** Dimensions whose values add up over disjoint shares of the load; any other value must agree across shards. */
const ADDITIVE: ReadonlySet<Dimension> = new Set(['count', 'rate'])

/** When kinds differ, the merge is only as strong as its weakest part. */
const KIND_RANK: Readonly<Record<EvidenceKind, number>> = {artifact: 1, claim: 0, measured: 2}

/** One shard's evidence for one target. */
export interface ShardEvidence {
  shard: Shard
  evidence: Evidence
  /** HDR histograms (compressed base64, microseconds) of samples metrics, by metric name. */
  histograms?: Record<string, string>
}

/**
 * One target across shards: the shards that ran it are merged; a target whose validator cannot split
 * its work ran on shard 1 only and is taken from there; shards without data are named in the notes.
 */
export function mergeTarget(
  parts: ReadonlyArray<{shard: Shard; target: CollectedTarget}>,
  seed: number,
): TargetInput['collected'] {
  const ran = [...parts].filter(({target}) => !target.skippedOnShard).sort((a, b) => a.shard.index - b.shard.index)
  const failed = ran.flatMap(({shard, target}) =>
    'noData' in target.collected ? [`${shardLabel(shard)}: ${target.collected.noData}`] : [],
  )
  const collected = ran.flatMap(({shard, target}) =>
    'evidence' in target.collected ? [{evidence: target.collected.evidence, histograms: target.histograms, shard}] : [],
  )
  if (collected.length === 0) {
    if (failed.length > 0) return {noData: failed.join('; ')}
    const skipped = parts.find(({target}) => target.skippedOnShard)
    const why =
      skipped && 'noData' in skipped.target.collected ? skipped.target.collected.noData : 'it runs on shard 1 only'
    return {noData: `${why}, and shard 1/${skipped?.shard.count ?? 1} is not among the merged runs`}
  }

  const id = parts[0]?.target.id ?? ''
  const evidence = collected.length === 1 ? {...collected[0]!.evidence} : mergeEvidence(collected, seed, id)
  const notes = [...(evidence.notes ?? []), ...failed.map((reason) => `not merged, no data from ${reason}`)]
  return {evidence: {...evidence, ...(notes.length > 0 ? {notes} : {})}}
}

/** What the merged parts are: disjoint shares of the load (shards), or repeats of the whole of it (rounds). */
export interface MergeParts {
  /** Dimensions whose values add up over the parts; any other value must agree across them. */
  additive: ReadonlySet<Dimension>
  label(shard: Shard): string
  /** "shards", "rounds" */
  plural: string
}

const SHARDS: MergeParts = {additive: ADDITIVE, label: shardLabel, plural: 'shards'}

/** Rounds of `gate check --against` each ran the whole load: nothing adds up, every value must agree. */
export const ROUNDS: MergeParts = {
  additive: new Set(),
  label: ({count, index}) => `round ${index}/${count}`,
  plural: 'rounds',
}

/**
 * The evidence of several shards as one: samples re-drawn from the union (or from the merged
 * histograms), proportions' events and trials summed, counts and rates summed, other values kept
 * only when every shard agrees, the longest window, every source, each shard's notes.
 * Independent of the order of `shards`; the samples drawn depend on `seed`.
 */
export function mergeEvidence(
  shards: readonly ShardEvidence[],
  seed: number,
  target = '',
  parts: MergeParts = SHARDS,
): Evidence {
  const ordered = [...shards].sort((a, b) => a.shard.index - b.shard.index)
  const names = [...new Set(ordered.flatMap(({evidence}) => Object.keys(evidence.metrics)))].sort()
  const metrics: Record<string, MetricEvidence> = {}
  const notes: string[] = []
  for (const name of names) {
    const having = ordered.filter(({evidence}) => evidence.metrics[name] !== undefined)
    if (having.length < ordered.length)
      notes.push(`${name}: only ${having.map(({shard}) => parts.label(shard)).join(', ')} reported it`)
    const merged = mergeMetric(name, having, new Random(hashSeed(seed, 'merge', target, name)), parts)
    if ('dropped' in merged) notes.push(`metric ${name} was dropped: ${merged.dropped}`)
    else metrics[name] = merged.metric
    if ('note' in merged && merged.note) notes.push(merged.note)
  }

  const durations = ordered.flatMap(({evidence}) => (evidence.durationMs === undefined ? [] : [evidence.durationMs]))
  const kind = ordered
    .map(({evidence}) => evidence.kind)
    .reduce((weakest, next) => (KIND_RANK[next] < KIND_RANK[weakest] ? next : weakest))
  const sources = [...new Set(ordered.map(({evidence}) => evidence.source))]
  const shardNotes = ordered.flatMap(({evidence, shard}) =>
    (evidence.notes ?? []).map((note) => `${parts.label(shard)}: ${note}`),
  )
  return {
    kind,
    metrics,
    notes: [`merged from ${ordered.map(({shard}) => parts.label(shard)).join(', ')}`, ...notes, ...shardNotes],
    source: sources.join(' + '),
    ...(durations.length > 0 ? {durationMs: Math.max(...durations)} : {}),
  }
}

type MergedMetric = {dropped: string} | {metric: MetricEvidence; note?: string}

function mergeMetric(name: string, shards: readonly ShardEvidence[], random: Random, kinds: MergeParts): MergedMetric {
  const metrics = shards.map(({evidence}) => evidence.metrics[name]!)
  const first = metrics[0]!
  if (metrics.some((metric) => metric.type !== first.type))
    return {dropped: `its type differs between ${kinds.plural} (${metrics.map((m) => m.type).join(', ')})`}
  if (first.type === 'proportion') {
    const sum = (pick: (m: Extract<MetricEvidence, {type: 'proportion'}>) => number): number =>
      metrics.reduce((total, m) => total + pick(m as typeof first), 0)
    return {metric: {events: sum((m) => m.events), trials: sum((m) => m.trials), type: 'proportion'}}
  }

  const dimension = first.dimension
  if (metrics.some((metric) => metric.type !== 'proportion' && metric.dimension !== dimension))
    return {dropped: `its dimension differs between ${kinds.plural}`}
  if (first.type === 'value') {
    const values = metrics.map((metric) => (metric as typeof first).value)
    if (kinds.additive.has(dimension))
      return {metric: {dimension, type: 'value', value: values.reduce((a, b) => a + b, 0)}}
    if (values.every((value) => value === values[0])) return {metric: first}
    return {
      dropped:
        `the ${kinds.plural} disagree ` +
        `(${values.map((value) => formatValue(value, dimension)).join(', ')}) and a ${dimension} does not add up ` +
        `across ${kinds.plural}`,
    }
  }

  const parts = metrics.map((metric) => metric as Extract<MetricEvidence, {type: 'samples'}>)
  const encoded = shards.map(({histograms}) => histograms?.[name])
  const merged = mergeSamples(
    parts.map((part) => ({samples: part.samples, seen: part.seen ?? part.samples.length})),
    random,
    encoded.every((histogram) => histogram !== undefined) ? (encoded as string[]) : undefined,
  )
  const metric: MetricEvidence = {
    dimension,
    samples: merged.samples,
    type: 'samples',
    ...(merged.seen === merged.samples.length ? {} : {seen: merged.seen}),
    ...(merged.buckets ? {buckets: merged.buckets} : {}),
  }
  return {metric, ...(merged.note ? {note: `${name}: ${merged.note}`} : {})}
}

export interface MergedSamples {
  samples: number[]
  /** Samples before any cut, over all shards. */
  seen: number
  /** How they were drawn: 'union' (every sample of every shard), 'histogram' or 'reservoir'. */
  method: 'histogram' | 'reservoir' | 'union'
  note?: string
  /** From merged histograms: every observation's bucket, which quantiles count (engine/quantile.ts). */
  buckets?: SampleBuckets
}

/**
 * A uniform sample of the union of the shards' streams. Exact when every shard kept all it saw and
 * the union fits; otherwise, with every shard's HDR histogram, drawn evenly from their sum (exact
 * percentiles at the histogram's precision); otherwise each shard's reservoir contributes in
 * proportion to its `seen`, as many as the smallest reservoir allows, drawn with `random`.
 */
export function mergeSamples(
  parts: ReadonlyArray<{samples: readonly number[]; seen: number}>,
  random: Random,
  histograms?: readonly string[],
  capacity = MAX_SAMPLES,
): MergedSamples {
  const seen = parts.reduce((sum, part) => sum + part.seen, 0)
  const kept = parts.reduce((sum, part) => sum + part.samples.length, 0)
  if (kept === seen && seen <= capacity)
    return {method: 'union', samples: parts.flatMap((part) => [...part.samples]), seen}

  if (histograms && histograms.length === parts.length) {
    const histogram = mergeHistograms(histograms.map((encoded) => decodeHistogram(encoded)))
    const summary = summarizeLatency(histogram)
    const at = (ms: number): string => formatValue(ms, 'duration')
    const note =
      `drawn from the ${parts.length} shards' merged HDR histograms of ${grouped(summary.count)}: ` +
      `p50 ${at(summary.p50)}, p95 ${at(summary.p95)}, p99 ${at(summary.p99)}`
    const buckets = histogramBuckets(histogram)
    return {
      method: 'histogram',
      note,
      samples: histogramSamples(histogram, Math.min(capacity, kept)),
      seen,
      ...(buckets ? {buckets} : {}),
    }
  }

  // The largest m with every shard's share m·seen_k/seen within what it kept.
  const size = Math.min(
    capacity,
    kept,
    ...parts.filter((part) => part.seen > 0).map((part) => Math.floor((part.samples.length * seen) / part.seen)),
  )
  const shares = apportion(
    size,
    parts.map((part) => part.seen),
  )
  const samples = parts.flatMap((part, index) =>
    reservoir(part.samples, Math.min(shares[index]!, part.samples.length), random),
  )
  return {
    method: 'reservoir',
    note:
      `a uniform sample of ${grouped(samples.length)} drawn from the shards' reservoirs by their ` +
      `share of ${grouped(seen)} seen`,
    samples,
    seen,
  }
}

/** `total` split in proportion to `weights` in whole numbers (largest remainder, ties to the first). */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0)
  if (sum === 0) return weights.map(() => 0)
  const exact = weights.map((weight) => (total * weight) / sum)
  const shares = exact.map(Math.floor)
  let left = total - shares.reduce((a, b) => a + b, 0)
  const byRemainder = exact
    .map((value, index) => ({index, remainder: value - Math.floor(value)}))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index)
  for (const {index} of byRemainder) {
    if (left-- <= 0) break
    shares[index]!++
  }

  return shares
}
