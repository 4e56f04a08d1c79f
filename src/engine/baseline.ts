// Relative expectations (`p95(latency) <= baseline * 1.10`): this run against a pinned baseline run.
// Which model gives P(holds) depends on what both runs kept, and every verdict names it:
//   hodges-lehmann  median/p50 with samples on both sides: the location shift and its distribution-free interval
//   bootstrap       any other statistic with samples on both sides: both resampled, the statistic's own ratio
//   beta            proportions: both Beta posteriors drawn
//   run-to-run      summary values only: the spread of the statistic over earlier runs
//   exact           summary values only and too few earlier runs for a spread: P is 0 or 1
//   run-spread      a baseline that pins several runs: this run against how much they differ (spread.ts)
//   paired-rounds   `gate check --against`: candidate and baseline measured in alternating rounds, a paired t
import {quantileSorted} from 'simple-statistics'

import type {Expectation, RelativeThreshold} from './expectation.js'
import type {MeasureSettings, Measurement} from './measure.js'
import type {
  BaselineComparison,
  BaselineInput,
  BaselineMetric,
  BaselineModel,
  Evidence,
  MetricEvidence,
  MetricSummary,
  MoreSamples,
  Operator,
} from './types.js'

import {boundSide, holds, relativeThreshold, statisticDimension} from './expectation.js'
import {measure} from './measure.js'
import {probit} from './probability.js'
import {Random, hashSeed} from './random.js'
import {type QuantileQuestion, countHolding, observationsOf, quantileQuestion, shareProbability} from './quantile.js'
import {type Draw, drawOf, quantileLevel, sampleStatistic} from './statistics.js'
import {hodgesLehmann, mannWhitney, normalCdf} from './shift.js'
import {MIN_PAIRED_ROUNDS, MIN_PINNED_RUNS, pairedShift, spreadOverRuns} from './spread.js'

// The P of a comparison rests on both runs: "more samples here" would narrow only one side of it.
const COMPARED_MORE = (): MoreSamples => ({
  samples: null,
  why: 'P compares this run with the baseline run: see the change and its interval',
})

/** Earlier runs needed before their spread is trusted as the noise of a summary value. */
export const MIN_RUNS_FOR_SPREAD = 3

const Z95 = probit(0.975)
const SUMMARY_FIELDS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p95', 'p99'] as const

export type RelativeMeasurement =
  | (Extract<Measurement, {p: number}> & {comparison: BaselineComparison; threshold: number})
  | (Extract<Measurement, {noData: string}> & {comparison?: BaselineComparison; threshold?: number})

/** Judges a relative expectation: the baseline's statistic sets the threshold, the model the P. */
export function measureRelative(
  expr: Expectation & {relative: RelativeThreshold},
  metric: MetricEvidence,
  evidence: Evidence,
  baseline: BaselineInput | {missing: string} | undefined,
  settings: MeasureSettings,
): RelativeMeasurement {
  const dimension = metric.type === 'proportion' ? 'proportion' : statisticDimension(expr.statistic, metric.dimension)
  if (baseline === undefined)
    return {dimension, n: 0, noData: 'no baseline to compare with: save one with `gate baseline save GATE`'}
  if ('missing' in baseline) return {dimension, n: 0, noData: baseline.missing}
  const base = baseline.metrics[expr.metric]
  if (base === undefined)
    return {dimension, n: 0, noData: `the baseline run ${baseline.run} has no metric "${expr.metric}"`}
  if (base.summary.type !== metric.type)
    return {
      dimension,
      n: 0,
      noData: `"${expr.metric}" is ${metric.type} here but ${base.summary.type} in the baseline run ${baseline.run}`,
    }
  if (baseline.rounds) return againstPairedRounds(expr, metric, evidence, baseline, settings, dimension)
  if (baseline.runs) return againstPinnedRuns(expr, metric, evidence, baseline, settings, dimension)
  const baseValue = baselineStatistic(base, expr.statistic)
  if (baseValue === null) {
    return {
      dimension,
      n: 0,
      noData:
        `the baseline run ${baseline.run} kept only summary statistics of ` +
        `"${expr.metric}" (${SUMMARY_FIELDS.join(' ')}); ${expr.statistic} is not among them`,
    }
  }

  const threshold = relativeThreshold(expr.relative, baseValue)
  const absolute = {...expr, threshold}
  const current = measure(absolute, metric, evidence, settings)
  if ('noData' in current) return {...current, threshold}
  const comparison = (
    model: BaselineModel,
    change: [number, number] | null,
    mannWhitneyP: number | null = null,
  ): BaselineComparison => ({
    change: baseValue === 0 ? null : current.value / baseValue - 1,
    changeInterval95: change,
    mannWhitneyP,
    model,
    name: baseline.name,
    run: baseline.run,
    value: baseValue,
  })
  const random = new Random(hashSeed(...settings.seed, 'baseline'))

  const baseEvidence = base.evidence
  if (
    metric.type === 'samples' &&
    baseEvidence?.type === 'samples' &&
    metric.samples.length >= 2 &&
    baseEvidence.samples.length >= 2 &&
    !['count', 'rate'].includes(expr.statistic)
  ) {
    const {p: mannWhitneyP} = mannWhitney(baseEvidence.samples, metric.samples)
    if (expr.statistic === 'median' || expr.statistic === 'p50') {
      const shift = locationShift(baseEvidence.samples, metric.samples, expr, baseValue)
      return {
        ...current,
        more: COMPARED_MORE,
        comparison: comparison('hodges-lehmann', shift.change, mannWhitneyP),
        p: shift.p,
        threshold,
      }
    }

    const now = drawOf(metric.samples, expr.statistic, metric.seen ?? metric.samples.length)
    const then = drawOf(baseEvidence.samples, expr.statistic, baseEvidence.seen ?? baseEvidence.samples.length)
    const level = quantileLevel(expr.statistic)
    if (now && then) {
      const result = compareDraws(now, then, expr.relative, expr.operator, random, settings.resamples)
      // min and max are what each run observed: the comparison is exact, as the absolute one is.
      if (level === 0 || level === 1)
        return {
          ...current,
          more: COMPARED_MORE,
          comparison: comparison('exact', result.change, mannWhitneyP),
          threshold,
        }
      if (level !== null && boundSide(expr.operator) !== null) {
        const p = quantileAgainstBaseline(metric, level, then, expr, random, settings.resamples)
        return {
          ...current,
          more: COMPARED_MORE,
          comparison: comparison('order-statistic', result.change, mannWhitneyP),
          p,
          threshold,
        }
      }

      return {
        ...current,
        more: COMPARED_MORE,
        comparison: comparison('bootstrap', result.change, mannWhitneyP),
        p: result.p,
        threshold,
      }
    }
  }

  if (
    metric.type === 'proportion' &&
    baseEvidence?.type === 'proportion' &&
    metric.trials > 0 &&
    baseEvidence.trials > 0
  ) {
    const posterior =
      (events: number, trials: number): Draw =>
      (r) =>
        r.beta(events + 1, trials - events + 1)
    const result = compareDraws(
      posterior(metric.events, metric.trials),
      posterior(baseEvidence.events, baseEvidence.trials),
      expr.relative,
      expr.operator,
      random,
      settings.resamples,
    )
    return {...current, more: COMPARED_MORE, comparison: comparison('beta', result.change), p: result.p, threshold}
  }

  const earlier = (baseline.recent?.[expr.metric] ?? [])
    .map((summary) => summaryStatistic(summary, expr.statistic))
    .filter((x): x is number => x !== null)
  if (earlier.length >= MIN_RUNS_FOR_SPREAD) {
    const spread = runToRun(current.value, baseValue, threshold, earlier, expr)
    if (spread)
      return {
        ...current,
        more: COMPARED_MORE,
        comparison: comparison('run-to-run', spread.change),
        p: spread.p,
        reason: spread.reason,
        threshold,
      }
  }

  if (metric.type === 'samples') {
    return {
      ...current,
      comparison: comparison('bootstrap', null),
      reason: `the baseline kept summary values only, so its ${expr.statistic} is taken as exact`,
      threshold,
    }
  }

  const reason =
    `no run-to-run spread yet ` +
    `(${earlier.length} earlier run${earlier.length === 1 ? '' : 's'} recorded, ${MIN_RUNS_FOR_SPREAD} needed): P ` +
    `is 0 or 1`
  return {...current, comparison: comparison('exact', null), reason, threshold}
}

/**
 * A baseline that pins several runs: each run's statistic once, and this run's judged against their spread
 * (`run-spread`). Fewer than MIN_PINNED_RUNS with the statistic cannot bound that spread: P stays 0.5, saying so.
 */
function againstPinnedRuns(
  expr: Expectation & {relative: RelativeThreshold},
  metric: MetricEvidence,
  evidence: Evidence,
  baseline: BaselineInput,
  settings: MeasureSettings,
  dimension: RelativeMeasurement['dimension'],
): RelativeMeasurement {
  const pinned = baseline.runs ?? []
  const values = pinned
    .map(({metrics}) => metrics[expr.metric])
    .filter((base): base is BaselineMetric => base !== undefined && base.summary.type === metric.type)
    .map((base) => baselineStatistic(base, expr.statistic))
    .filter((value): value is number => value !== null && Number.isFinite(value))
  if (values.length === 0)
    return {
      dimension,
      n: 0,
      noData: `no run pinned by baseline "${baseline.name}" has ${expr.statistic} of "${expr.metric}"`,
    }
  const mean = values.reduce((a, b) => a + b, 0) / values.length
  const provisional = measure({...expr, threshold: relativeThreshold(expr.relative, mean)}, metric, evidence, settings)
  if ('noData' in provisional) return {...provisional, threshold: relativeThreshold(expr.relative, mean)}
  const spread = spreadOverRuns(provisional.value, values, expr.relative, expr.operator)
  const baseValue = spread?.baseline ?? values[0]!
  const threshold = relativeThreshold(expr.relative, baseValue)
  const current = measure({...expr, threshold}, metric, evidence, settings)
  if ('noData' in current) return {...current, threshold}
  const comparison: BaselineComparison = {
    change: baseValue === 0 ? null : current.value / baseValue - 1,
    changeInterval95: spread?.changeInterval95 ?? null,
    mannWhitneyP: null,
    model: 'run-spread',
    name: baseline.name,
    run: baseline.run,
    runs: values.length,
    value: baseValue,
  }
  const of = `${values.length} of the ${pinned.length} pinned runs`
  if (spread === null || values.length < MIN_PINNED_RUNS) {
    const missing = MIN_PINNED_RUNS - values.length
    const why =
      `the spread over runs needs ${MIN_PINNED_RUNS} pinned runs with ${expr.statistic}(${expr.metric}), ` +
      `and ${of} have it: pin ${missing} more (\`gate baseline save --runs ${MIN_PINNED_RUNS}\`)`
    return {...current, comparison, more: () => ({samples: null, why}), p: 0.5, reason: why, threshold}
  }

  const scale = spread.logScale ? ' on the log scale' : ''
  const reason = `spread over ${of}: sd ${spread.sd.toPrecision(3)}${scale}, Student t with ${spread.runs - 1} df`
  const why = `P rests on the spread of ${spread.runs} pinned runs: pin more (\`gate baseline save --runs N\`)`
  return {...current, comparison, more: () => ({samples: null, why}), p: spread.p, reason, threshold}
}

/**
 * The candidate and the baseline measured in alternating rounds (`gate check --against`): each round gives the
 * statistic once per side, and the pairs' differences decide (spread.ts pairedShift). The pooled baseline evidence
 * gives the threshold shown beside the candidate's pooled value. Too few pairs: P stays 0.5, saying to run more rounds.
 */
function againstPairedRounds(
  expr: Expectation & {relative: RelativeThreshold},
  metric: MetricEvidence,
  evidence: Evidence,
  baseline: BaselineInput,
  settings: MeasureSettings,
  dimension: RelativeMeasurement['dimension'],
): RelativeMeasurement {
  const rounds = baseline.rounds ?? []
  const of = (metrics: Record<string, MetricEvidence>): number | null => {
    const found = metrics[expr.metric]
    const value = found && found.type === metric.type ? evidenceStatistic(found, expr.statistic) : null
    return value !== null && Number.isFinite(value) ? value : null
  }
  const pairs = rounds.flatMap(({baseline: base, candidate}) => {
    const [c, b] = [of(candidate), of(base)]
    return c === null || b === null ? [] : [[c, b] as const]
  })
  const baseValue = baselineStatistic(baseline.metrics[expr.metric]!, expr.statistic)
  if (baseValue === null)
    return {dimension, n: 0, noData: `the baseline ${baseline.run} gave no ${expr.statistic} of "${expr.metric}"`}
  const threshold = relativeThreshold(expr.relative, baseValue)
  const current = measure({...expr, threshold}, metric, evidence, settings)
  if ('noData' in current) return {...current, threshold}
  const shift = pairedShift(pairs, expr.relative, expr.operator)
  const comparison: BaselineComparison = {
    change: shift?.change ?? (baseValue === 0 ? null : current.value / baseValue - 1),
    changeInterval95: shift?.changeInterval95 ?? null,
    mannWhitneyP: null,
    model: 'paired-rounds',
    name: baseline.name,
    pairs: pairs.length,
    run: baseline.run,
    value: baseValue,
  }
  const gave = `${pairs.length} of the ${rounds.length} rounds gave ${expr.statistic}(${expr.metric}) on both sides`
  if (shift === null || pairs.length < MIN_PAIRED_ROUNDS) {
    const why =
      `the paired comparison needs ${MIN_PAIRED_ROUNDS} rounds with ${expr.statistic}(${expr.metric}) on both ` +
      `sides and ${gave}: run more rounds (--rounds ${Math.max(4, rounds.length + MIN_PAIRED_ROUNDS - pairs.length)})`
    return {...current, comparison, more: () => ({samples: null, why}), p: 0.5, reason: why, threshold}
  }

  const scale = shift.logScale ? ' of the log ratio' : ''
  const reason = `paired over ${gave}: sd ${shift.sd.toPrecision(3)}${scale}, Student t with ${shift.pairs - 1} df`
  const why = `P rests on ${shift.pairs} paired rounds: run more rounds (--rounds N)`
  return {...current, comparison, more: () => ({samples: null, why}), p: shift.p, reason, threshold}
}

/** The baseline's value of a statistic: from its samples when it kept them, else from its summary. */
function baselineStatistic(base: BaselineMetric, statistic: string): number | null {
  return (base.evidence && evidenceStatistic(base.evidence, statistic)) ?? summaryStatistic(base.summary, statistic)
}

/** A statistic of one metric's evidence; null when the evidence cannot give it. */
function evidenceStatistic(evidence: MetricEvidence, statistic: string): number | null {
  if (evidence.type === 'samples' && evidence.samples.length > 0 && evidence.samples.every(Number.isFinite)) {
    if (statistic === 'count') return evidence.seen ?? evidence.samples.length
    const compute = sampleStatistic(statistic, evidence.seen ?? evidence.samples.length)
    if (compute) return compute(Float64Array.from(evidence.samples))
  }

  if (evidence.type === 'proportion') return evidence.trials > 0 ? evidence.events / evidence.trials : null
  if (evidence.type === 'value') return Number.isFinite(evidence.value) ? evidence.value : null
  return null
}

/** A statistic as a run's summary kept it, or null when the summary does not have it. */
export function summaryStatistic(summary: MetricSummary, statistic: string): number | null {
  const field = statistic === 'median' ? 'p50' : statistic === 'count' ? 'seen' : statistic
  if (statistic === 'value' || summary.type === 'proportion')
    return statistic === 'value' ? (summary.value ?? null) : null
  if (!(SUMMARY_FIELDS as readonly string[]).includes(field) && field !== 'seen') return null
  const value = summary[field as (typeof SUMMARY_FIELDS)[number] | 'seen']
  return typeof value === 'number' && Number.isFinite(value) ? value : null
}

/**
 * Hodges-Lehmann for a median: on the log scale when the allowance is a factor and every sample is
 * positive (a slowdown scales latencies), otherwise in the metric's own units. P is the normal
 * approximation of the shift estimate, its spread read off the 95% interval.
 */
function locationShift(
  before: readonly number[],
  after: readonly number[],
  expr: Expectation & {relative: RelativeThreshold},
  baseValue: number,
): {change: [number, number] | null; p: number} {
  const relative = expr.relative
  const logScale =
    relative.kind === 'scale' && relative.factor > 0 && before.every((x) => x > 0) && after.every((x) => x > 0)
  const {interval95, shift} = logScale
    ? hodgesLehmann(before.map(Math.log), after.map(Math.log))
    : hodgesLehmann(before, after)
  const allowed = logScale
    ? Math.log((relative as {factor: number}).factor)
    : relativeThreshold(relative, baseValue) - baseValue
  const change: [number, number] | null = logScale
    ? [Math.expm1(interval95[0]), Math.expm1(interval95[1])]
    : baseValue === 0
      ? null
      : [interval95[0] / baseValue, interval95[1] / baseValue]
  return {change, p: normalP(shift, allowed, (interval95[1] - interval95[0]) / (2 * Z95), expr.operator)}
}

/** P that a normally distributed estimate (mean `estimate`, spread `sd`) stands in relation `operator` to `limit`. */
function normalP(estimate: number, limit: number, sd: number, operator: Operator): number {
  const side = boundSide(operator)
  if (side === null || !(sd > 0))
    return holds(estimate, operator, limit) ? 1 : estimate === limit && side !== null ? 0.5 : 0
  const z = (limit - estimate) / sd
  return side === 'upper' ? normalCdf(z) : normalCdf(-z)
}

/**
 * A quantile against the baseline's: this run's observations are counted exactly (quantile.ts) against each of B
 * thresholds the baseline's quantile could be (its order-statistic draws), and P is their mean — the baseline's
 * uncertainty mixed in, this run's never resampled.
 */
function quantileAgainstBaseline(
  metric: Extract<MetricEvidence, {type: 'samples'}>,
  level: number,
  then: Draw,
  expr: Expectation & {relative: RelativeThreshold},
  random: Random,
  resamples: number,
): number {
  const observations = observationsOf(metric)
  let total = 0
  for (let b = 0; b < resamples; b++) {
    const question = quantileQuestion(
      level,
      expr.operator,
      relativeThreshold(expr.relative, then(random)),
    ) as QuantileQuestion
    const counted = countHolding(observations, question)
    total += shareProbability(counted.sure, counted.possible, counted.n, question.level).p
  }

  return total / resamples
}

/**
 * Draws this run's statistic and the baseline's independently, B times, and asks of each pair
 * whether the expectation holds with that baseline; the change is their ratio − 1.
 */
function compareDraws(
  now: Draw,
  then: Draw,
  relative: RelativeThreshold,
  operator: Operator,
  random: Random,
  resamples: number,
): {change: [number, number] | null; p: number} {
  const changes = new Float64Array(resamples)
  let holding = 0
  for (let b = 0; b < resamples; b++) {
    const current = now(random)
    const before = then(random)
    if (holds(current, operator, relativeThreshold(relative, before))) holding++
    changes[b] = before === 0 ? Number.NaN : current / before - 1
  }

  // NaN sorts last: a baseline draw of 0 leaves the change without an interval.
  changes.sort()
  const sorted = changes as unknown as number[]
  const change: [number, number] | null = Number.isNaN(changes[resamples - 1])
    ? null
    : [quantileSorted(sorted, 0.025), quantileSorted(sorted, 0.975)]
  return {change, p: holding / resamples}
}

/**
 * Summary values only: the statistic's standard deviation over earlier runs is the noise of one run,
 * so (this run − baseline) has twice its variance (scaled for a factor); P is the normal tail.
 */
function runToRun(
  value: number,
  baseValue: number,
  threshold: number,
  earlier: number[],
  expr: Expectation & {relative: RelativeThreshold},
): {change: [number, number] | null; p: number; reason: string} | null {
  const mean = earlier.reduce((a, b) => a + b, 0) / earlier.length
  const sd = Math.sqrt(earlier.reduce((a, x) => a + (x - mean) ** 2, 0) / (earlier.length - 1))
  if (!(sd > 0)) return null
  const factor = expr.relative.kind === 'scale' ? expr.relative.factor : 1
  const spread = sd * Math.sqrt(1 + factor * factor)
  const difference = value - baseValue
  const change: [number, number] | null =
    baseValue === 0 ? null : [(difference - Z95 * spread) / baseValue, (difference + Z95 * spread) / baseValue]
  return {
    change,
    p: normalP(value - threshold, 0, spread, expr.operator),
    reason: `run-to-run spread of ${earlier.length} earlier runs decided (sd ${sd.toPrecision(3)} in canonical units)`,
  }
}
