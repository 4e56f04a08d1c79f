import {formatValue, grouped} from '../engine/units.js'
import type {LoadModel, LoadPlan, Stage} from './types.js'

/** Hard caps no plan can exceed, so a gate cannot load a system for hours or send billions of requests by accident. */
export const LOAD_LIMITS = {
  connections: 10_000,
  durationMs: 10 * 60_000,
  maxBodyBytes: 64 * 1024 ** 2,
  rate: 1_000_000,
  requests: 10_000_000,
  reservoirSize: 1_000_000,
  timeoutMs: 10 * 60_000,
} as const

export const LOAD_DEFAULTS = {
  connections: 10,
  durationMs: 10_000,
  maxBodyBytes: 1024 ** 2,
  reservoirSize: 10_000,
  seed: 1,
  timeoutMs: 10_000,
} as const

/** A plan the engine refuses: the message says which option and what is allowed. */
export class LoadPlanError extends Error {
  override name = 'LoadPlanError'
}

/** A stage with every level filled in. */
export interface PlannedStage {
  index: number
  model: LoadModel
  name?: string
  durationMs: number
  connections: number
  /** Open model: arrivals per second at the stage's end; 0 in the closed model. */
  rate: number
  rampFrom: number | null
}

export interface ResolvedPlan {
  model: LoadModel
  url: URL
  method: string
  headers: Record<string, string>
  body: Uint8Array | undefined
  isOk(status: number): boolean
  stages: PlannedStage[]
  plannedMs: number
  /** Requests the run may send: the plan's count or the cap. */
  requestBudget: number
  timeoutMs: number
  maxBodyBytes: number
  reservoirSize: number
  seed: number | string
}

/** Checks a plan against the caps and fills in defaults; throws LoadPlanError naming the first problem. */
export function resolvePlan(plan: LoadPlan): ResolvedPlan {
  const url = parseUrl(plan.url)
  const model: LoadModel =
    plan.rate !== undefined || plan.stages?.some((stage) => stage.rate !== undefined) ? 'open' : 'closed'
  const stages = resolveStages(plan, model)
  const plannedMs = stages.reduce((sum, stage) => sum + stage.durationMs, 0)
  if (plannedMs > LOAD_LIMITS.durationMs) {
    throw new LoadPlanError(
      `the run would last ${formatValue(plannedMs, 'duration')}, over the cap ` +
        `of ${formatValue(LOAD_LIMITS.durationMs, 'duration')}`,
    )
  }

  if (plan.requests !== undefined) checkCount('requests', plan.requests, 1, LOAD_LIMITS.requests)
  const intended = model === 'open' ? stages.reduce((sum, stage) => sum + arrivalsBy(stage, stage.durationMs), 0) : 0
  if (plan.requests === undefined && intended > LOAD_LIMITS.requests) {
    throw new LoadPlanError(
      `the rates and durations intend ${grouped(Math.round(intended))} requests, over the cap ` +
        `of ${grouped(LOAD_LIMITS.requests)}; set requests or lower the rate`,
    )
  }

  return {
    body: typeof plan.body === 'string' ? Buffer.from(plan.body) : plan.body,
    headers: {...plan.headers},
    isOk: statusCheck(plan.okStatus),
    maxBodyBytes: checkCount(
      'maxBodyBytes',
      plan.maxBodyBytes ?? LOAD_DEFAULTS.maxBodyBytes,
      0,
      LOAD_LIMITS.maxBodyBytes,
    ),
    method: (plan.method ?? 'GET').toUpperCase(),
    model,
    plannedMs,
    requestBudget: plan.requests ?? LOAD_LIMITS.requests,
    reservoirSize: checkCount(
      'reservoirSize',
      plan.reservoirSize ?? LOAD_DEFAULTS.reservoirSize,
      1,
      LOAD_LIMITS.reservoirSize,
    ),
    seed: plan.seed ?? LOAD_DEFAULTS.seed,
    stages,
    timeoutMs: checkNumber('timeoutMs', plan.timeoutMs ?? LOAD_DEFAULTS.timeoutMs, 1, LOAD_LIMITS.timeoutMs),
    url,
  }
}

function parseUrl(text: string): URL {
  if (!URL.canParse(text)) throw new LoadPlanError(`url ${JSON.stringify(text)} is not a URL`)
  const url = new URL(text)
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new LoadPlanError(`url ${JSON.stringify(text)} is not http or https`)
  return url
}

function resolveStages(plan: LoadPlan, model: LoadModel): PlannedStage[] {
  const stages: readonly Stage[] = plan.stages ?? [{durationMs: plan.durationMs ?? LOAD_DEFAULTS.durationMs}]
  if (stages.length === 0) throw new LoadPlanError('stages is empty; give at least one stage or leave it out')
  return stages.map((stage, index) => resolveStage(stage, index, plan, model))
}

function resolveStage(stage: Stage, index: number, plan: LoadPlan, model: LoadModel): PlannedStage {
  const label = plan.stages ? `stage ${index + 1}: ` : ''
  const connections = checkCount(
    `${label}connections`,
    stage.connections ?? plan.connections ?? LOAD_DEFAULTS.connections,
    1,
    LOAD_LIMITS.connections,
  )
  // The cap applies to the whole run, checked once the stages are summed.
  const durationMs = checkNumber(`${label}durationMs`, stage.durationMs, 1, Number.POSITIVE_INFINITY)
  const rate = model === 'open' ? (stage.rate ?? plan.rate) : 0
  if (rate === undefined)
    throw new LoadPlanError(`${label}has no rate, but other stages do: give every stage a rate, or the plan one`)
  checkNumber(`${label}rate`, rate, 0, LOAD_LIMITS.rate)
  const rampFrom = stage.rampFrom ?? null
  if (rampFrom !== null) {
    if (model === 'closed') checkCount(`${label}rampFrom`, rampFrom, 0, LOAD_LIMITS.connections)
    else checkNumber(`${label}rampFrom`, rampFrom, 0, LOAD_LIMITS.rate)
  }

  if (model === 'open' && rate === 0 && (rampFrom ?? 0) === 0)
    throw new LoadPlanError(`${label}rate is 0: the stage would send nothing`)
  return {
    connections,
    durationMs,
    index,
    model,
    rampFrom,
    rate,
    ...(stage.name === undefined ? {} : {name: stage.name}),
  }
}

/** A status check: the caller's list, or 2xx and 3xx. */
function statusCheck(okStatus: readonly number[] | undefined): (status: number) => boolean {
  if (okStatus === undefined) return (status) => status >= 200 && status < 400
  if (okStatus.length === 0) throw new LoadPlanError('okStatus is empty: no response could succeed')
  const accepted = new Set(okStatus)
  return (status) => accepted.has(status)
}

function checkNumber(name: string, value: number, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min)
    throw new LoadPlanError(`${name} is ${value}; it must be a number of at least ${min}`)
  if (value > max) throw new LoadPlanError(`${name} is ${grouped(value)}, over the cap of ${grouped(max)}`)
  return value
}

function checkCount(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value)) throw new LoadPlanError(`${name} is ${value}; it must be a whole number`)
  return checkNumber(name, value, min, max)
}

// The open model's schedule. A stage's rate moves linearly from r0 (rampFrom, or the rate) to r1
// (the rate) over its duration D, so arrivals by time t are N(t) = r0·t + (r1 − r0)·t² / 2D.

/** Intended arrivals in the first `ms` of a stage (fractional). */
export function arrivalsBy(stage: PlannedStage, ms: number): number {
  const t = Math.min(ms, stage.durationMs) / 1000
  const r0 = stage.rampFrom ?? stage.rate
  const slope = (stage.rate - r0) / (stage.durationMs / 1000)
  return r0 * t + (slope * t * t) / 2
}

/** Arrivals intended before `ms` into a stage: those numbered 0 … n−1 with an intended offset below ms. */
export function arrivalsBefore(stage: PlannedStage, ms: number): number {
  // The tolerance keeps an arrival exactly at `ms` (a float a hair off) from being counted.
  return Math.max(0, Math.ceil(arrivalsBy(stage, ms) - 1e-9))
}

/** When, in ms from the stage's start, arrival number `n` (0-based) is intended: the inverse of arrivalsBy. */
export function intendedOffset(stage: PlannedStage, n: number): number {
  const r0 = stage.rampFrom ?? stage.rate
  const slope = (stage.rate - r0) / (stage.durationMs / 1000)
  // Below a negligible slope the quadratic loses precision; the constant-rate formula is exact enough there.
  if (Math.abs(slope) < 1e-9) return r0 > 0 ? (n / r0) * 1000 : Number.POSITIVE_INFINITY
  const discriminant = r0 * r0 + 2 * slope * n
  if (discriminant < 0) return Number.POSITIVE_INFINITY
  return ((Math.sqrt(discriminant) - r0) / slope) * 1000
}

/** Virtual users (closed) or the concurrency cap (open) `ms` into a stage; a ramp moves it linearly. */
export function connectionsAt(stage: PlannedStage, ms: number): number {
  if (stage.model === 'open' || stage.rampFrom === null) return stage.connections
  const progress = Math.min(1, Math.max(0, ms / stage.durationMs))
  return Math.round(stage.rampFrom + (stage.connections - stage.rampFrom) * progress)
}
