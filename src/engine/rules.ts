// The scoring rules of scoring.md §3 that every part of the engine shares.
import type {EvidenceKind, Status} from './types.js'

import {DEFAULT_QUALITY} from './types.js'

/** Slack for comparing computed numbers with settings: a consensus of 0.7999999999999999 reaches 0.8. */
export const TOLERANCE = 1e-9

/** Bootstrap resamples B when the gate does not say (scoring.md §2). */
export const DEFAULT_RESAMPLES = 2000

/** B as used: a whole number of at least 1, the default when unset. */
export function resamplesOf(resamples: number | undefined): number {
  return resamples !== undefined && resamples >= 1 ? Math.floor(resamples) : DEFAULT_RESAMPLES
}

/** Evidence quality q: the gate may lower the kind's default, never raise it. */
export function qualityOf(kind: EvidenceKind, override: number | undefined): number {
  const ceiling = DEFAULT_QUALITY[kind]
  return Math.max(0, Math.min(override ?? ceiling, ceiling))
}

/** c = 0.5 + q·(P − 0.5): weak evidence pulls the confidence toward a coin flip. */
export function confidenceOf(p: number, quality: number): number {
  return 0.5 + quality * (p - 0.5)
}

/**
 * Status from P and the evidence's kind (scoring.md v2 §3): measured and artifact evidence PASS at P ≥ confidence and
 * FAIL at P ≤ 1 − confidence; a claim never does either, it needs measuring. Quality weighs the consensus, not this.
 */
export function statusOf(p: number, kind: EvidenceKind, required: number): Exclude<Status, 'NO_DATA'> {
  if (kind === 'claim') return 'INCONCLUSIVE'
  if (p >= required - TOLERANCE) return 'PASS'
  if (p <= 1 - required + TOLERANCE) return 'FAIL'
  return 'INCONCLUSIVE'
}
