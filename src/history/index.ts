// The run history in .gate/history.db: what `gate check` and `gate merge` record, and what trends and baselines read.
import type {TargetInput} from '../engine/types.js'
import {UserError} from '../errors.js'
import type {CollectedTarget, RunResults} from '../results/types.js'
import {DEFAULT_BASELINE, noRunsMessage} from './baseline.js'
import {historyFile, openDatabase, shownPath} from './database.js'
import {History} from './store.js'
import {importBaseline, readBaselineFile} from './transfer.js'
import {type Trend, trendOf, type TrendOptions} from './trend.js'

export {
  baselineJson,
  DEFAULT_BASELINE,
  formatBaseline,
  formatBaselineList,
  formatSaved,
  saveBaseline,
  type SavedBaseline,
} from './baseline.js'
export {historyFile} from './database.js'
export {
  type Baseline,
  type BaselineRecord,
  History,
  type HistoryRun,
  type HistoryTarget,
  type SeriesPoint,
} from './store.js'
export {
  BASELINE_FILE_KIND,
  type BaselineFile,
  exportBaseline,
  importBaseline,
  readBaselineFile,
  recordBaselineRuns,
} from './transfer.js'
export {formatTrend, type Trend} from './trend.js'

/** Earlier runs whose spread is the noise of a summary-only metric (`run-to-run` model). */
export const RECENT_RUNS = 10

/**
 * The project's history. `create: false` (for readers) does not create a missing file: every query is
 * then empty. A damaged, foreign or newer file is a UserError naming it, and is left as it is.
 */
export function openHistory(cwd: string, options: {create?: boolean} = {}): History {
  const file = historyFile(cwd)
  const shown = shownPath(file, cwd)
  return new History(openDatabase(file, shown, options.create ?? true), shown)
}

/** Runs `use` on the history and closes it, even when `use` throws. */
export function withHistory<T>(cwd: string, options: {create?: boolean}, use: (history: History) => T): T {
  const history = openHistory(cwd, options)
  try {
    return use(history)
  } finally {
    history.close()
  }
}

/**
 * Records a decided run under its id (its results file's name). The results file is already saved, so a
 * history that cannot take the run (damaged, locked past the timeout, disk full) costs one warning, never the run.
 */
export function recordHistory(
  results: RunResults,
  collected: readonly CollectedTarget[] | undefined,
  cwd: string,
  warn: (line: string) => void,
): string | null {
  try {
    return withHistory(cwd, {}, (history) => history.record(results, collected))
  } catch (error) {
    const reason =
      error instanceof UserError ? error.message : `${shownPath(historyFile(cwd), cwd)}: ${(error as Error).message}`
    warn(`warning: run ${results.id} was not recorded in the history (its results file is saved): ${reason}`)
    return null
  }
}

/** `gate history`: the gate's last runs as a trend; `empty` says why there is nothing to show. */
export function readTrend(
  cwd: string,
  gate: string,
  options: TrendOptions & {branch?: string; limit?: number},
): {trend: Trend; empty?: string} {
  return withHistory(cwd, {create: false}, (history) => {
    const runs = history.runs(gate, {branch: options.branch, limit: options.limit, target: options.target})
    const trend = trendOf(gate, runs, options)
    if (runs.length === 0) {
      const filters = [
        options.branch === undefined ? '' : ` --branch ${options.branch}`,
        options.target === undefined ? '' : ` --target ${options.target}`,
      ].join('')
      const any = filters !== '' && history.runs(gate, {limit: 1}).length > 0
      return {
        empty: any ? `no run of ${gate} in ${history.file} matches${filters}.` : `${noRunsMessage(history, gate)}.`,
        trend,
      }
    }

    if (trend.columns.length === 0 && (options.target !== undefined || options.metric !== undefined)) {
      const what =
        options.metric === undefined
          ? `target ${options.target}`
          : `metric ${options.metric}${options.target === undefined ? '' : ` of target ${options.target}`}`
      return {empty: `no ${what} in the last ${runs.length} run${runs.length === 1 ? '' : 's'} of ${gate}.`, trend}
    }

    return {trend}
  })
}

/**
 * What each target's relative expectations compare with: the gate's baseline `name` (every run it pins, for the
 * spread over runs) with the metric summaries of its last runs (for the run-to-run spread), or why there is nothing
 * to compare with. With `file` (`--baseline-file`), the baseline in that file, read into a history of its own.
 */
export function baselinesFor(
  gate: {name: string; targets: ReadonlyArray<{id: string}>},
  cwd: string,
  name = DEFAULT_BASELINE,
  file?: string,
): Map<string, NonNullable<TargetInput['baseline']>> {
  const everyTarget = (missing: string) => new Map(gate.targets.map((target) => [target.id, {missing}]))
  try {
    if (file !== undefined) {
      const baseline = readBaselineFile(file, cwd)
      if (baseline.gate !== gate.name)
        return everyTarget(
          `${file} holds a baseline of gate "${baseline.gate}", not "${gate.name}": export the baseline of this gate`,
        )
      const history = new History(openDatabase(':memory:', file, true), file)
      try {
        return baselinesIn(history, gate, importBaseline(history, baseline).name)
      } finally {
        history.close()
      }
    }

    return withHistory(cwd, {create: false}, (history) => baselinesIn(history, gate, name))
  } catch (error) {
    if (error instanceof UserError) return everyTarget(error.message)
    throw error
  }
}

function baselinesIn(
  history: History,
  gate: {name: string; targets: ReadonlyArray<{id: string}>},
  name: string,
): Map<string, NonNullable<TargetInput['baseline']>> {
  const baseline = history.baseline(gate.name, name)
  if (!baseline) {
    const saved = history.baselines(gate.name).map((record) => record.name)
    const others = saved.length > 0 ? ` (saved: ${saved.join(', ')}; pick one with --baseline)` : ''
    const save = `gate baseline save ${gate.name}${name === DEFAULT_BASELINE ? '' : ` --name ${name}`}`
    const missing =
      `no baseline "${name}" saved for gate ${gate.name}${others}: pin a run with \`${save}\`, ` +
      'or compare with an exported one (`--baseline-file FILE`)'
    return new Map(gate.targets.map((target) => [target.id, {missing}]))
  }

  return new Map(
    gate.targets.map(({id}): [string, NonNullable<TargetInput['baseline']>] => {
      const target = baseline.targets[id]
      if (!target)
        return [
          id,
          {
            missing:
              `the baseline "${name}" (run ${baseline.run}) has no target ${id}: the gate changed since; pin ` +
              `a newer run with \`gate baseline save ${gate.name}\``,
          },
        ]
      const recent = Object.fromEntries(
        Object.keys(target.metrics).map((metric) => [
          metric,
          history.series(gate.name, id, metric, {limit: RECENT_RUNS}).map((point) => point.summary),
        ]),
      )
      // Only a set of runs has a spread over runs; one pinned run is compared by its samples as before.
      const runs = baseline.set
        ? baseline.pinned.map((pinned) => ({metrics: pinned.targets[id]?.metrics ?? {}, run: pinned.run}))
        : undefined
      return [id, {metrics: target.metrics, name, recent, run: baseline.run, ...(runs ? {runs} : {})}]
    }),
  )
}
