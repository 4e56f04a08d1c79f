import type {Outcome, Status} from '../engine/types.js'
import {clip} from './escape.js'
import type {ReportView} from './view-model.js'

export interface TerminalOptions {
  /** ANSI colour; the command decides from TTY and NO_COLOR. */
  color?: boolean
}

const TARGET_WIDTH = 40
const EXPECTATION_WIDTH = 64
const LINE_WIDTH = 160
const STATUS_COLOR: Readonly<Record<Outcome | Status, number>> = {
  BLOCK: 31,
  FAIL: 31,
  INCONCLUSIVE: 33,
  NO_DATA: 35,
  PASS: 32,
  PROCEED: 32,
}

/**
 * A compact table and the decision line, from a view already reduced to plain lines. Every line starts with
 * our own text (status first), because CI runners read a log line that starts with `::` as a command.
 */
export function renderTerminal(view: ReportView, options: TerminalOptions = {}): string {
  const paint = (code: number, text: string) => (options.color ? `\u001b[${code}m${text}\u001b[0m` : text)
  const rows = view.targets.map((t) => ({
    confidence: t.confidence,
    expectation: clip(t.headline, EXPECTATION_WIDTH),
    status: `${t.mark} ${t.status}`,
    target: clip(t.label, TARGET_WIDTH),
    tone: STATUS_COLOR[t.status],
  }))
  const header = {
    confidence: 'CONF',
    expectation: 'HEADLINE: VALUE VS THRESHOLD',
    status: 'STATUS',
    target: 'TARGET',
  }
  const width = (key: keyof typeof header) => Math.max(length(header[key]), ...rows.map((r) => length(r[key])))
  const [targetW, statusW, expectationW] = [width('target'), width('status'), width('expectation')]
  // Pad before painting: escape codes have no width but count as characters.
  const line = (cells: {confidence: string; expectation: string; status: string; target: string}, tone?: number) => {
    const status = pad(cells.status, statusW)
    const painted = tone === undefined ? status : paint(tone, status)
    const columns = [painted, pad(cells.target, targetW), pad(cells.expectation, expectationW), cells.confidence]
    return `  ${columns.join('  ')}`.trimEnd()
  }

  const decision = view.decision
  const lines = [
    clip(`Gate ${view.gate.title} (${view.gate.name}), run ${view.runId}`, LINE_WIDTH),
    ...(view.interrupted
      ? [paint(33, 'INTERRUPTED: the run was cut short; the decision covers only what was measured.')]
      : []),
    ...(view.against ? [clip(view.against, LINE_WIDTH)] : []),
    '',
    paint(1, line(header)),
    ...rows.map((row) => line(row, row.tone)),
    ...changes(view),
    ...toDecide(view),
    ...busy(view),
    ...nextSteps(view),
    '',
    `${paint(STATUS_COLOR[decision.outcome], decision.outcome)} — ${decision.sentence}  ` +
      `consensus ${decision.consensus} (min ${decision.minConsensus})`,
    ...view.warnings.map((warning) => clip(`  warning: ${warning}`, LINE_WIDTH)),
  ]
  return `${lines.join('\n')}\n`
}

/** "vs baseline:" lines under the table, one per target that compared with a baseline. */
function changes(view: ReportView): string[] {
  const compared = view.targets.filter((t) => t.change !== null)
  if (compared.length === 0) return []
  return ['', '  CHANGE VS BASELINE', ...compared.map((t) => clip(`  ${t.mark} ${t.label}: ${t.change}`, LINE_WIDTH))]
}

/**
 * "to decide:" lines under the table, one per INCONCLUSIVE expectation: how many more samples would likely decide it.
 */
function toDecide(view: ReportView): string[] {
  const lines = view.targets.flatMap((t) =>
    t.expectations
      .filter((e) => e.more !== null)
      .map((e) => clip(`  ${t.mark} ${t.label}: ${e.expression}: ${e.more}`, LINE_WIDTH)),
  )
  return lines.length === 0 ? [] : ['', '  TO DECIDE', ...lines]
}

/**
 * "busy machine" lines under the table, one per target measured on a busy machine: its timings may be the machine's.
 */
function busy(view: ReportView): string[] {
  const flagged = view.targets.filter((t) => t.busyNote !== null)
  if (flagged.length === 0) return []
  return [
    '',
    '  MEASURED ON A BUSY MACHINE',
    ...flagged.map((t) => clip(`  ${t.mark} ${t.label}: ${t.busyNote}`, LINE_WIDTH)),
  ]
}

/** The three next steps that would raise the consensus most, with what each would add; the reports list them all. */
function nextSteps(view: ReportView): string[] {
  const shown = view.nextSteps.slice(0, 3)
  if (shown.length === 0) return []
  const more = view.nextSteps.length - shown.length
  return [
    '',
    `  NEXT STEPS (by consensus gain${more > 0 ? `; ${more} more in the md and html reports` : ''})`,
    ...shown.map((step) =>
      clip(`  ${step.rank}. ${step.gain}  ${clip(step.label, TARGET_WIDTH)}: ${step.actions}`, LINE_WIDTH),
    ),
  ]
}

function length(text: string): number {
  return [...text].length
}

function pad(text: string, width: number): string {
  return text + ' '.repeat(Math.max(0, width - length(text)))
}
