import type {Expectation} from '../engine/expectation.js'
import type {DecisionSettings} from '../engine/types.js'
import type {Redactor} from '../redact.js'
import type {TargetNarrative} from '../results/types.js'

// A place in a gate file lives with the errors that point at it; re-exported for the config modules.
import type {SourcePosition} from '../errors.js'

export type {SourcePosition} from '../errors.js'

/** Path of a node inside the gate document, e.g. ['targets', 0, 'expect', 1]. */
export type DocPath = Array<string | number>

export interface ServiceConfig {
  name: string
  /** Shell command line, run in its own process group with cwd = gate's project root. */
  command: string
  cwd: string
  env: Record<string, string>
  ready: {log?: string; http?: string; timeoutMs: number}
  /** Grace time between SIGTERM and SIGKILL when stopping. */
  stopTimeoutMs: number
}

export interface TargetConfig {
  id: string
  title: string
  validator: string
  /** The validator's options after ${env.*} and ${gate.dir} interpolation; ${services.*} stays until services run. */
  with: Record<string, unknown>
  /** Parsed here, once: the checks have already found any that does not parse. */
  expect: Expectation[]
  weight: number
  required: boolean
  level: 'error' | 'warn'
  timeoutMs: number
  /** Optional lower evidence quality (never above the kind's default). */
  quality?: number
  /** May send traffic outside the loopback range (`allow_remote: true`). */
  allowRemote: boolean
  /** Index in `targets`, so later steps can point at this target's lines. */
  index: number
  /** Owner, notes, recommendation and risk as the gate file gives them; absent when it gives none. */
  narrative?: TargetNarrative
}

export interface GateConfig {
  version: 1
  name: string
  title: string
  /** Absolute path of the gate file. */
  file: string
  /** Directory the gate's relative paths resolve against (${gate.dir}). */
  dir: string
  /** Project root: the directory that holds gates/ (parent of dir when dir is named gates), else dir. */
  root: string
  sha256: string
  /** Value of every declared argument that has one (given with --arg or defaulted). */
  args: Record<string, string>
  /** Names of the environment variables whose values are redacted (`secrets:`). */
  secrets: string[]
  /** Redacts those values (as set when the gate was loaded) and URL passwords from whatever the run shows. */
  redactor: Redactor
  decision: DecisionSettings
  defaults: {timeoutMs: number}
  /** How to build a checkout before its services start (`build:`); only `gate check --against` runs it. */
  build?: {command: string; timeoutMs: number}
  services: ServiceConfig[]
  targets: TargetConfig[]
  /** Conditions for the next gate (`next_phase:`); empty when the file names none. */
  nextPhase: string[]
  /** Position in the file of any node, for errors raised after loading (unknown validator, bad `with:`). */
  locate(path: DocPath): SourcePosition
}
