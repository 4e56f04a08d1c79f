// The HTML report's view: the shared report view escaped for HTML, plus the charts as markup built from the results.
import type {RunResults} from '../../results/types.js'
import {escapeHtml, escapeView} from '../escape.js'
import {template} from '../templates.js'
import {buildReportView, type ReportView, type TargetView} from '../view-model.js'
import {confidenceChart, consensusChart} from './svg.js'
import {type ChartKind, type ChartSpec, targetCharts} from './target-charts.js'

export interface HtmlChartView {
  kind: ChartKind
  title: string
  caption: string
  /** Inline SVG, escaped as it was built. */
  svg: string
  /** The chart's numbers; each cell carries its column's name for narrow screens, where a row becomes a block. */
  table: {head: string[]; rows: Array<Array<{label: string; text: string}>>}
}

export interface HtmlTargetView extends TargetView {
  /** Fragment id of the target's section, linked from the confidence chart. */
  anchor: string
  charts: HtmlChartView[]
}

export interface HtmlReportView extends Omit<ReportView, 'targets'> {
  targets: HtmlTargetView[]
  /** Markup of the charts at the top of the page. */
  overview: {consensus: string; confidence: string}
}

/**
 * Text comes from the report view and goes through escapeView like every other format; chart markup is added
 * after escaping because `html` escaped its text while building it.
 */
export function buildHtmlView(results: RunResults): HtmlReportView {
  const plain = buildReportView(results)
  const view = escapeView(plain, escapeHtml)
  const anchor = (target: TargetView) => `target-${target.number}`
  // Status comes from P (scoring v2), so the bars against the PASS and FAIL lines are P; c is in the breakdown.
  const rows = results.targets.map((t, i) => ({
    anchor: anchor(plain.targets[i]!),
    label: plain.targets[i]!.label,
    p: t.p ?? 0,
    status: t.status,
    text: `P ${plain.targets[i]!.p}`,
  }))
  return {
    ...view,
    overview: {
      confidence: confidenceChart(rows, results.settings.confidence).toString(),
      consensus: consensusChart(results.consensus, results.decision.minConsensus, {
        consensus: plain.decision.consensus,
        met: plain.decision.consensusMet,
        minimum: plain.decision.minConsensus,
      }).toString(),
    },
    targets: view.targets.map((target, i) => ({
      ...target,
      anchor: anchor(target),
      charts: targetCharts(results.targets[i]!, plain.targets[i]!).map(({svg, table, ...text}) => ({
        ...escapeView({...text, table: tableView(table)}, escapeHtml),
        svg: svg.toString(),
      })),
    })),
  }
}

/** A table of one row reads better turned on its side (a row per column), and fits the chart's width. */
function tableView(table: ChartSpec['table']): HtmlChartView['table'] {
  const [only] = table.rows
  const {head, rows} =
    table.rows.length === 1 && only
      ? {head: ['Quantity', 'Value'], rows: table.head.map((name, c) => [name, only[c] ?? ''])}
      : table
  return {head, rows: rows.map((row) => row.map((text, c) => ({label: head[c] ?? '', text})))}
}

/** One self-contained HTML page: inline styles and SVG, no script, nothing loaded from anywhere. */
export function renderHtml(results: RunResults): string {
  return template('report.html.hbs')(buildHtmlView(results))
}
