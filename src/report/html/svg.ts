// The HTML report's charts as inline SVG: pure functions from numbers and labels to Markup. Every chart is an
// image with a text equivalent (role="img", aria-label, <title>) and says what it holds in data-chart and
// data-bars / data-points, so a test (or a person with dev tools) can count its marks.
import type {Dimension, Status} from '../../engine/types.js'
import {formatValue} from '../../engine/units.js'
import {html, type Markup} from './markup.js'
import {linearScale, niceDomain, type Scale} from './scale.js'

/** A line across a chart that the evidence is judged against: "< 100 ms". */
export interface ThresholdMark {
  label: string
  value: number
}

const WIDTH = 480
const PLOT_HEIGHT = 200
const STRIP_HEIGHT = 76
const MARGIN = {bottom: 26, left: 62, right: 14, top: 16} as const

function frame(options: {
  chart: string
  label: string
  height: number
  metric?: string
  points?: number
  bars?: number
  body: Markup | Markup[]
}): Markup {
  const counts = [
    options.metric === undefined ? '' : html` data-metric="${options.metric}"`,
    options.points === undefined ? '' : html` data-points="${options.points}"`,
    options.bars === undefined ? '' : html` data-bars="${options.bars}"`,
  ]
  const attributes = html`class="plot" data-chart="${options.chart}"${counts} viewBox="0 0 ${WIDTH} ${options.height}"`
  return svgImage(attributes, options.label, options.body)
}

/** An <svg> that is an image with a text equivalent: role="img", and an aria-label and a <title> that say the same. */
function svgImage(attributes: Markup, label: string, body: Markup | Markup[]): Markup {
  return html`<svg ${attributes} role="img" aria-label="${label}"><title>${label}</title>${body}</svg>`
}

/** Horizontal grid lines with their values on the left. */
function yAxis(y: Scale, ticks: readonly number[], format: (x: number) => string): Markup[] {
  return ticks.map((tick) => {
    const line = html`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y(tick)}" y2="${y(tick)}"/>`
    const text = html`<text x="${MARGIN.left - 6}" y="${y(tick) + 4}" text-anchor="end">${format(tick)}</text>`
    return html`<g class="tick">${line}${text}</g>`
  })
}

/** Ticks along the bottom of a horizontal strip; the outer ones are anchored inwards so they stay inside. */
function xAxis(x: Scale, ticks: readonly number[], format: (x: number) => string, baseline: number): Markup[] {
  return ticks.map((tick, i) => {
    const anchor = i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle'
    const line = html`<line x1="${x(tick)}" x2="${x(tick)}" y1="${MARGIN.top}" y2="${baseline}"/>`
    const text = html`<text x="${x(tick)}" y="${baseline + 14}" text-anchor="${anchor}">${format(tick)}</text>`
    return html`<g class="tick">${line}${text}</g>`
  })
}

/** About how wide a label is at 11px, to keep labels from overlapping. */
function labelWidth(text: string): number {
  return [...text].length * 7 + 6
}

/**
 * Horizontal threshold lines, labelled at their left end where a rising tail leaves room; a label moves below its line
 * when above would leave the plot, and to the right of another label it would overlap.
 */
function horizontalThresholds(marks: ReadonlyArray<{y: number; label: string}>): Markup[] {
  const placed: Array<{x0: number; x1: number; y: number}> = []
  return [...marks]
    .sort((a, b) => a.y - b.y)
    .map(({label, y}) => {
      const labelY = y - 5 < MARGIN.top + 8 ? y + 13 : y - 5
      let x = MARGIN.left + 4
      // Bounded: each step moves past one placed label.
      for (const other of placed)
        if (Math.abs(other.y - labelY) < 16 && x < other.x1 && x + labelWidth(label) > other.x0) x = other.x1 + 8
      placed.push({x0: x, x1: x + labelWidth(label), y: labelY})
      const line = html`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${y}" y2="${y}"/>`
      const text = html`<text x="${x}" y="${labelY}">${label}</text>`
      return html`<g class="threshold" data-threshold="${label}">${line}${text}</g>`
    })
}

/** Vertical threshold lines, labelled on the side with more room, in the first row at the top where the label fits. */
function verticalThresholds(marks: ReadonlyArray<{x: number; label: string}>, top: number, bottom: number): Markup[] {
  const rows: Array<Array<[number, number]>> = []
  return [...marks]
    .sort((a, b) => a.x - b.x)
    .map(({label, x}) => {
      const left = x > (MARGIN.left + WIDTH - MARGIN.right) / 2
      const span: [number, number] = left ? [x - 4 - labelWidth(label), x - 4] : [x + 4, x + 4 + labelWidth(label)]
      let row = rows.findIndex((taken) => taken.every(([a, b]) => span[1] < a || span[0] > b))
      if (row < 0) row = rows.push([]) - 1
      rows[row]!.push(span)
      const line = html`<line x1="${x}" x2="${x}" y1="${top}" y2="${bottom}"/>`
      const [textX, textY, anchor] = [left ? x - 4 : x + 4, top + 9 + 12 * row, left ? 'end' : 'start']
      const text = html`<text x="${textX}" y="${textY}" text-anchor="${anchor}">${label}</text>`
      return html`<g class="threshold" data-threshold="${label}">${line}${text}</g>`
    })
}

export interface PercentilePoint {
  /** "p50", "p95", "max" */
  name: string
  /** 0.5, 0.95, 1 */
  level: number
  value: number
  /** The 95% interval when an expectation judged this statistic. */
  interval?: [number, number] | null
}

/** A latency (or size) distribution read from its tail: p50 → max left to right, with the thresholds as lines. */
export function percentileChart(input: {
  label: string
  metric: string
  dimension: Dimension
  points: readonly PercentilePoint[]
  thresholds: readonly ThresholdMark[]
}): Markup {
  const points = [...input.points].sort((a, b) => a.level - b.level)
  const format = (v: number) => formatValue(v, input.dimension)
  const {domain, ticks} = niceDomain(
    [...points.flatMap((p) => [p.value, ...(p.interval ?? [])]), ...input.thresholds.map((t) => t.value)],
    {fromZero: true},
  )
  const bottom = PLOT_HEIGHT - MARGIN.bottom
  const y = linearScale(domain, [bottom, MARGIN.top])
  // Equal spacing: the tail levels (0.5, 0.9, 0.95, 0.99, 1) would crowd together on a linear axis.
  const step = (WIDTH - MARGIN.left - MARGIN.right) / Math.max(1, points.length)
  const x = (i: number) => MARGIN.left + step * (i + 0.5)
  const path = points
    .map((p, i) => `${i === 0 ? 'M' : 'L'}${Math.round(x(i) * 100) / 100} ${Math.round(y(p.value) * 100) / 100}`)
    .join(' ')
  return frame({
    body: [
      ...yAxis(y, ticks, format),
      ...horizontalThresholds(input.thresholds.map((t) => ({label: t.label, y: y(t.value)}))),
      html`<path class="curve" d="${path}"/>`,
      ...points.map((p, i) => {
        const interval = p.interval ? verticalInterval(p.name, x(i), y(p.interval[0]), y(p.interval[1])) : ''
        const title = html`<title>${p.name}: ${format(p.value)}</title>`
        const [cx, cy] = [x(i), y(p.value)]
        const point = html`<circle class="point" data-point="${p.name}" cx="${cx}" cy="${cy}" r="4">${title}</circle>`
        const category = html`<text class="category" x="${cx}" y="${bottom + 16}" text-anchor="middle">${p.name}</text>`
        return html`${interval}${point}${category}`
      }),
      html`<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${bottom}" y2="${bottom}"/>`,
    ],
    chart: 'percentiles',
    height: PLOT_HEIGHT,
    label: input.label,
    metric: input.metric,
    points: points.length,
  })
}

/** A percentile's 95% interval: a line at `x` from `from` to `to`, capped at both ends. */
function verticalInterval(name: string, x: number, from: number, to: number): Markup {
  const line = html`<line x1="${x}" x2="${x}" y1="${from}" y2="${to}"/>`
  const caps = [from, to].map((y) => html`<line x1="${x - 5}" x2="${x + 5}" y1="${y}" y2="${y}"/>`)
  return html`<g class="interval" data-interval="${name}">${line}${caps}</g>`
}

/**
 * Where `value` falls along bins between `edges`, as a bin index with a fraction; log-spaced bins interpolate in log.
 */
export function binPosition(edges: readonly number[], value: number): number {
  const last = edges.length - 1
  if (value <= edges[0]!) return 0
  if (value >= edges[last]!) return last
  const i = Math.max(0, edges.findIndex((edge) => edge > value) - 1)
  const [from, to] = [edges[i]!, edges[i + 1]!]
  const logarithmic =
    edges[0]! > 0 && last >= 2 && Math.abs(edges[2]! - edges[1]! - (edges[1]! - edges[0]!)) > 1e-9 * Math.abs(edges[1]!)
  const fraction = logarithmic ? Math.log(value / from) / Math.log(to / from) : (value - from) / (to - from)
  return i + fraction
}

/**
 * How the samples spread: one bar per bin of MetricSummary.histogram (equal widths, as binned), thresholds as lines.
 */
export function histogramChart(input: {
  label: string
  metric: string
  dimension: Dimension
  edges: readonly number[]
  counts: readonly number[]
  thresholds: readonly ThresholdMark[]
}): Markup {
  const {counts, edges} = input
  const format = (v: number) => formatValue(v, input.dimension)
  const {domain, ticks} = niceDomain(counts, {count: 3, fromZero: true})
  const bottom = PLOT_HEIGHT - MARGIN.bottom
  const y = linearScale(domain, [bottom, MARGIN.top])
  const binWidth = (WIDTH - MARGIN.left - MARGIN.right) / Math.max(1, counts.length)
  const x = (position: number) => MARGIN.left + position * binWidth
  const edgeLabels = [0, Math.floor(counts.length / 2), counts.length].filter((i, k, all) => all.indexOf(i) === k)
  return frame({
    bars: counts.length,
    body: [
      ...yAxis(y, ticks, (v) => formatValue(v, 'count')),
      ...counts.map((count, i) => {
        const [from, to] = [format(edges[i]!), format(edges[i + 1]!)]
        const title = html`<title>${from} to ${to}: ${formatValue(count, 'count')}</title>`
        const size = html`width="${Math.max(0.5, binWidth - 1)}" height="${bottom - y(count)}"`
        return html`<rect class="bar" data-bar="${i}" x="${x(i) + 0.5}" y="${y(count)}" ${size}>${title}</rect>`
      }),
      ...edgeLabels.map((i, k) => {
        const anchor = k === 0 ? 'start' : i === counts.length ? 'end' : 'middle'
        const text = format(edges[i]!)
        return html`<text class="category" x="${x(i)}" y="${bottom + 16}" text-anchor="${anchor}">${text}</text>`
      }),
      // A threshold outside the binned range sits at the edge, with an arrow that says it lies beyond.
      ...verticalThresholds(
        input.thresholds.map((t) => ({
          label: t.value > edges.at(-1)! ? `${t.label} →` : t.value < edges[0]! ? `← ${t.label}` : t.label,
          x: x(binPosition(edges, t.value)),
        })),
        MARGIN.top,
        bottom,
      ),
      html`<line class="axis" x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${bottom}" y2="${bottom}"/>`,
    ],
    chart: 'histogram',
    height: PLOT_HEIGHT,
    label: input.label,
    metric: input.metric,
  })
}

/** A horizontal strip for one number: its axis, optional threshold, and what `marks` draws on it. */
function strip(input: {
  chart: string
  label: string
  domain?: [number, number]
  values: number[]
  format: (x: number) => string
  threshold: ThresholdMark | null
  fromZero: boolean
  marks: (x: Scale, middle: number) => Markup[]
  points?: number
  bars?: number
}): Markup {
  const nice = niceDomain([...input.values, ...(input.threshold ? [input.threshold.value] : [])], {
    count: 4,
    fromZero: input.fromZero,
  })
  const domain = input.domain ?? nice.domain
  const ticks = input.domain
    ? niceDomain(input.domain, {count: 4}).ticks.filter((t) => t >= domain[0] && t <= domain[1])
    : nice.ticks
  const baseline = STRIP_HEIGHT - MARGIN.bottom
  const x = linearScale(domain, [MARGIN.left, WIDTH - MARGIN.right])
  const middle = (MARGIN.top + 10 + baseline) / 2
  return frame({
    bars: input.bars,
    body: [
      ...xAxis(x, ticks, input.format, baseline),
      ...verticalThresholds(
        input.threshold ? [{label: input.threshold.label, x: x(input.threshold.value)}] : [],
        MARGIN.top - 10,
        baseline,
      ),
      ...input.marks(x, middle),
    ],
    chart: input.chart,
    height: STRIP_HEIGHT,
    label: input.label,
    points: input.points,
  })
}

function intervalMarks(
  x: Scale,
  middle: number,
  value: number,
  interval: readonly [number, number] | null,
  title: string,
): Markup[] {
  const bar = interval ? horizontalInterval(x(interval[0]), x(interval[1]), middle) : ''
  const tooltip = html`<title>${title}</title>`
  return [
    html`${bar}<circle class="point" data-point="value" cx="${x(value)}" cy="${middle}" r="5">${tooltip}</circle>`,
  ]
}

/** A 95% interval along a strip: a line at height `y` from `from` to `to`, capped at both ends. */
function horizontalInterval(from: number, to: number, y: number): Markup {
  const line = html`<line x1="${from}" x2="${to}" y1="${y}" y2="${y}"/>`
  const caps = [from, to].map((x) => html`<line x1="${x}" x2="${x}" y1="${y - 6}" y2="${y + 6}"/>`)
  return html`<g class="interval" data-interval="95%">${line}${caps}</g>`
}

/**
 * A value with its 95% interval against the threshold: hit rates on a 0–100% axis, speed-ups and means on their own.
 */
export function intervalChart(input: {
  label: string
  dimension: Dimension
  value: number
  interval: [number, number] | null
  threshold: ThresholdMark | null
  domain?: [number, number]
}): Markup {
  const format = (v: number) => formatValue(v, input.dimension)
  const interval = input.interval ? ` [${format(input.interval[0])}, ${format(input.interval[1])}]` : ''
  return strip({
    chart: 'interval',
    domain: input.domain,
    format,
    fromZero: input.dimension !== 'proportion' && input.value >= 0,
    label: input.label,
    marks: (x, middle) => intervalMarks(x, middle, input.value, input.interval, `${format(input.value)}${interval}`),
    points: 1,
    threshold: input.threshold,
    values: [input.value, ...(input.interval ?? [])],
  })
}

/** A single value (a count, a throughput, a claim) as a bar from zero, against its threshold. */
export function valueChart(input: {
  label: string
  dimension: Dimension
  value: number
  threshold: ThresholdMark | null
}): Markup {
  const format = (v: number) => formatValue(v, input.dimension)
  return strip({
    bars: 1,
    chart: 'value',
    format,
    fromZero: true,
    label: input.label,
    marks: (x, middle) => {
      const [from, to] = [Math.min(x(0), x(input.value)), Math.max(x(0), x(input.value))]
      // A zero-width bar still shows where the value is.
      const width = Math.max(2, to - from)
      const title = html`<title>${format(input.value)}</title>`
      return [
        html`<rect class="bar" data-bar="0" x="${from}" y="${middle - 8}" width="${width}" height="16">${title}</rect>`,
      ]
    },
    threshold: input.threshold,
    values: [input.value],
  })
}

/**
 * The change vs the baseline run in %: zero is the baseline, the point and interval are now, the line is the allowed
 * change.
 */
export function changeChart(input: {
  label: string
  change: number
  interval: [number, number] | null
  allowed: ThresholdMark | null
}): Markup {
  const percent = (v: number) => `${v > 0 ? '+' : v < 0 ? '−' : ''}${formatValue(Math.abs(v), 'proportion')}`
  return strip({
    chart: 'change',
    format: percent,
    fromZero: true,
    label: input.label,
    marks: (x, middle) => [
      html`<line class="zero" x1="${x(0)}" x2="${x(0)}" y1="${middle - 12}" y2="${middle + 12}"/>`,
      ...intervalMarks(x, middle, input.change, input.interval, `${percent(input.change)}`),
    ],
    points: 1,
    threshold: input.allowed,
    values: [input.change, ...(input.interval ?? [])],
  })
}

export interface ConfidenceRow {
  /** Anchor of the target's section. */
  anchor: string
  label: string
  status: Status
  /** P_target (0 for NO_DATA): what the PASS and FAIL lines judge. */
  p: number
  /** "P 0.966" */
  text: string
}

/**
 * P(holds) per target, coloured by status, with the PASS line (settings.confidence) and the FAIL line (1 − confidence).
 * One row per target in HTML, so long names wrap next to their bar; the bars share one 0–1 scale in percent.
 */
export function confidenceChart(rows: readonly ConfidenceRow[], pass: number): Markup {
  const fail = 1 - pass
  const [passText, failText] = [pass.toFixed(2), fail.toFixed(2)]
  const lines = [
    html`<line class="fail-line" x1="${percent(fail)}" x2="${percent(fail)}" y1="0" y2="100%"/>`,
    html`<line class="pass-line" x1="${percent(pass)}" x2="${percent(pass)}" y1="0" y2="100%"/>`,
  ]
  const track = html`<rect class="track" x="0" y="3" width="100%" height="12"/>`
  const labels = [
    html`<text x="0" y="13">0</text>`,
    html`<text class="fail-text" x="${percent(fail)}" y="13">FAIL ≤ ${failText}</text>`,
    html`<text x="50%" y="13" text-anchor="middle">0.5</text>`,
    html`<text class="pass-text" x="${percent(pass)}" y="13" text-anchor="end">PASS ≥ ${passText}</text>`,
    html`<text x="100%" y="13" text-anchor="end">1</text>`,
  ]
  // Empty cells in the label and value columns put the scale under the bars.
  const cells = html`<span></span><svg class="scale" height="18" width="100%">${labels}</svg><span></span>`
  const scale = html`<div class="confidence-row confidence-scale" aria-hidden="true">${cells}</div>`
  return html`<div class="confidence-chart" data-chart="confidence" data-bars="${rows.length}">
${scale}
${rows.map((r, i) => {
  const label = `${r.label}: ${r.text}, ${r.status} (PASS at P ${passText} or more, FAIL at ${failText} or less)`
  const name = html`<a class="confidence-label" href="#${r.anchor}">${r.label}</a>`
  const bar = html`<rect class="bar" data-bar="${i}" x="0" y="3" width="${percent(r.p)}" height="12"/>`
  const chart = svgImage(html`class="bar-track" height="18" width="100%"`, label, [track, bar, ...lines])
  const pill = html`<span class="pill s-${r.status}">${r.status}</span>`
  const value = html`<span class="confidence-value">${pill} ${r.text}</span>`
  return html`<div class="confidence-row s-${r.status}">${name}${chart}${value}</div>
`
})}</div>`
}

/** Consensus on a 0–1 bar with the minimum it must reach marked. */
export function consensusChart(
  consensus: number,
  minimum: number,
  texts: {consensus: string; met: boolean; minimum: string},
): Markup {
  // Whether it is reached is the engine's word (rule 3), never compared again here.
  const label = `Consensus ${texts.consensus}, minimum ${texts.minimum}: ${texts.met ? 'reached' : 'not reached'}`
  const anchor = minimum > 0.5 ? 'end' : 'start'
  const [at, dx] = [percent(minimum), anchor === 'end' ? -3 : 3]
  const classes = html`class="consensus-chart ${texts.met ? 'met' : 'unmet'}"`
  const attributes = html`${classes} data-chart="consensus" data-bars="1" height="40" width="100%"`
  return svgImage(attributes, label, [
    html`<rect class="track" x="0" y="4" width="100%" height="16"/>`,
    html`<rect class="bar" data-bar="0" x="0" y="4" width="${percent(consensus)}" height="16"/>`,
    html`<line class="minimum" x1="${at}" x2="${at}" y1="0" y2="24"/>`,
    html`<text x="${at}" dx="${dx}" y="36" text-anchor="${anchor}">minimum ${texts.minimum}</text>`,
  ])
}

/** A share of 0–1 as an SVG length in percent, clamped so a bar never leaves its track. */
function percent(x: number): string {
  return `${Math.round(Math.min(1, Math.max(0, x)) * 10_000) / 100}%`
}
