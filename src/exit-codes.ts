import type {Outcome} from './engine/types.js'

/** The one map from what happened to the process exit code (gate-file.md "Outcomes and exit codes"). */
export const EXIT = {
  PROCEED: 0,
  BLOCK: 1,
  CONFIG_ERROR: 2,
  INCONCLUSIVE: 3,
  /** The run was decided (the report says how) but its results file or a report could not be written. */
  NOT_SAVED: 4,
  INTERRUPTED: 130,
} as const

export function exitCodeFor(outcome: Outcome): number {
  return EXIT[outcome]
}

/**
 * A run's exit code: interrupted runs say so even when what was measured already decided; a decided run that was not
 * saved is not a BLOCK.
 */
export function exitCodeForRun(run: {decision: {outcome: Outcome}; interrupted: boolean}, saved = true): number {
  if (run.interrupted) return EXIT.INTERRUPTED
  return saved ? exitCodeFor(run.decision.outcome) : EXIT.NOT_SAVED
}
