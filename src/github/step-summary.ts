import {appendFileSync} from 'node:fs'

import {renderReport} from '../report/index.js'
import type {RunResults} from '../results/types.js'
import {renderComment} from './comment-body.js'

/** GitHub drops a step summary over 1 MiB; the compact comment body stands in for a report that big. */
export const STEP_SUMMARY_LIMIT = 1024 * 1024

/**
 * Appends the Markdown report to the job's step summary file ($GITHUB_STEP_SUMMARY), after what earlier steps wrote.
 */
export function appendStepSummary(file: string, results: RunResults): void {
  const report = renderReport(results, 'md')
  const text = Buffer.byteLength(report) < STEP_SUMMARY_LIMIT ? report : renderComment(results)
  appendFileSync(file, `${text.endsWith('\n') ? text : `${text}\n`}\n`)
}
