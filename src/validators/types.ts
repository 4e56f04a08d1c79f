import type {Dimension, Evidence, EvidenceKind, MetricEvidence} from '../engine/types.js'

/** What a validator promises to report, so gates can be checked before anything runs. */
export interface MetricSpec {
  name: string
  dimension: Dimension
  type: MetricEvidence['type']
  description: string
}

export interface ProgressUpdate {
  /** Free text for the terminal, shown while the update carries no counts (completed/errors). */
  message?: string
  /** 0..1 when the validator knows how far it is. */
  fraction?: number
  /** Requests (or operations) done so far; the terminal derives the live rate from how it grows. */
  completed?: number
  /** How many of them failed so far. */
  errors?: number
  /** Requests (or operations) per second lately, when the validator measures it better than completed can tell. */
  rate?: number
}

// Services describe themselves; the plugin contract only passes that along.
import type {ServiceInfo} from '../services/types.js'

export type {ServiceInfo} from '../services/types.js'

/** This runner's share of a target's load: shard `index` (1-based) of `count` machines (`gate check --shard i/n`). */
export interface Shard {
  index: number
  count: number
}

export interface CollectContext {
  /** Aborted on timeout or Ctrl-C: stop work and return or throw promptly. */
  signal: AbortSignal
  log(message: string): void
  progress(update: ProgressUpdate): void
  services: Readonly<Record<string, ServiceInfo>>
  /** Directory of the gate file: relative paths in options resolve against it. */
  gateDir: string
  /**
   * Replaces the gate's secrets in text; apply it before cutting text a secret may cross (everything returned is
   * redacted anyway).
   */
  redact?(text: string): string
  seed: number
  target: {id: string; title: string}
  /** Set only for a shardable validator in a sharded run: do this share of the load (see shareOf). */
  shard?: Shard
  /**
   * Whether this evidence already decides the target (PASS or FAIL at the gate's confidence), for
   * validators that can stop early (`until: confident`); judged by the engine exactly as at the end.
   */
  decided?(evidence: Evidence): boolean
  /**
   * Keeps an HDR histogram (compressed base64, microseconds) of a samples metric beside the evidence, so `gate merge`
   * can add shards exactly.
   */
  keepHistogram?(metric: string, encoded: string): void
}

/** A validator plugin: collects evidence for one target. */
// One registry holds validators of every option type; ajv checks options against `options` before collect sees them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
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
  /**
   * Whether it connects to the hosts its options name, so the loopback guard applies; default: when its kind is
   * measured.
   */
  connects?: boolean
  /**
   * True when it can do a share of its work per shard (ctx.shard) and its counts and rates add up across shards;
   * otherwise it runs whole on shard 1 only.
   */
  shardable?: boolean
  collect(ctx: CollectContext, options: O): Promise<Evidence>
}

/**
 * Shard `shard`'s part of a whole `total`: equal parts, the remainder to the lowest shards, never below `min` (1 by
 * default).
 */
export function shareOf(total: number, shard: Shard, min = 1): number {
  const base = Math.floor(total / shard.count)
  return Math.max(min, base + (shard.index <= total % shard.count ? 1 : 0))
}

/** Identity helper that gives plugin authors type checking of their validator. */
export function defineValidator<O>(validator: Validator<O>): Validator<O> {
  return validator
}

/** What the `gate:validators` hook returns. */
export type ValidatorHookResult = Validator[]
