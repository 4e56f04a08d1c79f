// `gate baseline save|show`: pin a run (recorded, or a results file) as a gate's baseline, and show what is pinned.
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {resolveGateFile} from '../config/load.js'
import {formatValue} from '../engine/units.js'
import {UserError} from '../errors.js'
import {sha256Hex} from '../hash.js'
import {loadResults} from '../results/store.js'
import {formatTable, shortCommit, utcTime} from './format.js'
import type {Baseline, BaselineRecord, History} from './store.js'

export const DEFAULT_BASELINE = 'main'

export interface SavedBaseline {
  baseline: BaselineRecord
  /** The run the name pinned before, when it pinned another. */
  replaced: string | null
  /** The results file the pinned run was imported from (summaries only), when it was. */
  importedFrom: string | null
  targets: number
  metrics: number
  /** Metrics whose samples were kept: those get the rank tests; the others are compared by their summaries. */
  withSamples: number
  /** For stderr: the gate file changed since the pinned run measured it, or fewer runs than asked were there. */
  warnings: string[]
}

export interface SaveOptions {
  /** Runs to pin: "latest", recorded run ids or results files; one or several. */
  from?: string | readonly string[]
  name?: string
  /** Pin the gate's last N complete runs instead (`--runs N`), of `branch` when given. */
  runs?: number
  branch?: string
  /** Pin as a set even when it holds one run (an imported set); by default `--runs N` with N > 1 is a set. */
  set?: boolean
}

/**
 * Pins runs as the gate's baseline `name`: `from` ("latest", recorded run ids, or results files / saved runs
 * that the history lacks, imported with their summaries only), or the last `runs` complete runs (of `branch`).
 */
export function saveBaseline(history: History, cwd: string, gate: string, options: SaveOptions): SavedBaseline {
  const name = options.name ?? DEFAULT_BASELINE
  const before = history.baseline(gate, name)
  const warnings: string[] = []
  let runIds: string[]
  if (options.runs !== undefined) {
    if (!(Number.isInteger(options.runs) && options.runs >= 1))
      throw new UserError(
        `--runs ${options.runs}: give how many recent runs to pin, 1 or more (3 or more for a spread)`,
      )
    const complete = history
      .runs(gate, options.branch === undefined ? {} : {branch: options.branch})
      .filter((run) => !run.interrupted && run.shard === null)
    runIds = complete.slice(0, options.runs).map((run) => run.id)
    const of = `${gate}${options.branch === undefined ? '' : ` on branch ${options.branch}`}`
    if (runIds.length === 0) throw new UserError(`${noRunsMessage(history, gate)} (no complete run of ${of}).`)
    if (runIds.length < options.runs)
      warnings.push(
        `only ${runIds.length} complete run${runIds.length === 1 ? '' : 's'} of ${of} recorded, ` +
          `${options.runs} asked: pinned what there is; run \`gate check ${gate}\` and save again for the rest`,
      )
  } else {
    const from = typeof options.from === 'string' ? [options.from] : [...(options.from ?? ['latest'])]
    runIds = from.map((ref) => pinnable(history, cwd, gate, ref))
  }

  const record = history.saveBaseline(gate, name, runIds, options.set ?? (options.runs ?? 1) > 1)
  const pinned = history.baseline(gate, name)!
  const metrics = Object.values(pinned.targets).flatMap((target) => Object.values(target.metrics))
  const run = history.run(record.run)!
  return {
    baseline: record,
    importedFrom:
      run.source === 'file' && run.sourceFile !== null ? path.relative(cwd, run.sourceFile) || run.sourceFile : null,
    metrics: metrics.length,
    replaced: before && before.run !== record.run ? before.run : null,
    targets: Object.keys(pinned.targets).length,
    warnings: [...warnings, ...gateChanged(cwd, gate, record.run, run.gateSha256)],
    withSamples: metrics.filter((metric) => metric.evidence?.type === 'samples').length,
  }
}

/** The recorded run `from` names: the newest, a run id, or a results file imported into the history. */
function pinnable(history: History, cwd: string, gate: string, from: string): string {
  if (from === 'latest') {
    const latest = history.runs(gate, {limit: 1})[0]
    if (!latest) throw new UserError(`${noRunsMessage(history, gate)}, or pin a results file with --from FILE.`)
    return latest.id
  }

  if (history.run(from)) return from
  const {file, results} = loadResults(from, cwd)
  if (results.gate.name !== gate)
    throw new UserError(
      `${path.relative(cwd, file) || file} is a run of gate "${results.gate.name}", not "${gate}": a baseline must ` +
        `be a run of the gate it is compared with.`,
    )
  return history.importResults(results, file)
}

/** "no runs recorded for G in .gate/history.db: run `gate check G` first" (naming the gates it has, for a typo). */
export function noRunsMessage(history: History, gate: string): string {
  const others = history.gates().filter((name) => name !== gate)
  return `no runs recorded for ${gate} in ${history.file}${
    others.length > 0 ? ` (it has runs ` + `of ${others.join(', ')})` : ''
  }: run \`gate check ${gate}\` first`
}

/**
 * A warning when the gate file is no longer the one the pinned run measured: its targets or expectations may differ.
 */
function gateChanged(cwd: string, gate: string, run: string, sha256: string): string[] {
  let file: string
  try {
    file = resolveGateFile(gate, cwd)
  } catch {
    return []
  }

  const now = sha256Hex(readFileSync(file))
  if (now === sha256) return []
  return [
    `${path.relative(cwd, file) || file} changed since run ${run} measured it ` +
      `(sha256 ${sha256.slice(0, 12)}… then, ${now.slice(0, 12)}… now): targets or expectations added since have ` +
      `nothing to compare with.`,
  ]
}

export function formatSaved(saved: SavedBaseline): string {
  const {baseline} = saved
  const set = baseline.runs.length > 1 ? `${baseline.runs.length} runs, the newest ` : ''
  const lines = [
    `pinned baseline "${baseline.name}" of gate ${baseline.gate}: ${set}run ${baseline.run} (${describeRun(baseline)})`,
    `  ${saved.targets} target${saved.targets === 1 ? '' : 's'}, ${saved.metrics} ` +
      `metric${saved.metrics === 1 ? '' : 's'}, ${saved.withSamples} with kept ` +
      `samples${saved.replaced ? `; replaces run ${saved.replaced}` : ''}`,
  ]
  if (saved.importedFrom)
    lines.push(
      `  imported from ${saved.importedFrom}: summaries only — relative checks on sample metrics will use summary ` +
        `values only`,
    )
  return lines.join('\n')
}

/** "started 2026-11-23 17:41:32 UTC, commit abc1234 on main, PROCEED" */
function describeRun(record: BaselineRecord): string {
  const where =
    record.commit === null
      ? 'not in git'
      : `commit ${shortCommit(record.commit)}${record.branch ? ` on ${record.branch}` : ''}`
  return `started ${utcTime(record.startedAt)} UTC, ${where}, ${record.outcome}`
}

export function formatBaselineList(records: readonly BaselineRecord[]): string {
  const rows = records.map((r) => [
    r.gate,
    r.name,
    r.run,
    utcTime(r.startedAt),
    shortCommit(r.commit),
    r.branch ?? '—',
    r.outcome,
    r.runs.length > 1 ? `${r.runs.length} runs` : r.source === 'file' ? 'results file' : 'run',
    utcTime(r.savedAt),
  ])
  return formatTable(
    ['gate', 'name', 'run', 'started (UTC)', 'commit', 'branch', 'outcome', 'from', 'saved (UTC)'],
    rows,
  ).join('\n')
}

/** One baseline: per target and metric what relative expectations compare with, and whether samples were kept. */
export function formatBaseline(baseline: Baseline): string {
  const rows = Object.entries(baseline.targets).flatMap(([target, {metrics, status}]) => {
    const entries = Object.values(metrics)
    if (entries.length === 0) return [[target, status, '—', '', '', 'no evidence']]
    return entries.map(({evidence, summary}) => {
      const unit = summary.type === 'proportion' ? 'proportion' : summary.dimension
      const show = (x: number | undefined): string => (x === undefined ? '—' : formatValue(x, unit))
      const share = summary.trials ? (summary.events ?? 0) / summary.trials : undefined
      const kept =
        summary.type === 'samples'
          ? evidence?.type === 'samples'
            ? `${evidence.samples.length} samples kept`
            : 'summary only'
          : ''
      const value =
        summary.type === 'samples'
          ? `p50 ${show(summary.p50)} · p95 ${show(summary.p95)} · p99 ${show(summary.p99)}`
          : summary.type === 'proportion'
            ? `${summary.events ?? '—'}/${summary.trials ?? '—'} = ${show(share)}`
            : show(summary.value)
      return [target, status, summary.name, summary.type, String(summary.seen ?? summary.n), value, kept]
    })
  })
  const imported = baseline.source === 'file' ? ', imported from a results file: summaries only' : ''
  return [
    `baseline "${baseline.name}" of gate ${baseline.gate}: run ${baseline.run} (${describeRun(baseline)}), saved ` +
      `${utcTime(baseline.savedAt)} UTC${imported}`,
    ...(baseline.runs.length > 1
      ? [
          `pins ${baseline.runs.length} runs, judged by their spread (values below: the newest): ` +
            baseline.runs.join(', '),
        ]
      : []),
    '',
    ...formatTable(['target', 'status', 'metric', 'type', 'n', 'value', 'kept'], rows),
  ].join('\n')
}

/** A baseline for --json: the kept samples counted, not listed (up to 5,000 numbers per metric). */
export function baselineJson(baseline: Baseline): unknown {
  // The set's other runs are named in `runs`; their samples would be up to 5,000 numbers per metric each.
  const {pinned: _pinned, ...record} = baseline
  return {
    ...record,
    targets: Object.fromEntries(
      Object.entries(baseline.targets).map(([target, {metrics, status}]) => [
        target,
        {
          metrics: Object.fromEntries(
            Object.entries(metrics).map(([name, {evidence, summary}]) => [
              name,
              {samplesKept: evidence?.type === 'samples' ? evidence.samples.length : 0, summary},
            ]),
          ),
          status,
        },
      ]),
    ),
  }
}
