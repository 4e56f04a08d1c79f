// What a verdict means for the phase review (issue 20): a status word per target, the bottlenecks ranked by
// severity, and the next steps ranked by how much each would raise the consensus. Pure, like the rest of the engine.
import type {
  DecisionSettings,
  ExpectationVerdict,
  NextStep,
  Outcome,
  StatusWord,
  StepAction,
  TargetVerdict,
} from './types.js'

import {consensusOf, decide} from './decision.js'
import {confidenceOf, TOLERANCE} from './rules.js'
import {DEFAULT_QUALITY} from './types.js'
import {marginPct} from './verdict.js'

/** A PASS whose one-sided bound clears the threshold by this share of it is EXCEEDED, not just MET. */
export const EXCEEDED_SHARE = 0.2

/**
 * The expectation a target is summed up by: its first (primary) one, unless another decides its status, i.e. the
 * first does not share the target's status and another with the smallest P does.
 */
export function headlineExpectation(target: Pick<TargetVerdict, 'expectations' | 'status'>): number | undefined {
  const [primary] = target.expectations
  if (!primary) return undefined
  if (primary.status === target.status) return 0
  const rank = (e: ExpectationVerdict) => e.p ?? -1
  let deciding = 0
  target.expectations.forEach((e, i) => {
    if (rank(e) < rank(target.expectations[deciding]!)) deciding = i
  })
  return deciding
}

/**
 * MET or EXCEEDED for a PASS (EXCEEDED when the headline's one-sided bound, not just its value, clears the threshold
 * by EXCEEDED_SHARE of it), MISSED for a FAIL, UNPROVEN for INCONCLUSIVE and NO_DATA: a claim is never MET.
 */
export function statusWord(target: Pick<TargetVerdict, 'expectations' | 'status'>): StatusWord {
  if (target.status === 'FAIL') return 'MISSED'
  if (target.status !== 'PASS') return 'UNPROVEN'
  const headline = target.expectations[headlineExpectation(target) ?? -1]
  const bound = headline?.bound ?? headline?.value
  if (!headline || bound === null || bound === undefined || headline.threshold === null) return 'MET'
  if (headline.operator === '==' || headline.operator === '!=') return 'MET'
  const margin = marginPct(bound, headline.operator, headline.threshold)
  return margin !== null && margin >= EXCEEDED_SHARE * 100 - TOLERANCE ? 'EXCEEDED' : 'MET'
}

/** One expectation past its threshold, with how far and how much that matters. */
export interface Bottleneck {
  target: string
  /** Index of the expectation in its target. */
  expectation: number
  /** How far past the threshold, as a share of it (0.32 = 32% past); null when the threshold is 0. */
  shortfall: number | null
  /** weight × shortfall (a zero threshold's miss counts as a shortfall of 1): what ranks the bottlenecks. */
  severity: number
}

/** Every expectation whose measured value lies on the failing side of its threshold, most severe first. */
export function bottlenecks(targets: readonly Pick<TargetVerdict, 'expectations' | 'id' | 'weight'>[]): Bottleneck[] {
  const found = targets.flatMap((target) =>
    target.expectations.flatMap((e, expectation) => {
      const past = e.marginPct !== null ? e.marginPct < 0 : e.status === 'FAIL'
      if (!past) return []
      const shortfall = e.marginPct === null ? null : -e.marginPct / 100
      return [{expectation, severity: target.weight * (shortfall ?? 1), shortfall, target: target.id}]
    }),
  )
  return found.sort((a, b) => b.severity - a.severity)
}

type Judged = Pick<TargetVerdict, 'confidence' | 'evidence' | 'expectations' | 'id' | 'required' | 'status' | 'weight'>

/**
 * One step per target that does not PASS: what would settle each expectation that does not hold yet, and the
 * consensus and outcome if they all came out just PASSing (P = the gate's confidence, measured evidence for a
 * claim). Ranked by the consensus gained, largest first; ties keep the gate's order.
 */
export function nextSteps(
  targets: readonly Judged[],
  settings: Pick<DecisionSettings, 'confidence' | 'minConsensus'>,
): NextStep[] {
  const consensus = consensusOf(targets)
  const steps = targets.flatMap((target, index) => {
    if (target.status === 'PASS') return []
    const claim = target.evidence?.kind === 'claim'
    const actions = target.expectations.flatMap((e, expectation): StepAction[] => {
      if (!claim && e.status === 'PASS') return []
      return [actionFor(e, expectation, claim)]
    })
    // Settled just enough to PASS: acted-on expectations at P = confidence, the others as they are.
    const acted = new Set(actions.map((a) => a.expectation))
    const p = Math.min(
      ...target.expectations.map((e, i) => (acted.has(i) ? settings.confidence : (e.p ?? settings.confidence))),
    )
    const quality = claim || !target.evidence ? DEFAULT_QUALITY.measured : target.evidence.quality
    const confidenceAfter = confidenceOf(p, quality)
    const after = targets.map((t, i) =>
      i === index ? {...t, confidence: confidenceAfter, status: 'PASS' as const} : t,
    )
    const consensusAfter = consensusOf(after)
    return [
      {
        actions,
        confidenceAfter,
        consensusAfter,
        gain: consensusAfter - consensus,
        outcomeAfter: decide(after, consensusAfter, settings).outcome,
        target: target.id,
      },
    ]
  })
  return steps.sort((a, b) => b.gain - a.gain)
}

function actionFor(e: ExpectationVerdict, expectation: number, claim: boolean): StepAction {
  if (claim) return {expectation, kind: 'measure-live'}
  if (e.status === 'NO_DATA') return {expectation, kind: 'collect'}
  if (e.status !== 'INCONCLUSIVE') return {expectation, kind: 'improve'}
  // The data lean toward FAIL: more of the same would settle it against, so the system has to change.
  if (e.more?.samples && e.more.toward === 'FAIL') return {expectation, kind: 'improve'}
  return {expectation, kind: 'measure-more', samples: e.more?.samples ?? null}
}

/** The outcome if every step came out just PASSing: what the whole list of next steps could reach. */
export function outcomeIfAllSettled(
  targets: readonly Judged[],
  steps: readonly NextStep[],
  settings: Pick<DecisionSettings, 'confidence' | 'minConsensus'>,
): {consensus: number; outcome: Outcome} {
  const settled = new Map(steps.map((step) => [step.target, step.confidenceAfter]))
  const after = targets.map((t) => {
    const confidence = settled.get(t.id)
    return confidence === undefined ? t : {...t, confidence, status: 'PASS' as const}
  })
  const consensus = consensusOf(after)
  return {consensus, outcome: decide(after, consensus, settings).outcome}
}
