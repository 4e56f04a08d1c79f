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

/** What shows before the <details>: the header and one line per target (GitHub collapses the rest). */
export const VISIBLE_LIMIT = 3_000

/** Next steps listed in the details; the full report has them all. */
const STEPS_SHOWN = 5

interface CommentView extends ReportView {
  marker: string
  deciding: string[]
  decidingMore: number
  /** One line per target, shown; the rest are counted. */
  lines: TargetView[]
  hiddenLines: number
  hiddenPassing: number
  rows: TargetView[]
  omittedRows: number
  steps: ReportView['nextSteps']
  notes: Array<{label: string; text: string}>
  fullReport: string | null
}

/** The comment without its <details> block: what a reader sees before expanding anything. */
export function visiblePart(body: string): string {
  const start = body.indexOf('<details>')
  const end = body.lastIndexOf('</details>')
  return start < 0 || end < start ? body : body.slice(0, start) + body.slice(end + '</details>'.length)
}

/**
 * The comment body, at most `limit` characters (UTF-16 units, never fewer than GitHub counts), of which at most
 * `visibleLimit` show before the collapsed details: the header, then one line per target while they fit (targets that
 * do not PASS first). Detail goes in this order until the whole fits: the full report, the notes, then table rows
 * (passing ones first); the header with the decision, the consensus and the deciding rule always stays.
 */
export function renderComment(results: RunResults, limit = COMMENT_LIMIT, visibleLimit = VISIBLE_LIMIT): string {
  const view = escapeView(buildReportView(results), escapeMarkdown)
  const byConcern = [...view.targets].sort((a, b) => Number(a.passed) - Number(b.passed) || a.number - b.number)
  const first = (count: number) => byConcern.slice(0, count).sort((a, b) => a.number - b.number)
  const base = {
    ...view,
    deciding: view.decision.deciding.slice(0, DECIDING_SHOWN),
    decidingMore: Math.max(0, view.decision.deciding.length - DECIDING_SHOWN),
    marker: commentMarker(results.gate.name),
    steps: view.nextSteps.slice(0, STEPS_SHOWN),
  }
  const render = (
    lines: TargetView[],
    rows: TargetView[],
    notes: CommentView['notes'],
    fullReport: string | null,
  ): string =>
    template('comment.md.hbs')({
      ...base,
      fullReport,
      hiddenLines: view.targets.length - lines.length,
      hiddenPassing: view.targets.filter((t) => t.passed && !lines.includes(t)).length,
      lines,
      notes,
      omittedRows: view.targets.length - rows.length,
      rows,
    } satisfies CommentView)

  // The visible part does not depend on what the details hold: sized with them empty.
  const lines = first(
    mostThatFit(byConcern.length, (count) => visiblePart(render(first(count), [], [], null)).length <= visibleLimit),
  )
  const notes = targetNotes(view.targets)
  const attempts = [
    () => render(lines, view.targets, notes, renderReport(results, 'md')),
    () => render(lines, view.targets, notes, null),
    () => render(lines, view.targets, [], null),
  ]
  for (const attempt of attempts) {
    const body = attempt()
    if (body.length <= limit) return body
  }

  // Keep as many table rows as fit, failing ones first, shown in the gate's order.
  const body = render(
    lines,
    first(mostThatFit(byConcern.length, (count) => render(lines, first(count), [], null).length <= limit)),
    [],
    null,
  )
  // Only a header longer than the limit gets here: the view caps every field, so this is a last guard.
  return body.length <= limit ? body : `${body.slice(0, limit - 2)}…\n`
}

/** The largest count in 0..total for which `fits` holds, by bisection (fits is monotone: fewer always fit). */
function mostThatFit(total: number, fits: (count: number) => boolean): number {
  if (fits(total)) return total
  let [fitting, tooMany] = [0, total]
  while (tooMany - fitting > 1) {
    const middle = Math.floor((fitting + tooMany) / 2)
    if (fits(middle)) fitting = middle
    else tooMany = middle
  }
  return fitting
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
