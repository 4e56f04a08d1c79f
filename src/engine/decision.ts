// Consensus and the four-step decision rule (scoring.md §4).
import type {Decision, DecisionSettings, RuleCheck, Status, TargetVerdict} from './types.js'

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

/** Whether the consensus reaches the minimum: with a rounding slack, so 0.7999999999999999 reaches 0.8. */
export function consensusReaches(consensus: number, minConsensus: number): boolean {
  return consensus >= minConsensus - TOLERANCE
}

/** Every step of the rule with its numbers and whether it held; the first that does not hold decides. */
export function ruleChecks(targets: readonly Judged[], consensus: number, minConsensus: number): RuleCheck[] {
  const required = targets.filter((t) => t.required)
  const withStatus = (...statuses: Status[]) => required.filter((t) => statuses.includes(t.status)).map((t) => t.id)
  const list = (ids: readonly string[]) => (ids.length > 0 ? ids.join(', ') : 'none')
  const [failed, noData, undecided] = [withStatus('FAIL'), withStatus('NO_DATA'), withStatus('INCONCLUSIVE')]
  const reached = consensusReaches(consensus, minConsensus)
  const [shown, minimum] = formatPair(consensus, minConsensus)
  const improvements = targets.filter((t) => !t.required && t.status !== 'PASS').length
  const checks: RuleCheck[] = [
    {
      condition: 'No required target is FAIL or NO_DATA (else BLOCK)',
      detail: `${plural(required.length, 'required target')}; FAIL: ${list(failed)}; NO_DATA: ${list(noData)}`,
      holds: failed.length + noData.length === 0,
      rule: 1,
      targets: withStatus('FAIL', 'NO_DATA'),
    },
    {
      condition: 'No required target is INCONCLUSIVE (else INCONCLUSIVE)',
      detail: `INCONCLUSIVE: ${list(undecided)}`,
      holds: undecided.length === 0,
      rule: 2,
      targets: undecided,
    },
    {
      condition: 'Consensus reaches min_consensus (else BLOCK)',
      detail: `consensus ${shown} ${reached ? '≥' : '<'} ${minimum}`,
      holds: reached,
      rule: 3,
      targets: [],
    },
  ]
  const earlier = checks.every((check) => check.holds)
  return [
    ...checks,
    {
      condition: 'Otherwise PROCEED',
      detail: `${plural(improvements, 'improvement')} listed for the next gate`,
      holds: earlier,
      rule: 4,
      targets: [],
    },
  ]
}

/** Applies the rule in order and names the step that decided. */
export function decide(
  targets: readonly Judged[],
  consensus: number,
  settings: Pick<DecisionSettings, 'minConsensus'>,
): Decision {
  const {minConsensus} = settings
  const rules = ruleChecks(targets, consensus, minConsensus)
  const improvements = targets.filter((t) => !t.required && t.status !== 'PASS').map((t) => t.id)
  const base = {consensus, improvements, minConsensus, rules}
  const byId = new Map(targets.map((t) => [t.id, t]))
  const [blocking, undecided, reaching] = rules
  if (!blocking!.holds) {
    return {
      ...base,
      deciding: blocking!.targets,
      outcome: 'BLOCK',
      reason: `decided by rule 1: ${describe(blocking!.targets.map((id) => byId.get(id)!))}`,
      rule: 1,
    }
  }

  if (!undecided!.holds) {
    return {
      ...base,
      deciding: undecided!.targets,
      outcome: 'INCONCLUSIVE',
      reason: `decided by rule 2: ${describe(undecided!.targets.map((id) => byId.get(id)!))}; measure more`,
      rule: 2,
    }
  }

  const [shown, minimum] = formatPair(consensus, minConsensus)
  if (!reaching!.holds) {
    return {
      ...base,
      deciding: [],
      outcome: 'BLOCK',
      reason: `decided by rule 3: consensus ${shown} is below the minimum ${minimum}`,
      rule: 3,
    }
  }

  const passed = targets.some((t) => t.required) ? 'every required target passed' : 'no target is required'
  return {
    ...base,
    deciding: [],
    outcome: 'PROCEED',
    reason: `decided by rule 4: ${passed} and consensus ${shown} ≥ ${minimum}`,
    rule: 4,
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
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
