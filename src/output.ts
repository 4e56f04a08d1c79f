import path from 'node:path'

import {recordHistory} from './history/index.js'
import {REPORT_FORMATS, renderReport, reportFileName, type ReportFormat} from './report/index.js'
import {saveResults, writeFileAtomic} from './results/store.js'
import type {CollectedTarget, RunResults} from './results/types.js'

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
 */
export function emitResults(results: RunResults, options: OutputOptions, cwd: string): string[] {
  const written: string[] = []
  if (options.out) {
    for (const format of options.formats) {
      const file = path.resolve(cwd, options.out, reportFileName(results, format))
      writeFileAtomic(file, renderReport(results, format))
      written.push(file)
    }
  }
  if (options.json) return written
  const shown: ReportFormat = options.out || options.formats.length === 0 ? 'terminal' : (options.formats[0] as ReportFormat)
  const text = renderReport(results, shown, {color: options.color})
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`)
  for (const file of written) process.stderr.write(`wrote ${path.relative(cwd, file) || file}\n`)
  return written
}

/** Runs `work` with stdout carried to stderr, so a plugin or validator that prints cannot corrupt --json or the report that stdout is kept for. */
export async function withStdoutOnStderr<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write
  process.stdout.write = process.stderr.write.bind(process.stderr) as typeof process.stdout.write
  try {
    return await work()
  } finally {
    process.stdout.write = write
  }
}

/** Colour only for a person at a terminal that wants it (https://no-color.org). */
export function wantsColor(env: NodeJS.ProcessEnv): boolean {
  return Boolean(process.stdout.isTTY) && env.NO_COLOR === undefined && env.TERM !== 'dumb'
}

/** What `check` and `merge` do with a decided run: save it, record it in the history (with the samples of `collected`, when the caller has it), print or write its reports, say where the results went. */
export function recordRun(results: RunResults, output: OutputOptions, cwd: string, collected?: readonly CollectedTarget[]): string {
  const saved = saveResults(results, cwd)
  // Recorded under its results file's name, so `gate report ID` and `gate baseline save --from ID` agree.
  recordHistory(results, collected, cwd, path.basename(saved, '.json'), (line) => process.stderr.write(`${line}\n`))
  emitResults(results, output, cwd)
  if (!output.json) process.stderr.write(`results: ${path.relative(cwd, saved)}\n`)
  return saved
}
