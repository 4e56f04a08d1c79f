import type {Decision, DecisionSettings, TargetInput, TargetVerdict} from '../engine/types.js'
import type {Shard} from '../validators/types.js'
import type {MachineNoise} from './noise.js'

export const RESULTS_SCHEMA_ID = 'https://phasegate.dev/schemas/results-v1.json'
export const RESULTS_VERSION = 1
/**
 * The scoring rules in force (scoring.md v2: order-statistic quantiles, status from P and kind); files before it have
 * none.
 */
export const SCORING_VERSION = 2

/** The versioned results file: the public contract every report and later command reads. */
export interface RunResults {
  $schema: string
  version: 1
  /** "<gate>-<UTC timestamp>", also the file name under .gate/runs/. */
  id: string
  tool: {name: 'phasegate'; version: string}
  /** `args`: the gate arguments this run used (--arg or defaults), passwords in URLs masked. */
  /** `nextPhase`: the gate file's conditions for the next gate (`next_phase:`), absent when it names none. */
  gate: {
    name: string
    title: string
    file: string
    sha256: string
    args?: Record<string, string>
    nextPhase?: string[]
  }
  startedAt: string
  finishedAt: string
  durationMs: number
  environment: {
    node: string
    platform: string
    arch: string
    cpu: {model: string; count: number}
    memoryBytes: number
    git: null | {commit: string; branch: string | null; dirty: boolean}
    ci: boolean
  }
  settings: DecisionSettings
  targets: RecordedTarget[]
  /** Which scoring rules decided (SCORING_VERSION); absent in files written before v2. */
  scoring?: typeof SCORING_VERSION
  consensus: number
  decision: Decision
  /** True when SIGINT/SIGTERM cut the run short; the decision then covers what was measured. */
  interrupted: boolean
  warnings: string[]
  /** Set on a `gate check --shard i/n` run: it measured share i of n of the load. */
  shard?: Shard
  /** Set on a `gate merge` run: the shard runs it decided on. */
  merged?: {runs: Array<{id: string; shard: Shard}>}
  /** Set on a `gate check --against REF` run: the baseline measured side by side with this tree. */
  against?: AgainstRecord
}

/** The baseline of a `gate check --against REF` run, measured beside the candidate in alternating rounds. */
export interface AgainstRecord {
  /** As given: a git ref or a directory. */
  ref: string
  /** The commit the baseline was built from. */
  commit: string
  /** A temporary git worktree of REF, or the directory REF named. */
  checkout: 'worktree' | 'directory'
  /** Rounds asked for; targets with a relative expectation ran once per side in each. */
  rounds: number
  order: 'ABBA'
  /** Whose gate file started the baseline's services: REF's own copy, or the candidate's when REF has none. */
  services: 'ref' | 'candidate'
}

/**
 * A target's verdict as the results file keeps it: the engine's verdict, the machine's noise while it ran, and what
 * the gate file says about it.
 */
export type RecordedTarget = TargetVerdict & {
  /** Absent in files written before it was recorded, and for targets whose validator never ran. */
  noise?: MachineNoise
  /** Absent when the gate file gives the target no owner, notes, recommendation or risk. */
  narrative?: TargetNarrative
}

/** How likely or how harmful, as a gate file's `risk:` rates it. */
export type RiskLevel = 'low' | 'medium' | 'high'

/** What the gate file says about a target beyond its numbers: reports show it as written; it changes no verdict. */
export interface TargetNarrative {
  owner?: string
  notes?: string
  recommendation?: string
  /** The team's own judgement of the risk of missing the target. */
  risk?: {likelihood: RiskLevel; impact: RiskLevel; mitigation: string}
}

/** The target with its narrative beside it, when the gate file gives one. */
export function withNarrative<T extends object>(
  target: T,
  narrative: TargetNarrative | undefined,
): T & {narrative?: TargetNarrative} {
  return narrative ? {...target, narrative} : target
}

export const EVIDENCE_VERSION = 1

/** One target as collected on one runner, with what a merge needs beyond the engine's input. */
export type CollectedTarget = Omit<TargetInput, 'expectations'> & {
  /** As written in the gate file. */
  expectations: string[]
  /** HDR histograms of samples metrics (compressed base64, microseconds), by metric name. */
  histograms?: Record<string, string>
  /** Not run here: its validator cannot split its work, so it ran whole on shard 1 only. */
  skippedOnShard?: true
  /** The machine's noise while the validator ran on this runner. */
  noise?: MachineNoise
  /** What the gate file says about the target, carried so a merged run's reports show it too. */
  narrative?: TargetNarrative
}

/** The evidence of one run as collected, saved beside its results as .gate/runs/<id>.evidence.json for `gate merge`. */
export interface RunEvidence {
  version: typeof EVIDENCE_VERSION
  /** The run's id: its results are .gate/runs/<run>.json. */
  run: string
  gate: RunResults['gate']
  /** 1/1 for a run that was not sharded. */
  shard: Shard
  startedAt: string
  finishedAt: string
  interrupted: boolean
  warnings: string[]
  settings: DecisionSettings
  targets: CollectedTarget[]
}

/** "shard 2/3" */
export function shardLabel({count, index}: Shard): string {
  return `shard ${index}/${count}`
}
