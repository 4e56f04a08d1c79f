// P(holds) for one expectation from one metric's evidence (scoring.md §2).
import type {Expectation} from './expectation.js'
import type {Dimension, Evidence, MetricEvidence, PMethod} from './types.js'

import {boundSide, holds, statisticDimension, statisticMismatch, thresholdMismatch} from './expectation.js'
import {betaBound, betaCdf, probit, wilson} from './probability.js'
import {Random, hashSeed} from './random.js'
import {TOLERANCE} from './rules.js'
import {bootstrapDraws, drawOf, resampleDraw, sampleStatistic} from './statistics.js'

export interface MeasureSettings {
  confidence: number
  resamples: number
  /** Parts hashed into this expectation's RNG seed: (settings.seed, target id, expression). */
  seed: readonly [number, string, string]
}

/** What the evidence says about one expectation, before evidence quality is applied. */
export type Measurement =
  | {
    bound: number | null
    dimension: Dimension
    interval95: [number, number] | null
    method: PMethod
    n: number
    p: number
    reason?: string
    value: number
  }
  | {dimension: Dimension; n: number; noData: string}

const Z95 = probit(0.975)

export function measure(expr: Expectation, metric: MetricEvidence, evidence: Evidence, settings: MeasureSettings): Measurement {
  const dimension = metric.type === 'proportion' ? 'proportion' : statisticDimension(expr.statistic, metric.dimension)
  const unusable = statisticMismatch(expr, metric.type) ?? thresholdMismatch(expr, dimension)
  if (unusable) return noData(dimension, unusable)
  switch (metric.type) {
    case 'proportion': return measureProportion(expr, metric, settings)
    case 'value': return Number.isFinite(metric.value) ? exact(expr, metric.value, 1, dimension) : noData(dimension, `"${expr.metric}" is ${metric.value}, not a number`)
    case 'samples': return measureSamples(expr, metric, evidence, dimension, settings)
  }
}

function noData(dimension: Dimension, reason: string, n = 0): Measurement {
  return {dimension, n, noData: reason}
}

/** A number with no spread: it holds or it does not. */
function exact(expr: Expectation, value: number, n: number, dimension: Dimension): Measurement {
  const side = boundSide(expr.operator)
  return {bound: side ? value : null, dimension, interval95: null, method: 'exact', n, p: holds(value, expr.operator, expr.threshold) ? 1 : 0, value}
}

function measureSamples(expr: Expectation, metric: Extract<MetricEvidence, {type: 'samples'}>, evidence: Evidence, dimension: Dimension, settings: MeasureSettings): Measurement {
  const {samples} = metric
  const n = samples.length
  const seen = metric.seen ?? n
  // count and rate are exact: they count what was seen, there is nothing to resample.
  if (expr.statistic === 'count') return exact(expr, seen, n, dimension)
  if (expr.statistic === 'rate') {
    const {durationMs} = evidence
    if (durationMs === undefined || !(durationMs > 0)) return noData(dimension, `rate(${expr.metric}) needs the length of the measurement window, and the evidence does not give one`, n)
    return exact(expr, seen / (durationMs / 1000), n, dimension)
  }

  const statistic = sampleStatistic(expr.statistic, seen)
  if (!statistic) return noData(dimension, `"${expr.statistic}" cannot be computed from samples`, n)
  if (n === 0) return noData(dimension, `"${expr.metric}" has no samples`)
  const broken = samples.filter((x) => !Number.isFinite(x)).length
  if (broken > 0) return noData(dimension, `${broken} of the ${n} samples of "${expr.metric}" are not finite numbers`, n)
  const value = statistic(Float64Array.from(samples))
  if (n === 1) {
    return {bound: null, dimension, interval95: null, method: 'bootstrap', n, p: 0.5, reason: '1 sample cannot show spread; collect more', value}
  }

  const side = boundSide(expr.operator)
  const options = {confidence: settings.confidence, random: new Random(hashSeed(...settings.seed)), resamples: settings.resamples, side}
  const holding = (x: number): boolean => holds(x, expr.operator, expr.threshold)
  const result = bootstrapDraws(drawOf(samples, expr.statistic, seen) ?? resampleDraw(samples, statistic), holding, options)
  return {...result, dimension, method: 'bootstrap', n, value}
}

function measureProportion(expr: Expectation, metric: Extract<MetricEvidence, {type: 'proportion'}>, settings: MeasureSettings): Measurement {
  const {events, trials} = metric
  if (!(Number.isFinite(trials) && trials > 0)) return noData('proportion', `"${expr.metric}" has no trials`)
  if (!(events >= 0 && events <= trials)) return noData('proportion', `"${expr.metric}" counts ${events} events in ${trials} trials`, trials)
  // Posterior Beta(events + 1, trials − events + 1) after a uniform prior.
  const a = events + 1
  const b = trials - events + 1
  const base = {dimension: 'proportion' as const, interval95: wilson(events, trials, Z95), method: 'beta' as const, n: trials, value: events / trials}
  const side = boundSide(expr.operator)
  if (side === null) {
    // The posterior is continuous: it puts no mass on one exact value.
    return expr.operator === '=='
      ? {...base, bound: null, p: 0, reason: 'a proportion estimated from counts never equals a value exactly; compare with < or >'}
      : {...base, bound: null, p: 1}
  }

  const below = betaCdf(expr.threshold, a, b)
  return {...base, bound: betaBound(a, b, settings.confidence - TOLERANCE, side), p: side === 'upper' ? below : 1 - below}
}
