// The pure decision engine: evidence in, verdicts and a decision out. No I/O, no clock.
import type {DecisionSettings, GateEvaluation, TargetInput} from './types.js'

import {consensusOf, decide} from './decision.js'
import {evaluateTarget} from './verdict.js'

export * from './types.js'
export * from './units.js'
export {
  ExpectationSyntaxError,
  checkExpectation,
  isStatistic,
  parseExpectation,
  percentileOf,
  pointAt,
  statisticDimension,
  statisticMismatch,
  thresholdMismatch,
} from './expectation.js'
export type {Expectation, MetricShape} from './expectation.js'
export {consensusOf, consensusReaches, decide, ruleChecks} from './decision.js'
export {
  bottlenecks,
  EXCEEDED_SHARE,
  headlineExpectation,
  nextSteps,
  outcomeIfAllSettled,
  statusWord,
} from './outlook.js'
export type {Bottleneck} from './outlook.js'
export {betaCdf, probit, wilson} from './probability.js'
export {DEFAULT_RESAMPLES, TOLERANCE, confidenceOf, qualityOf, statusOf} from './rules.js'
export {evaluateExpectation, evaluateTarget, marginPct, summarizeMetric} from './verdict.js'

/**
 * Judges every target and decides. Pure: the same settings and evidence give the same result,
 * whatever the order of the targets. Throws ExpectationSyntaxError for an expectation that does
 * not parse (the gate file should have been checked with parseExpectation before anything ran).
 */
export function evaluateGate(settings: DecisionSettings, targets: TargetInput[]): GateEvaluation {
  const verdicts = targets.map((target) => evaluateTarget(settings, target))
  const consensus = consensusOf(verdicts)
  return {consensus, decision: decide(verdicts, consensus, settings), targets: verdicts}
}
