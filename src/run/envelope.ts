// The results object of a run (results-v1): `gate check` and `gate merge` both build it here, so they cannot drift.
import type {DecisionSettings, GateEvaluation} from '../engine/types.js'
import {type MachineNoise, withNoise} from '../results/noise.js'
import {
  RESULTS_SCHEMA_ID,
  RESULTS_VERSION,
  SCORING_VERSION,
  type RunResults,
  type TargetNarrative,
  withNarrative,
} from '../results/types.js'

export interface RunRecord {
  id: string
  toolVersion: string
  gate: RunResults['gate']
  startedAt: Date
  finishedAt: Date
  environment: RunResults['environment']
  settings: DecisionSettings
  evaluation: GateEvaluation
  /** What the engine does not see but the results keep, per target id. */
  noiseOf(id: string): MachineNoise | undefined
  narrativeOf(id: string): TargetNarrative | undefined
  interrupted: boolean
  warnings: string[]
  shard?: RunResults['shard']
  merged?: RunResults['merged']
  against?: RunResults['against']
}

export function resultsEnvelope(run: RunRecord): RunResults {
  const {evaluation, finishedAt, startedAt} = run
  return {
    $schema: RESULTS_SCHEMA_ID,
    version: RESULTS_VERSION,
    id: run.id,
    tool: {name: 'phasegate', version: run.toolVersion},
    gate: run.gate,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    environment: run.environment,
    settings: run.settings,
    targets: evaluation.targets.map((verdict) =>
      withNarrative(withNoise(verdict, run.noiseOf(verdict.id)), run.narrativeOf(verdict.id)),
    ),
    scoring: SCORING_VERSION,
    consensus: evaluation.consensus,
    decision: evaluation.decision,
    interrupted: run.interrupted,
    warnings: run.warnings,
    ...(run.shard ? {shard: run.shard} : {}),
    ...(run.merged ? {merged: run.merged} : {}),
    ...(run.against ? {against: run.against} : {}),
  }
}
