// Verdicts for expectations and targets (scoring.md §3, §5).
import type {Expectation} from './expectation.js'
import type {
  BaselineComparison,
  DecisionSettings,
  Dimension,
  Evidence,
  EvidenceKind,
  ExpectationVerdict,
  MoreSamples,
  MetricEvidence,
  MetricSummary,
  Operator,
  TargetInput,
  TargetVerdict,
} from './types.js'

import {measureRelative} from './baseline.js'
import {type Measurement, measure} from './measure.js'
import {confidenceOf, qualityOf, resamplesOf, statusOf} from './rules.js'
import {binSamples, sortedSamples, sortedStatistic} from './statistics.js'

/** Distance from the threshold on the holding side, in % of |threshold|; null when the threshold is 0. */
export function marginPct(value: number, operator: Operator, threshold: number): number | null {
  if (threshold === 0) return null
  const scale = 100 / Math.abs(threshold)
  switch (operator) {
    case '<':
    case '<=':
      return (threshold - value) * scale
    case '>':
    case '>=':
      return (value - threshold) * scale
    case '==':
      return -Math.abs(value - threshold) * scale
    case '!=':
      return Math.abs(value - threshold) * scale
  }
}

/** The verdict fields that come from the expectation alone. */
function described(
  expr: Expectation,
  dimension: Dimension,
): Pick<ExpectationVerdict, 'dimension' | 'expression' | 'metric' | 'operator' | 'statistic' | 'threshold'> {
  // A relative threshold is NaN until the baseline is known: without one there is none.
  return {
    dimension,
    expression: expr.text,
    metric: expr.metric,
    operator: expr.operator,
    statistic: expr.statistic,
    threshold: Number.isNaN(expr.threshold) ? null : expr.threshold,
  }
}

/**
 * An expectation nothing could be said about; without a metric its dimension is the threshold's (plain numbers count).
 */
export function noDataVerdict(
  expr: Expectation,
  reason: string,
  dimension: Dimension = expr.thresholdDimension ?? 'count',
  n = 0,
): ExpectationVerdict {
  return {
    ...described(expr, dimension),
    bound: null,
    interval95: null,
    marginPct: null,
    method: null,
    n,
    p: null,
    reason,
    status: 'NO_DATA',
    value: null,
  }
}

function missingMetric(expr: Expectation, evidence: Evidence): string {
  const present = Object.keys(evidence.metrics)
  return (
    `metric "${expr.metric}" is missing from the evidence ` +
    `(${present.length > 0 ? `it has ${present.join(', ')}` : 'it has no metrics'})`
  )
}

const CLAIM_MORE: MoreSamples = {samples: null, why: 'a claim is never PASS or FAIL: measure it'}
const NO_MORE: MoreSamples = {samples: null, why: 'more samples of the same kind would not change this value'}

/** Judges one expectation against a target's evidence of `kind`; `baseline` serves relative expectations. */
export function evaluateExpectation(
  expr: Expectation,
  evidence: Evidence,
  kind: EvidenceKind,
  settings: DecisionSettings,
  targetId: string,
  baseline?: TargetInput['baseline'],
): ExpectationVerdict {
  const metric = evidence.metrics[expr.metric]
  if (metric === undefined) return noDataVerdict(expr, missingMetric(expr, evidence))
  const measureSettings = {
    confidence: settings.confidence,
    resamples: resamplesOf(settings.resamples),
    seed: [settings.seed, targetId, expr.text] as const,
  }
  let m: Measurement
  let known = expr
  let compared: {baseline?: BaselineComparison} = {}
  if (expr.relative) {
    const relative = measureRelative({...expr, relative: expr.relative}, metric, evidence, baseline, measureSettings)
    m = relative
    if (relative.threshold !== undefined) known = {...expr, threshold: relative.threshold}
    if (relative.comparison) compared = {baseline: relative.comparison}
  } else {
    m = measure(expr, metric, evidence, measureSettings)
  }
  if ('noData' in m) return {...noDataVerdict(known, m.noData, m.dimension, m.n), ...compared}
  const status = statusOf(m.p, kind, settings.confidence)
  return {
    ...described(known, m.dimension),
    ...compared,
    bound: m.bound,
    interval95: m.interval95,
    marginPct: marginPct(m.value, expr.operator, known.threshold),
    method: m.method,
    n: m.n,
    p: m.p,
    status,
    value: m.value,
    ...(m.reason === undefined ? {} : {reason: m.reason}),
    ...(status === 'INCONCLUSIVE' ? {more: kind === 'claim' ? CLAIM_MORE : (m.more?.() ?? NO_MORE)} : {}),
  }
}

const SUMMARY_STATISTICS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p95', 'p99'] as const

/** What a metric's evidence looked like, for the report. */
export function summarizeMetric(name: string, metric: MetricEvidence): MetricSummary {
  switch (metric.type) {
    case 'proportion':
      return {
        dimension: 'proportion',
        events: metric.events,
        n: metric.trials,
        name,
        trials: metric.trials,
        type: 'proportion',
        ...(metric.trials > 0 ? {value: metric.events / metric.trials} : {}),
      }
    case 'value':
      return {dimension: metric.dimension, n: 1, name, type: 'value', value: metric.value}
    case 'samples': {
      const seen = metric.seen ?? metric.samples.length
      const summary: MetricSummary = {
        dimension: metric.dimension,
        n: metric.samples.length,
        name,
        seen,
        type: 'samples',
      }
      // Non-finite samples make the expectations NO_DATA; the summary shows counts only rather than NaN.
      if (metric.samples.length === 0 || !metric.samples.every(Number.isFinite)) return summary
      // The same functions as the expectations use, so p95 in the summary equals p95(metric) in a verdict.
      const sorted = sortedSamples(metric.samples)
      for (const statistic of SUMMARY_STATISTICS)
        summary[statistic] = sortedStatistic(statistic, sorted, seen) ?? undefined
      if (metric.samples.length >= 2) summary.histogram = binSamples(sorted)
      return summary
    }
  }
}

/** All of a target's expectations judged, its P, confidence and status (scoring.md §3). */
export function evaluateTarget(settings: DecisionSettings, target: TargetInput): TargetVerdict {
  const expressions = target.expectations
  const head = {
    id: target.id,
    level: target.level,
    required: target.required,
    title: target.title,
    validator: target.validator,
    weight: target.weight,
  }
  if ('noData' in target.collected) {
    const reason = target.collected.noData
    return {
      ...head,
      confidence: 0,
      evidence: null,
      expectations: expressions.map((expr) => noDataVerdict(expr, `no evidence: ${reason}`)),
      p: null,
      reason,
      status: 'NO_DATA',
    }
  }

  const {evidence} = target.collected
  const quality = qualityOf(evidence.kind, target.quality)
  const expectations = expressions.map((expr) =>
    evaluateExpectation(expr, evidence, evidence.kind, settings, target.id, target.baseline),
  )
  const summary = {
    ...(evidence.durationMs === undefined ? {} : {durationMs: evidence.durationMs}),
    kind: evidence.kind,
    metrics: Object.entries(evidence.metrics).map(([name, metric]) => summarizeMetric(name, metric)),
    notes: evidence.notes ?? [],
    quality,
    source: evidence.source,
  }
  const missing = expectations.filter((verdict) => verdict.status === 'NO_DATA')
  if (expectations.length === 0 || missing.length > 0) {
    const reason =
      missing.length > 0
        ? missing.map((verdict) => `${verdict.expression}: ${verdict.reason ?? 'no data'}`).join('; ')
        : 'the target has no expectations'
    return {...head, confidence: 0, evidence: summary, expectations, p: null, reason, status: 'NO_DATA'}
  }

  // All expectations must hold, so the weakest one speaks for the target.
  const p = Math.min(...expectations.map((verdict) => verdict.p ?? 0))
  return {
    ...head,
    confidence: confidenceOf(p, quality),
    evidence: summary,
    expectations,
    p,
    status: statusOf(p, evidence.kind, settings.confidence),
  }
}
