import type {Dimension, ExpectationVerdict} from '../engine/types.js'
import {formatValue} from '../engine/units.js'

export const NONE = '—'

/** A value in the metric's unit, or "no data". */
export function quantity(value: number | null | undefined, dimension: Dimension): string {
  return value === null || value === undefined ? 'no data' : formatValue(value, dimension)
}

/**
 * "< 100 ms": the threshold as the gate file means it; a relative one without a baseline as written ("<= baseline *
 * 1.10").
 */
export function thresholdText(
  expectation: Pick<ExpectationVerdict, 'dimension' | 'expression' | 'operator' | 'threshold'>,
): string {
  if (expectation.threshold === null)
    return expectation.expression.slice(expectation.expression.lastIndexOf(expectation.operator)).trim()
  return `${expectation.operator} ${formatValue(expectation.threshold, expectation.dimension)}`
}

export function intervalText(interval: [number, number] | null, dimension: Dimension): string {
  return interval ? `[${formatValue(interval[0], dimension)}, ${formatValue(interval[1], dimension)}]` : NONE
}

/** "+58.8%" / "−32.0%": sign first, because the sign says which side of the threshold we are on. */
export function marginText(marginPct: number | null): string {
  if (marginPct === null) return NONE
  return `${marginPct < 0 ? '−' : '+'}${Math.abs(marginPct).toFixed(1)}%`
}

/** P, confidences and contributions get three decimals: two would round 0.946 up to a passing-looking 0.95. */
export function threeDecimals(x: number | null): string {
  return x === null ? NONE : x.toFixed(3)
}

/**
 * A score next to the number it is compared with, with enough decimals that the two never print the same
 * unless they are equal ("0.8496 (min 0.85)", not "0.85 (min 0.85)" under a BLOCK).
 */
export function score(value: number, comparedWith?: number): string {
  for (let digits = 2; digits < 6; digits++) {
    if (comparedWith === undefined || value === comparedWith || value.toFixed(digits) !== comparedWith.toFixed(digits))
      return value.toFixed(digits)
  }
  return String(value)
}

export function seconds(ms: number): string {
  return (ms / 1000).toFixed(3)
}
