import type {Dimension, Evidence, EvidenceKind, MetricEvidence} from '../engine/types.js'

/** What a validator promises to report, so gates can be checked before anything runs. */
export interface MetricSpec {
  name: string
  dimension: Dimension
  type: MetricEvidence['type']
  description: string
}

export interface ProgressUpdate {
  message?: string
  /** 0..1 when the validator knows how far it is. */
  fraction?: number
}

export interface ServiceInfo {
  name: string
  url?: string
  pid?: number
}

export interface CollectContext {
  /** Aborted on timeout or Ctrl-C: stop work and return or throw promptly. */
  signal: AbortSignal
  log(message: string): void
  progress(update: ProgressUpdate): void
  services: Readonly<Record<string, ServiceInfo>>
  /** Directory of the gate file: relative paths in options resolve against it. */
  gateDir: string
  seed: number
  target: {id: string; title: string}
}

/** A validator plugin: collects evidence for one target. */
export interface Validator<O = any> {
  /** `validator:` in a gate file. */
  name: string
  description: string
  /** JSON Schema for `with:`; ajv checks it before anything runs. */
  options: Record<string, unknown>
  /** Metrics this validator reports; a function when they depend on the options (claim, artifact). */
  metrics: MetricSpec[] | ((options: O) => MetricSpec[])
  /** Kind of evidence it produces; default measured. */
  kind?: EvidenceKind
  collect(ctx: CollectContext, options: O): Promise<Evidence>
}

/** Identity helper that gives plugin authors type checking of their validator. */
export function defineValidator<O>(validator: Validator<O>): Validator<O> {
  return validator
}

/** What the `gate:validators` hook returns. */
export type ValidatorHookResult = Validator[]
