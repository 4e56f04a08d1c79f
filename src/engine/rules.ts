// The scoring rules of scoring.md §3 that every part of the engine shares.
import type {EvidenceKind, Status} from './types.js'

import {DEFAULT_QUALITY} from './types.js'

/** Slack for comparing computed confidences with settings: 0.5 + 0.9·0.5 must count as reaching 0.95. */
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

/** PASS at or above the gate's confidence, FAIL at or below its mirror, INCONCLUSIVE between. */
export function statusOf(confidence: number, required: number): Exclude<Status, 'NO_DATA'> {
  if (confidence >= required - TOLERANCE) return 'PASS'
  if (confidence <= 1 - required + TOLERANCE) return 'FAIL'
  return 'INCONCLUSIVE'
}
