// Consensus and the four-step decision rule (scoring.md §4).
import type {Decision, DecisionSettings, Status, TargetVerdict} from './types.js'

import {TOLERANCE} from './rules.js'

/** Σ wᵢ·cᵢ / Σ wᵢ over all targets, warn-level ones included; 0 when no target carries weight. */
export function consensusOf(targets: readonly Pick<TargetVerdict, 'confidence' | 'weight'>[]): number {
  let weighted = 0
  let total = 0
  for (const target of targets) {
    weighted += target.weight * target.confidence
    total += target.weight
  }

  return total > 0 ? weighted / total : 0
}

type Judged = Pick<TargetVerdict, 'id' | 'required' | 'status'>

/** Applies the rule in order and names the step that decided. */
export function decide(targets: readonly Judged[], consensus: number, settings: Pick<DecisionSettings, 'minConsensus'>): Decision {
  const {minConsensus} = settings
  const improvements = targets.filter((t) => !t.required && t.status !== 'PASS').map((t) => t.id)
  const base = {consensus, improvements, minConsensus}
  const required = targets.filter((t) => t.required)
  const blocking = required.filter((t) => t.status === 'FAIL' || t.status === 'NO_DATA')
  if (blocking.length > 0) {
    return {...base, deciding: blocking.map((t) => t.id), outcome: 'BLOCK', reason: `decided by rule 1: ${describe(blocking)}`, rule: 1}
  }

  const undecided = required.filter((t) => t.status === 'INCONCLUSIVE')
  if (undecided.length > 0) {
    return {...base, deciding: undecided.map((t) => t.id), outcome: 'INCONCLUSIVE', reason: `decided by rule 2: ${describe(undecided)}; measure more`, rule: 2}
  }

  const [shown, minimum] = formatPair(consensus, minConsensus)
  if (consensus < minConsensus - TOLERANCE) {
    return {...base, deciding: [], outcome: 'BLOCK', reason: `decided by rule 3: consensus ${shown} is below the minimum ${minimum}`, rule: 3}
  }

  const passed = required.length > 0 ? 'every required target passed' : 'no target is required'
  return {...base, deciding: [], outcome: 'PROCEED', reason: `decided by rule 4: ${passed} and consensus ${shown} ≥ ${minimum}`, rule: 4}
}

/** required target "a" is FAIL / required targets "a" (FAIL) and "b" (NO_DATA) */
function describe(targets: readonly {id: string; status: Status}[]): string {
  const [only] = targets
  if (targets.length === 1 && only) return `required target "${only.id}" is ${only.status}`
  const names = targets.map((t) => `"${t.id}" (${t.status})`)
  return `required targets ${names.slice(0, -1).join(', ')} and ${names.at(-1)} are not passing`
}

/** Three decimals, or as many more as it takes for two different numbers not to print alike. */
function formatPair(a: number, b: number): [string, string] {
  for (let digits = 3; digits < 9; digits++) {
    if (a.toFixed(digits) !== b.toFixed(digits) || a === b) return [a.toFixed(digits), b.toFixed(digits)]
  }

  return [a.toFixed(9), b.toFixed(9)]
}
