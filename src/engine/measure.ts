// P(holds) for one expectation from one metric's evidence (scoring.md §2).
import type {Expectation} from './expectation.js'
import type {Dimension, Evidence, MetricEvidence, MoreSamples, PMethod} from './types.js'

import {boundSide, holds, statisticDimension, statisticMismatch, thresholdMismatch} from './expectation.js'
import {betaBound, probit, wilson} from './probability.js'
import {Random, hashSeed} from './random.js'
import {TOLERANCE} from './rules.js'
import {
  type QuantileQuestion,
  countHolding,
  observationsOf,
  orderStatisticRanks,
  quantileQuestion,
  rankValue,
  shareProbability,
} from './quantile.js'
import {
  bootstrapDraws,
  drawOf,
  quantileLevel,
  resampleDraw,
  sampleStatistic,
  sortedSamples,
  sortedStatistic,
} from './statistics.js'
import {studentized} from './studentized.js'

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
      /** How many more samples would likely decide it: asked only when P leaves it undecided. */
      more?: () => MoreSamples
      n: number
      p: number
      reason?: string
      value: number
    }
  | {dimension: Dimension; n: number; noData: string}

const Z95 = probit(0.975)

export function measure(
  expr: Expectation,
  metric: MetricEvidence,
  evidence: Evidence,
  settings: MeasureSettings,
): Measurement {
  const dimension = metric.type === 'proportion' ? 'proportion' : statisticDimension(expr.statistic, metric.dimension)
  const unusable = statisticMismatch(expr, metric.type) ?? thresholdMismatch(expr, dimension)
  if (unusable) return noData(dimension, unusable)
  switch (metric.type) {
    case 'proportion':
      return measureProportion(expr, metric, settings)
    case 'value':
      return Number.isFinite(metric.value)
        ? exact(expr, metric.value, 1, dimension)
        : noData(dimension, `"${expr.metric}" is ${metric.value}, not a number`)
    case 'samples':
      return measureSamples(expr, metric, evidence, dimension, settings)
  }
}

function noData(dimension: Dimension, reason: string, n = 0): Measurement {
  return {dimension, n, noData: reason}
}

/** A number with no spread: it holds or it does not. */
function exact(expr: Expectation, value: number, n: number, dimension: Dimension): Measurement {
  const side = boundSide(expr.operator)
  return {
    bound: side ? value : null,
    dimension,
    interval95: null,
    method: 'exact',
    n,
    p: holds(value, expr.operator, expr.threshold) ? 1 : 0,
    value,
  }
}

function measureSamples(
  expr: Expectation,
  metric: Extract<MetricEvidence, {type: 'samples'}>,
  evidence: Evidence,
  dimension: Dimension,
  settings: MeasureSettings,
): Measurement {
  const {samples} = metric
  const n = samples.length
  const seen = metric.seen ?? n
  // count and rate are exact: they count what was seen, there is nothing to resample.
  if (expr.statistic === 'count') return exact(expr, seen, n, dimension)
  if (expr.statistic === 'rate') {
    const {durationMs} = evidence
    if (durationMs === undefined || !(durationMs > 0))
      return noData(
        dimension,
        `rate(${expr.metric}) needs the length of the measurement window, and the evidence does not give one`,
        n,
      )
    return exact(expr, seen / (durationMs / 1000), n, dimension)
  }

  const statistic = sampleStatistic(expr.statistic, seen)
  if (!statistic) return noData(dimension, `"${expr.statistic}" cannot be computed from samples`, n)
  if (n === 0) return noData(dimension, `"${expr.metric}" has no samples`)
  const broken = samples.filter((x) => !Number.isFinite(x)).length
  if (broken > 0)
    return noData(dimension, `${broken} of the ${n} samples of "${expr.metric}" are not finite numbers`, n)
  const value = sortedStatistic(expr.statistic, sortedSamples(samples), seen) as number
  const side = boundSide(expr.operator)
  if (side !== null) {
    if (expr.statistic === 'min' || expr.statistic === 'max') return observed(expr, value, n, dimension)
    const level = quantileLevel(expr.statistic)
    if (level !== null) return measureQuantile(expr, level, metric, value, dimension, settings)
    if (expr.statistic === 'mean' || expr.statistic === 'sum' || expr.statistic === 'stddev')
      return measureStudentized(expr, metric, value, dimension, settings)
  }

  if (n === 1) {
    return {
      bound: null,
      dimension,
      interval95: null,
      method: 'bootstrap',
      n,
      p: 0.5,
      reason: '1 sample cannot show spread; collect more',
      value,
    }
  }

  const options = {
    confidence: settings.confidence,
    random: new Random(hashSeed(...settings.seed)),
    resamples: settings.resamples,
    side,
  }
  const holding = (x: number): boolean => holds(x, expr.operator, expr.threshold)
  const result = bootstrapDraws(
    drawOf(samples, expr.statistic, seen) ?? resampleDraw(samples, statistic),
    holding,
    options,
  )
  return {...result, dimension, method: 'bootstrap', n, value}
}

/** min and max are what this run saw: no claim about the next run, and labelled so. */
function observed(expr: Expectation, value: number, n: number, dimension: Dimension): Measurement {
  const reason =
    `the ${expr.statistic} this run observed in ${n} sample${n === 1 ? '' : 's'}, not a bound on other ` + `runs`
  return {
    bound: value,
    dimension,
    interval95: null,
    method: 'observed',
    n,
    p: holds(value, expr.operator, expr.threshold) ? 1 : 0,
    reason,
    value,
  }
}

/**
 * pN and median by counting observations on each side of the threshold (quantile.ts); every one when a histogram kept
 * them.
 */
function measureQuantile(
  expr: Expectation,
  level: number,
  metric: Extract<MetricEvidence, {type: 'samples'}>,
  value: number,
  dimension: Dimension,
  settings: MeasureSettings,
): Measurement {
  const question = quantileQuestion(level, expr.operator, expr.threshold) as QuantileQuestion
  const observations = observationsOf(metric)
  const counted = countHolding(observations, question)
  const {n} = counted
  const share = shareProbability(counted.sure, counted.possible, n, question.level)
  const rank = (r: number | null, end: 'lower' | 'upper'): number | null =>
    r === null ? null : rankValue(observations, r, end)
  const both = orderStatisticRanks(n, level, 0.025)
  const lower95 = rank(both.lower, 'lower')
  const upper95 = rank(both.upper, 'upper')
  const oneSided = orderStatisticRanks(n, level, 1 - settings.confidence)
  const bound = boundSide(expr.operator) === 'upper' ? rank(oneSided.upper, 'upper') : rank(oneSided.lower, 'lower')
  const unbounded = lower95 === null || upper95 === null
  const side = lower95 === null ? 'the low' : 'the high'
  const reason = unbounded
    ? `${n} observation${n === 1 ? '' : 's'} cannot bound ${expr.statistic} on ${side} side at 95%`
    : undefined
  return {
    bound,
    dimension,
    interval95: unbounded ? null : [lower95, upper95],
    method: 'order-statistic',
    more: () => moreForShare(counted.sure, n, question.level, settings.confidence),
    n,
    p: share.p,
    value,
    ...(reason === undefined ? {} : {reason}),
  }
}

/** mean, sum (the mean times every sample seen) and stddev (the root of a variance) by bootstrap-t (studentized.ts). */
function measureStudentized(
  expr: Expectation,
  metric: Extract<MetricEvidence, {type: 'samples'}>,
  value: number,
  dimension: Dimension,
  settings: MeasureSettings,
): Measurement {
  const {samples} = metric
  const n = samples.length
  const isVariance = expr.statistic === 'stddev'
  const scale = expr.statistic === 'sum' ? (metric.seen ?? n) : 1
  // A standard deviation below a negative threshold is impossible and above one certain.
  if (isVariance && expr.threshold <= 0 && expr.operator !== '<=') return exact(expr, value, n, dimension)
  const threshold = isVariance ? expr.threshold ** 2 : expr.threshold / scale
  const random = new Random(hashSeed(...settings.seed))
  const result = studentized(isVariance ? 'variance' : 'mean', samples, threshold, {
    confidence: settings.confidence,
    random,
    resamples: settings.resamples,
  })
  const back = (x: number | null): number | null =>
    x === null ? null : isVariance ? Math.sqrt(Math.max(0, x)) : x * scale
  const upperSide = boundSide(expr.operator) === 'upper'
  if (result.below === null) {
    const reason =
      `${n} sample${n === 1 ? '' : 's'} are too few to ` +
      `bound ${expr.statistic === 'stddev' ? 'a standard deviation' : 'a mean'} of data this skewed: ` +
      `about ${result.needed} are needed (n > 28 + 25·g², g the upper 95% bound of the skewness)`
    return {
      bound: null,
      dimension,
      interval95: null,
      method: 'bootstrap-t',
      more: () => ({samples: result.needed - n, toward: result.z < 0 === upperSide ? 'PASS' : 'FAIL'}),
      n,
      p: 0.5,
      reason,
      value,
    }
  }

  const p = upperSide ? result.below : 1 - result.below
  const interval95 = result.interval95
    ? ([back(result.interval95[0]), back(result.interval95[1])] as [number, number])
    : null
  return {
    bound: back(upperSide ? result.upper : result.lower),
    dimension,
    interval95,
    method: 'bootstrap-t',
    more: () => moreForZ(result.z, n, result.needed, upperSide, settings.confidence),
    n,
    p,
    value,
  }
}

/**
 * Samples needed for a share seen as `holding` of n to decide, if it goes on as it is: the smallest N with the
 * same share that PASSes (or FAILs) at the gate's confidence.
 */
function moreForShare(holding: number, n: number, level: number, confidence: number): MoreSamples {
  const share = holding / n
  if (share === level)
    return {samples: null, why: 'the samples sit on the threshold: more of the same would not decide it'}
  const toward = share > level ? 'PASS' : 'FAIL'
  const decides = (total: number): boolean => {
    const k = Math.round(share * total)
    const p = shareProbability(k, k, total, level)
    return toward === 'PASS' ? p.lower >= confidence - TOLERANCE : p.upper <= 1 - confidence + TOLERANCE
  }

  const total = smallestTotal(n, decides)
  return total === null
    ? {samples: null, why: 'more than a billion samples would be needed'}
    : {samples: total - n, toward}
}

/**
 * For a studentized statistic: z grows with √n, so about n·(z_c / z)² decide it, and never fewer than the skew rule
 * asks.
 */
function moreForZ(z: number, n: number, needed: number, upperSide: boolean, confidence: number): MoreSamples {
  if (z === 0) return {samples: null, why: 'the estimate sits on the threshold: more of the same would not decide it'}
  const total = Math.max(needed, Math.ceil(n * (probit(confidence) / z) ** 2))
  return {samples: Math.max(1, total - n), toward: z < 0 === upperSide ? 'PASS' : 'FAIL'}
}

/** The smallest total above n that `decides`, searched by doubling then bisection; null past a billion. */
function smallestTotal(n: number, decides: (total: number) => boolean): number | null {
  let low = n
  let high = Math.max(n + 1, 2 * n)
  while (!decides(high)) {
    low = high
    high *= 2
    if (high > 1e9) return null
  }

  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2)
    if (decides(mid)) high = mid
    else low = mid
  }

  return high
}

function measureProportion(
  expr: Expectation,
  metric: Extract<MetricEvidence, {type: 'proportion'}>,
  settings: MeasureSettings,
): Measurement {
  const {events, trials} = metric
  if (!(Number.isFinite(trials) && trials > 0)) return noData('proportion', `"${expr.metric}" has no trials`)
  if (!(events >= 0 && events <= trials))
    return noData('proportion', `"${expr.metric}" counts ${events} events in ${trials} trials`, trials)
  const base = {
    dimension: 'proportion' as const,
    interval95: wilson(events, trials, Z95),
    method: 'beta' as const,
    n: trials,
    value: events / trials,
  }
  const side = boundSide(expr.operator)
  if (side === null) {
    // The posterior is continuous: it puts no mass on one exact value.
    return expr.operator === '=='
      ? {
          ...base,
          bound: null,
          p: 0,
          reason: 'a proportion estimated from counts never equals a value exactly; compare with < or >',
        }
      : {...base, bound: null, p: 1}
  }

  // rate < T ⟺ more than 1 − T of the trials' population are non-events; rate > T ⟺ more than T are events.
  // The same exact counting as a quantile (quantile.ts), with the Clopper–Pearson bound that P matches.
  const confidence = settings.confidence - TOLERANCE
  const [holding, level] = side === 'upper' ? [trials - events, 1 - expr.threshold] : [events, expr.threshold]
  const share = shareProbability(holding, holding, trials, level)
  const bound =
    side === 'upper'
      ? events === trials
        ? 1
        : betaBound(events + 1, trials - events, confidence, 'upper')
      : events === 0
        ? 0
        : betaBound(events, trials - events + 1, confidence, 'lower')
  return {...base, bound, more: () => moreForShare(holding, trials, level, settings.confidence), p: share.p}
}
