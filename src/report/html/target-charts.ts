// Which chart fits which evidence, per target: distributions for sampled durations and sizes, an interval for
// proportions and other estimates, a bar for single values, the change for relative expectations. Charts show only
// what the results hold: nothing is drawn for an expectation without data.
import {percentileOf} from '../../engine/expectation.js'
import type {ExpectationVerdict, MetricSummary, TargetVerdict} from '../../engine/types.js'
import {formatValue} from '../../engine/units.js'
import {clip} from '../escape.js'
import {NONE} from '../numbers.js'
import type {ExpectationView, TargetView} from '../view-model.js'
import type {Markup} from './markup.js'
import {
  changeChart,
  histogramChart,
  intervalChart,
  type PercentilePoint,
  percentileChart,
  type ThresholdMark,
  valueChart,
} from './svg.js'

export type ChartKind = 'percentiles' | 'histogram' | 'interval' | 'value' | 'change'

/** One chart and its table alternative; text is not escaped yet, the SVG is markup already. */
export interface ChartSpec {
  kind: ChartKind
  title: string
  caption: string
  svg: Markup
  table: {head: string[]; rows: string[][]}
}

const NAME_MAX = 60

/** Where on the tail a statistic sits (0 = min, 1 = max), or null when it is not a point of the distribution. */
function tailLevel(statistic: string): number | null {
  if (statistic === 'min') return 0
  if (statistic === 'median') return 0.5
  if (statistic === 'max') return 1
  return percentileOf(statistic)
}

const SUMMARY_POINTS = [
  ['p50', 0.5],
  ['p90', 0.9],
  ['p95', 0.95],
  ['p99', 0.99],
  ['max', 1],
] as const

/** Metrics shown as a distribution: sampled durations and sizes, where the tail is what a threshold judges. */
function isDistribution(metric: MetricSummary | undefined): metric is MetricSummary {
  return metric?.type === 'samples' && (metric.dimension === 'duration' || metric.dimension === 'size')
}

/** Charts for one target, in the order of its metrics and expectations; none for a target without evidence. */
export function targetCharts(target: TargetVerdict, view: TargetView): ChartSpec[] {
  if (!target.evidence) return []
  const metrics = new Map(target.evidence.metrics.map((m) => [m.name, m]))
  const judged = target.expectations.map((e, i) => ({e, view: view.expectations[i]!}))
  // An expectation sits on its metric's distribution when it judges a point of that distribution in the metric's unit.
  const onDistribution = ({e}: {e: ExpectationVerdict}) =>
    isDistribution(metrics.get(e.metric)) &&
    e.dimension === metrics.get(e.metric)!.dimension &&
    tailLevel(e.statistic) !== null
  const charts: ChartSpec[] = []
  for (const metric of target.evidence.metrics.filter(isDistribution)) {
    const on = judged.filter((j) => j.e.metric === metric.name && onDistribution(j))
    if (on.length === 0 && !judged.some((j) => j.e.metric === metric.name)) continue
    // Samples that could not be summarised (non-finite) have no percentiles to draw.
    const curve = percentiles(metric, on)
    if (curve) charts.push(curve)
    if (
      metric.histogram &&
      metric.histogram.counts.length > 0 &&
      metric.histogram.edges.length === metric.histogram.counts.length + 1
    )
      charts.push(histogram(metric, metric.histogram, on))
  }
  for (const j of judged) {
    if (j.e.value === null) continue
    if (!onDistribution(j))
      charts.push(j.e.interval95 || j.e.dimension === 'proportion' ? interval(j.e, j.view) : single(j.e, j.view))
    if (j.e.baseline && j.e.baseline.change !== null) charts.push(change(j.e, j.view))
  }
  return charts
}

type Judged = {e: ExpectationVerdict; view: ExpectationView}

function thresholdLabels(thresholds: readonly ThresholdMark[]): string {
  return thresholds.map((t) => t.label).join(', ')
}

/** " Lines: p95 < 100 ms." closing a caption, or nothing when the chart draws no threshold. */
function linesSentence(thresholds: readonly ThresholdMark[]): string {
  return thresholds.length ? ` Lines: ${thresholdLabels(thresholds)}.` : ''
}

function thresholdMark(e: ExpectationVerdict, view: ExpectationView, prefix = ''): ThresholdMark[] {
  return e.threshold === null ? [] : [{label: `${prefix}${view.threshold}`, value: e.threshold}]
}

function statusText(view: ExpectationView): string {
  return `${view.status}, P = ${view.p}`
}

function percentiles(metric: MetricSummary, on: Judged[]): ChartSpec | null {
  const name = clip(metric.name, NAME_MAX)
  const format = (v: number) => formatValue(v, metric.dimension)
  const points: PercentilePoint[] = SUMMARY_POINTS.flatMap(([stat, level]) =>
    metric[stat] === undefined ? [] : [{level, name: stat, value: metric[stat]}],
  )
  for (const {e} of on) {
    const level = tailLevel(e.statistic)!
    const at = points.find((p) => p.level === level)
    if (at) at.interval ??= e.interval95
    else if (e.value !== null) points.push({interval: e.interval95, level, name: clip(e.statistic, 12), value: e.value})
  }
  if (points.length === 0) return null
  points.sort((a, b) => a.level - b.level)
  const thresholds = on.flatMap(({e, view}) => thresholdMark(e, view, `${clip(e.statistic, 12)} `))
  const judgedAt = (level: number) => on.filter(({e}) => tailLevel(e.statistic) === level)
  const summary = points.map((p) => `${p.name} ${format(p.value)}`).join(', ')
  const drawn = thresholds.length ? `; thresholds ${thresholdLabels(thresholds)}` : ''
  const label = `${name} percentiles: ${summary}${drawn}`
  const seen =
    metric.seen !== undefined && metric.seen > metric.n ? ` of ${formatValue(metric.seen, 'count')} seen` : ''
  return {
    caption: `${summary}. n = ${formatValue(metric.n, 'count')}${seen}.${linesSentence(thresholds)}`,
    kind: 'percentiles',
    svg: percentileChart({dimension: metric.dimension, label, metric: metric.name, points, thresholds}),
    table: {
      head: ['Statistic', 'Value', '95% interval', 'Judged against'],
      rows: points.map((p) => {
        const judged = judgedAt(p.level)
        return [
          p.name,
          format(p.value),
          judged[0]?.view.interval ?? NONE,
          judged.length ? judged.map(({view}) => `${view.threshold} (${statusText(view)})`).join('; ') : NONE,
        ]
      }),
    },
    title: `${name}: percentiles`,
  }
}

function histogram(metric: MetricSummary, bins: {edges: number[]; counts: number[]}, on: Judged[]): ChartSpec {
  const name = clip(metric.name, NAME_MAX)
  const format = (v: number) => formatValue(v, metric.dimension)
  const total = bins.counts.reduce((sum, c) => sum + c, 0)
  const thresholds = on.flatMap(({e, view}) => thresholdMark(e, view, `${clip(e.statistic, 12)} `))
  const range = `${format(bins.edges[0]!)} to ${format(bins.edges.at(-1)!)}`
  const binned = `${formatValue(total, 'count')} samples in ${bins.counts.length} bins from ${range}`
  return {
    caption: `${binned}.${linesSentence(thresholds)}`,
    kind: 'histogram',
    svg: histogramChart({
      counts: bins.counts,
      dimension: metric.dimension,
      edges: bins.edges,
      metric: metric.name,
      label: `${name} histogram: ${binned}`,
      thresholds,
    }),
    table: {
      head: ['From', 'To', 'Samples'],
      rows: bins.counts.map((count, i) => [
        format(bins.edges[i]!),
        format(bins.edges[i + 1]!),
        formatValue(count, 'count'),
      ]),
    },
    title: `${name}: distribution`,
  }
}

function interval(e: ExpectationVerdict, view: ExpectationView): ChartSpec {
  const threshold = thresholdMark(e, view)[0] ?? null
  const estimate = `${view.value}, 95% interval ${view.interval}, vs ${view.threshold}`
  const label = `${view.subject} ${estimate}: ${statusText(view)}`
  return {
    caption: `${estimate}; n = ${view.n}.`,
    kind: 'interval',
    svg: intervalChart({
      dimension: e.dimension,
      domain: e.dimension === 'proportion' ? [0, 1] : undefined,
      interval: e.interval95,
      label,
      threshold,
      value: e.value!,
    }),
    table: {
      head: ['Value', '95% interval', 'Threshold', 'Status'],
      rows: [[view.value, view.interval, view.threshold, statusText(view)]],
    },
    title: `${view.expression}: value and 95% interval`,
  }
}

function single(e: ExpectationVerdict, view: ExpectationView): ChartSpec {
  const threshold = thresholdMark(e, view)[0] ?? null
  return {
    caption: `${view.value} vs ${view.threshold}: one value, no spread.`,
    kind: 'value',
    svg: valueChart({
      dimension: e.dimension,
      label: `${view.subject} ${view.value} vs ${view.threshold}: ${statusText(view)}`,
      threshold,
      value: e.value!,
    }),
    table: {head: ['Value', 'Threshold', 'Status'], rows: [[view.value, view.threshold, statusText(view)]]},
    title: view.expression,
  }
}

function change(e: ExpectationVerdict, view: ExpectationView): ChartSpec {
  const baseline = e.baseline!
  const b = view.baseline!
  // The threshold as a change from the baseline: "<= baseline * 1.10" allows +10%.
  const allowed = e.threshold !== null && baseline.value ? e.threshold / baseline.value - 1 : null
  const allowedText =
    allowed === null ? null : `limit ${allowed < 0 ? '−' : '+'}${formatValue(Math.abs(allowed), 'proportion')}`
  const changeInterval = b.interval === NONE ? '' : ` ${b.interval}`
  const limit = allowedText ? `, ${allowedText}` : ''
  return {
    caption: `Baseline ${b.name} (run ${b.run}) ${b.value}, now ${view.value}: ${b.change}${changeInterval}${limit}.`,
    kind: 'change',
    svg: changeChart({
      allowed: allowed === null ? null : {label: allowedText!, value: allowed},
      change: baseline.change!,
      interval: baseline.changeInterval95,
      label: `${view.subject} vs baseline ${b.name}: ${b.text}; ${statusText(view)}`,
    }),
    table: {
      head: ['Baseline', 'Baseline value', 'Now', 'Change', '95% interval', 'Mann-Whitney p', 'Model', 'Status'],
      rows: [
        [
          `${b.name} (run ${b.run})`,
          b.value,
          view.value,
          b.change,
          b.interval,
          b.mannWhitneyP,
          b.model,
          statusText(view),
        ],
      ],
    },
    title: `${view.expression}: change vs baseline ${b.name}`,
  }
}
