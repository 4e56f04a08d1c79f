// Baselines that travel: `gate baseline export` writes every run a baseline pins (summaries, kept samples,
// histograms) as one JSON file; `gate baseline import` and `gate check --baseline-file` read it back, so a CI
// cache or artifact can carry the main branch's baseline to a pull request's fresh runner.
import {readFileSync} from 'node:fs'
import path from 'node:path'

import {UserError} from '../errors.js'
import type {BaselineRecord, History, Row, RunRows} from './store.js'

export const BASELINE_FILE_KIND = 'phasegate-baseline'
export const BASELINE_FILE_VERSION = 1

export interface BaselineFile {
  kind: typeof BASELINE_FILE_KIND
  version: typeof BASELINE_FILE_VERSION
  gate: string
  name: string
  savedAt: string
  /** Pinned as a set (`--runs N`): judged by the spread over its runs, even while it holds too few. */
  set: boolean
  /** Every pinned run, newest first, as the history holds it. */
  runs: RunRows[]
}

/** The baseline `name` of `gate` with all its pinned runs, as a baseline file. */
export function exportBaseline(history: History, gate: string, name: string): BaselineFile {
  const baseline = history.baseline(gate, name)
  if (!baseline) {
    const saved = history.baselines(gate).map((record) => record.name)
    const others = saved.length > 0 ? ` (saved: ${saved.join(', ')})` : ''
    throw new UserError(
      `no baseline "${name}" saved for gate ${gate} in ${history.file}${others}: ` +
        `pin runs with \`gate baseline save ${gate}\` first.`,
    )
  }

  return {
    gate,
    kind: BASELINE_FILE_KIND,
    name,
    runs: baseline.runs.map((run) => history.runRows(run)!),
    savedAt: baseline.savedAt,
    set: baseline.set,
    version: BASELINE_FILE_VERSION,
  }
}

/** Records the file's runs that the history lacks; returns the ids all of them are recorded under. */
export function recordBaselineRuns(history: History, file: BaselineFile): string[] {
  return file.runs.map((rows) => history.insertRunRows(rows))
}

/** Records the file's runs and pins them as the baseline `name` (the file's by default). */
export function importBaseline(history: History, file: BaselineFile, options: {name?: string} = {}): BaselineRecord {
  return history.saveBaseline(file.gate, options.name ?? file.name, recordBaselineRuns(history, file), file.set)
}

/** Reads and checks a baseline file; every mistake is a UserError naming the file and the field. */
export function readBaselineFile(ref: string, cwd: string): BaselineFile {
  const file = path.resolve(cwd, ref)
  const shown = path.relative(cwd, file) || file
  const wrong = (what: string) =>
    new UserError(`${shown}: ${what}; write one with \`gate baseline export GATE > ${shown}\`.`)
  let data: unknown
  try {
    data = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new UserError(
        `no baseline file at ${shown}: write one where trusted runs were recorded ` +
          `(\`gate baseline save GATE --runs 5\`, then \`gate baseline export GATE > ${shown}\`); ` +
          "in CI the default branch's job does it (see the workflow's one-time bootstrap)",
      )
    throw new UserError(`${shown} cannot be read as a baseline file: ${(error as Error).message}.`)
  }

  const top = data as Partial<BaselineFile> | null
  if (top === null || typeof top !== 'object' || top.kind !== BASELINE_FILE_KIND)
    throw wrong(`not a phasegate baseline file (expected "kind": "${BASELINE_FILE_KIND}")`)
  if (top.version !== BASELINE_FILE_VERSION)
    throw new UserError(
      `${shown} is a baseline file of version ${JSON.stringify(top.version)}; ` +
        `this phasegate reads version ${BASELINE_FILE_VERSION}: upgrade phasegate or export it again.`,
    )
  for (const field of ['gate', 'name', 'savedAt'] as const)
    if (typeof top[field] !== 'string' || top[field] === '') throw wrong(`"${field}" must be a non-empty string`)
  if (typeof top.set !== 'boolean') throw wrong('"set" must be true or false')
  if (!Array.isArray(top.runs) || top.runs.length === 0) throw wrong('"runs" must list at least one run')
  for (const [index, rows] of top.runs.entries()) {
    const at = `runs[${index}]`
    if (!isRow(rows?.run) || !Array.isArray(rows.targets) || !Array.isArray(rows.metrics))
      throw wrong(`${at} must have "run", "targets" and "metrics"`)
    for (const field of ['id', 'gate', 'started_at', 'finished_at', 'gate_sha256'])
      if (typeof rows.run[field] !== 'string') throw wrong(`${at}.run.${field} must be a string`)
    if (rows.run.gate !== top.gate) throw wrong(`${at} is a run of gate "${String(rows.run.gate)}", not "${top.gate}"`)
    for (const [i, target] of rows.targets.entries())
      if (!isRow(target) || typeof target.target !== 'string')
        throw wrong(`${at}.targets[${i}].target must be a string`)
    const targets = new Set(rows.targets.map((target) => target.target))
    for (const [i, metric] of rows.metrics.entries()) {
      if (!isRow(metric) || typeof metric.metric !== 'string' || !targets.has(metric.target))
        throw wrong(`${at}.metrics[${i}] must name a metric of one of the run's targets`)
      if (!['proportion', 'samples', 'value'].includes(String(metric.type)))
        throw wrong(`${at}.metrics[${i}].type must be samples, value or proportion`)
      if (metric.samples !== null && metric.samples !== undefined && typeof metric.samples !== 'string')
        throw wrong(`${at}.metrics[${i}].samples must be base64 text or null`)
    }
  }

  return top as BaselineFile
}

function isRow(value: unknown): value is Row {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
