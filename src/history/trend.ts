// `gate history`: a gate's recorded runs as a trend table, oldest first so the sparklines read left to right as the
// rows read down.
import type {MetricSummary, Outcome, Status} from '../engine/types.js'
import {formatValue} from '../engine/units.js'
import {threeDecimals} from '../report/numbers.js'
import {type Align, formatTable, shortCommit, sparkline, utcTime} from './format.js'
import type {HistoryRun, RunSource} from './store.js'

export interface TrendColumn {
  /** The target ("api"), or target and metric ("api/latency"). */
  key: string
  label: string
}

export interface TrendCell {
  /** The number the sparkline draws: a target's confidence, or the metric's p95, value or rate. */
  value: number | null
  text: string
  status?: Status
}

export interface TrendRow {
  run: string
  startedAt: string
  commit: string | null
  dirty: boolean | null
  branch: string | null
  outcome: Outcome
  interrupted: boolean
  consensus: number
  source: RunSource
  cells: Record<string, TrendCell>
}

export interface Trend {
  gate: string
  /**
   * 'targets': a column per target (status and confidence); 'metrics': a column per metric of --target or named by
   * --metric.
   */
  mode: 'metrics' | 'targets'
  columns: TrendColumn[]
  /** Oldest first. */
  rows: TrendRow[]
}

export interface TrendOptions {
  target?: string
  metric?: string
}

/** The trend of the given runs (as `History.runs` returns them, newest first). */
export function trendOf(gate: string, newestFirst: readonly HistoryRun[], options: TrendOptions = {}): Trend {
  const runs = [...newestFirst].reverse()
  const mode = options.target === undefined && options.metric === undefined ? 'targets' : 'metrics'
  const columns = new Map<string, {target: string; metric?: string}>()
  for (const run of runs) {
    for (const [target, verdict] of Object.entries(run.targets)) {
      if (options.target !== undefined && target !== options.target) continue
      if (mode === 'targets') columns.set(target, {target})
      for (const metric of mode === 'metrics' ? Object.keys(verdict.metrics) : []) {
        if (options.metric === undefined || metric === options.metric)
          columns.set(`${target}/${metric}`, {metric, target})
      }
    }
  }

  const latest = (target: string, metric: string): MetricSummary | undefined =>
    newestFirst.map((run) => run.targets[target]?.metrics[metric]).find((summary) => summary !== undefined)
  return {
    columns: [...columns].map(([key, {metric, target}]) => {
      if (metric === undefined) return {key, label: target}
      const label = statisticLabel(latest(target, metric)!)
      return {key, label: options.target === undefined ? `${target} ${label}` : label}
    }),
    gate,
    mode,
    rows: runs.map((run) => ({
      branch: run.branch,
      cells: Object.fromEntries(
        [...columns].map(([key, {metric, target}]) => {
          const verdict = run.targets[target]
          if (metric === undefined)
            return [
              key,
              verdict
                ? {
                    status: verdict.status,
                    text: `${verdict.status} ${threeDecimals(verdict.confidence)}`,
                    value: verdict.confidence,
                  }
                : {text: '—', value: null},
            ]
          const summary = verdict?.metrics[metric]
          const value = summary ? trendValue(summary) : null
          return [
            key,
            {
              text:
                value === null
                  ? '—'
                  : formatValue(value, summary!.type === 'proportion' ? 'proportion' : summary!.dimension),
              value,
            },
          ]
        }),
      ),
      commit: run.commit,
      consensus: run.consensus,
      dirty: run.dirty,
      interrupted: run.interrupted,
      outcome: run.outcome,
      run: run.id,
      source: run.source,
      startedAt: run.startedAt,
    })),
  }
}

/**
 * What a trend follows of a metric: the p95 of samples (the tail users feel), a value as it is, a proportion's rate.
 */
export function trendValue(summary: MetricSummary): number | null {
  if (summary.type === 'samples') return summary.p95 ?? null
  if (summary.type === 'proportion')
    return summary.trials !== undefined && summary.trials > 0 && summary.events !== undefined
      ? summary.events / summary.trials
      : null
  return summary.value ?? null
}

function statisticLabel(summary: MetricSummary): string {
  return summary.type === 'samples' ? `p95(${summary.name})` : summary.name
}

/** The table: one row per run, oldest first, then a `trend` row with each numeric column's sparkline. */
export function formatTrend(trend: Trend): string {
  const header = [
    'started (UTC)',
    'commit',
    'branch',
    'outcome',
    'consensus',
    ...trend.columns.map((column) => column.label),
    'run',
  ]
  const align: Align[] = [
    'left',
    'left',
    'left',
    'left',
    'right',
    ...trend.columns.map((): Align => (trend.mode === 'metrics' ? 'right' : 'left')),
    'left',
  ]
  const rows = trend.rows.map((row) => [
    utcTime(row.startedAt),
    shortCommit(row.commit, row.dirty),
    row.branch ?? '—',
    row.interrupted ? `${row.outcome} (interrupted)` : row.outcome,
    threeDecimals(row.consensus),
    ...trend.columns.map((column) => row.cells[column.key]?.text ?? '—'),
    row.source === 'file' ? `${row.run} (from file)` : row.run,
  ])
  const footer = [
    'trend',
    '',
    '',
    '',
    sparkline(trend.rows.map((row) => row.consensus)),
    ...trend.columns.map((column) => sparkline(trend.rows.map((row) => row.cells[column.key]?.value ?? null))),
    '',
  ]
  const what =
    trend.mode === 'targets'
      ? 'per target: status and confidence'
      : 'per metric: p95 of samples, the value, or the rate of a proportion'
  return [
    ...formatTable(header, [...rows, footer], align),
    '',
    `${trend.rows.length} run${trend.rows.length === 1 ? '' : 's'} of ${trend.gate}, oldest first; ${what}.`,
  ].join('\n')
}
