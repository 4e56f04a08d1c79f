import path from 'node:path'

import {recordHistory} from '../history/index.js'
import {REPORT_FORMATS, renderReport, reportFileName, type ReportFormat} from '../report/index.js'
import {EXIT} from '../exit-codes.js'
import {saveEvidence, saveResults, STATE_DIR, writeFileAtomic} from '../results/store.js'
import type {CollectedTarget, RunResults} from '../results/types.js'

/** Every format a --format flag may name, straight from the formatter registry. */
export const FORMAT_NAMES: string[] = [...REPORT_FORMATS]

export interface OutputOptions {
  formats: ReportFormat[]
  /** Directory to write every format into; without it the first format goes to stdout. */
  out?: string
  json: boolean
  color: boolean
}

/**
 * One place that decides what a run prints and writes: --json prints the results object (oclif does it),
 * --out writes each format and shows the terminal summary, otherwise the first format (default: terminal) is printed.
 * Returns why any report could not be written (already said on stderr): the run is then decided but not saved.
 */
export function emitResults(results: RunResults, options: OutputOptions, cwd: string): string[] {
  const written: string[] = []
  const unsaved: string[] = []
  for (const format of options.out ? options.formats : []) {
    const file = path.resolve(cwd, options.out!, reportFileName(results, format))
    try {
      writeFileAtomic(file, renderReport(results, format))
      written.push(file)
    } catch (error) {
      unsaved.push(notWritten(`the ${format} report`, file, error, cwd, 'or pass another --out'))
    }
  }
  if (!options.json) {
    const shown: ReportFormat =
      options.out || options.formats.length === 0 ? 'terminal' : (options.formats[0] as ReportFormat)
    const text = renderReport(results, shown, {color: options.color})
    process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
    for (const file of written) process.stderr.write(`wrote ${path.relative(cwd, file) || file}\n`)
  }
  for (const message of unsaved) process.stderr.write(`${message}\n`)
  return unsaved
}

/** "could not write X to FILE: why. The decision stands but is not saved: …", for exit 4. */
function notWritten(what: string, file: string, error: unknown, cwd: string, elsewhere: string): string {
  const shown = path.relative(cwd, file).startsWith('..') ? file : path.relative(cwd, file)
  const stands =
    `The decision printed stands but is not saved (exit ${EXIT.NOT_SAVED}): free space or make that ` +
    `directory writable (${elsewhere})`
  return `error: could not write ${what} to ${shown}: ${(error as Error).message}. ${stands}, then run again.`
}

/**
 * Runs `work` with stdout carried to stderr, so a plugin or validator that prints cannot corrupt --json or the report
 * that stdout is kept for.
 */
export async function withStdoutOnStderr<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write
  try {
    return await work()
  } finally {
    process.stdout.write = write
  }
}

/** Colour only for a person at a terminal that wants it: no-color.org turns it off by a non-empty NO_COLOR. */
export function wantsColor(env: NodeJS.ProcessEnv, stdout: {isTTY?: boolean} = process.stdout): boolean {
  return Boolean(stdout.isTTY) && !env.NO_COLOR && env.TERM !== 'dumb'
}

/**
 * What recording a run wrote: its results file (undefined when it could not be saved), and whether everything asked for
 * was written.
 */
export interface RecordedRun {
  saved: string | undefined
  complete: boolean
  /** The run as saved (its id the name of its results file). */
  results: RunResults
}

/**
 * What `check` and `merge` do with a decided run: save it (with its evidence for a merge, when asked), record it in the
 * history
 * (with the samples of `collected`, when the caller has it), print or write its reports, say where the results went or
 * why they could not go.
 */
export function recordRun(
  decided: RunResults,
  output: OutputOptions,
  cwd: string,
  collected?: readonly CollectedTarget[],
  keepEvidence = false,
): RecordedRun {
  let saved: string | undefined
  let unsaved: string | undefined
  // The run as saved: its id is its results file's name (another run of the same second may have taken the first).
  let results = decided
  try {
    ;({file: saved, results} = saveResults(decided, cwd))
    if (keepEvidence) saveEvidence(results, collected ?? [], saved)
  } catch (error) {
    unsaved = notWritten(
      'the results',
      path.join(cwd, STATE_DIR, 'runs', `${decided.id}.json`),
      error,
      cwd,
      'or run from a writable --cwd',
    )
  }
  // Recorded under the same id, so `gate report ID` and `gate baseline save --from ID` agree.
  if (saved) recordHistory(results, collected, cwd, (line) => process.stderr.write(`${line}\n`))
  const reportsUnsaved = emitResults(results, output, cwd)
  if (unsaved) process.stderr.write(`${unsaved}\n`)
  else if (!output.json) process.stderr.write(`results: ${path.relative(cwd, saved!)}\n`)
  return {complete: unsaved === undefined && reportsUnsaved.length === 0, results, saved}
}
