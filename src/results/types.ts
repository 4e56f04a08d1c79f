import type {Decision, DecisionSettings, TargetVerdict} from '../engine/types.js'

export const RESULTS_SCHEMA_ID = 'https://phasegate.dev/schemas/results-v1.json'
export const RESULTS_VERSION = 1

/** The versioned results file: the public contract every report and later command reads. */
export interface RunResults {
  $schema: string
  version: 1
  /** "<gate>-<UTC timestamp>", also the file name under .gate/runs/. */
  id: string
  tool: {name: 'phasegate'; version: string}
  /** `args`: the gate arguments this run used (--arg or defaults), passwords in URLs masked. */
  gate: {name: string; title: string; file: string; sha256: string; args?: Record<string, string>}
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
  targets: TargetVerdict[]
  consensus: number
  decision: Decision
  /** True when SIGINT/SIGTERM cut the run short; the decision then covers what was measured. */
  interrupted: boolean
  warnings: string[]
}
