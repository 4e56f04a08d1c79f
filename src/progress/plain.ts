import type {CheckEvents} from '../run/check.js'
import {type CollectOutcome, finishedText, MARK, targetLabel} from './format.js'

/** "✔ [1/3] api (http): collected in 10 s (measured)": how a target ended, in one line for a log. */
export function endLine(label: string, outcome: CollectOutcome, elapsedMs: number): string {
  return `${'evidence' in outcome ? MARK.collected : MARK.noData} ${label}: ${finishedText(outcome, elapsedMs)}`
}

/**
 * For CI logs, pipes and dumb terminals: exactly one line when a target starts and one when it ends,
 * plus what validators log; no escape codes, nothing redrawn.
 */
export function plainProgress(write: (line: string) => void): CheckEvents {
  const labels = new Map<string, string>()
  return {
    log: (message) => write(`  ${message}`),
    targetStarted(target, index, total) {
      const label = targetLabel(target, index, total)
      labels.set(target.id, label)
      write(`${MARK.started} ${label}`)
    },
    targetFinished: (target, outcome, elapsedMs) =>
      write(endLine(labels.get(target.id) ?? target.id, outcome, elapsedMs)),
  }
}
