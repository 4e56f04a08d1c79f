import type {Outcome} from './engine/types.js'

/** The one map from what happened to the process exit code (gate-file.md "Outcomes and exit codes"). */
export const EXIT = {
  PROCEED: 0,
  BLOCK: 1,
  CONFIG_ERROR: 2,
  INCONCLUSIVE: 3,
  INTERRUPTED: 130,
} as const

export function exitCodeFor(outcome: Outcome): number {
  return EXIT[outcome]
}

/** A run's exit code: interrupted runs say so even when what was measured already decided. */
export function exitCodeForRun(run: {decision: {outcome: Outcome}; interrupted: boolean}): number {
  return run.interrupted ? EXIT.INTERRUPTED : exitCodeFor(run.decision.outcome)
}
