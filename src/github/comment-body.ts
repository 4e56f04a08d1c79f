// The pull-request comment (and check-run summary): templates/comment.md.hbs over the same view model as
// every report, kept under GitHub's size limit by dropping detail — never the decision, consensus or rule.
import {escapeMarkdown, escapeView} from '../report/escape.js'
import {renderReport} from '../report/index.js'
import {template} from '../report/templates.js'
import {buildReportView, type ReportView, type TargetView} from '../report/view-model.js'
import type {RunResults} from '../results/types.js'

/** GitHub refuses a comment body over 65,536 characters; a check run's summary over 65,535. */
export const COMMENT_LIMIT = 65_536
export const CHECK_RUN_SUMMARY_LIMIT = 65_535

/** Deciding targets named in the header; the rest are counted. */
const DECIDING_SHOWN = 20

/**
 * The hidden first line that finds this gate's comment again. The name is percent-encoded so no gate name
 * can close the HTML comment or collide with another gate's marker.
 */
export function commentMarker(gate: string): string {
  return `<!-- phasegate:${encodeURIComponent(gate)} -->`
}

interface CommentView extends ReportView {
  marker: string
  deciding: string[]
  decidingMore: number
  rows: TargetView[]
  omittedRows: number
  notes: Array<{label: string; text: string}>
  fullReport: string | null
}

/**
 * The comment body, at most `limit` characters (UTF-16 units, never fewer than GitHub counts). Detail goes
 * in this order until it fits: the collapsed full report, the notes under the table, then table rows
 * (passing ones first); the header with the decision, the consensus and the deciding rule always stays.
 */
export function renderComment(results: RunResults, limit = COMMENT_LIMIT): string {
  const view = escapeView(buildReportView(results), escapeMarkdown)
  const base = {
    ...view,
    deciding: view.decision.deciding.slice(0, DECIDING_SHOWN),
    decidingMore: Math.max(0, view.decision.deciding.length - DECIDING_SHOWN),
    marker: commentMarker(results.gate.name),
  }
  const render = (rows: TargetView[], notes: CommentView['notes'], fullReport: string | null) =>
    template('comment.md.hbs')({
      ...base,
      fullReport,
      notes,
      omittedRows: view.targets.length - rows.length,
      rows,
    } satisfies CommentView)

  const notes = targetNotes(view.targets)
  const attempts = [
    () => render(view.targets, notes, renderReport(results, 'md')),
    () => render(view.targets, notes, null),
    () => render(view.targets, [], null),
  ]
  for (const attempt of attempts) {
    const body = attempt()
    if (body.length <= limit) return body
  }

  // Keep as many rows as fit, failing ones first, shown in the gate's order: found by bisection over the count.
  const byConcern = [...view.targets].sort((a, b) => Number(a.passed) - Number(b.passed) || a.number - b.number)
  const withRows = (count: number) =>
    render(
      byConcern.slice(0, count).sort((a, b) => a.number - b.number),
      [],
      null,
    )
  let [fits, tooMany] = [0, byConcern.length]
  while (tooMany - fits > 1) {
    const middle = Math.floor((fits + tooMany) / 2)
    if (withRows(middle).length <= limit) fits = middle
    else tooMany = middle
  }
  const body = withRows(fits)
  // Only a header longer than the limit gets here: the view caps every field, so this is a last guard.
  return body.length <= limit ? body : `${body.slice(0, limit - 2)}…\n`
}

/**
 * What a reader needs beyond the table row (which already says why there is no data): what the validator noted, why an
 * expectation is not plain.
 */
function targetNotes(targets: readonly TargetView[]): Array<{label: string; text: string}> {
  return targets.flatMap((target) =>
    [
      ...(target.evidence?.notes ?? []),
      ...target.expectations.flatMap((e) => (e.reason && !target.noData ? [`${e.expression}: ${e.reason}`] : [])),
      ...target.expectations.flatMap((e) => (e.more ? [`to decide ${e.expression}: ${e.more}`] : [])),
    ].map((text) => ({label: target.label, text})),
  )
}
