import type {TargetConfig} from '../config/types.js'
import {formatValue, grouped} from '../engine/units.js'
import type {TargetInput} from '../engine/types.js'
import type {ProgressUpdate} from '../validators/types.js'

export type CollectOutcome = TargetInput['collected']

/** Marks shared by the plain lines and listr2's icons, so CI logs and terminals read alike. */
export const MARK = {collected: '✔', noData: '✖', started: '▶'} as const

/** Below this a fraction says too little to estimate the planned time from. */
const MIN_FRACTION = 0.01

/** "[2/5] api-latency (http)": which target, where in the run, measured by what. */
export function targetLabel(target: Pick<TargetConfig, 'id' | 'validator'>, index: number, total: number): string {
  return `[${index + 1}/${total}] ${target.id} (${target.validator})`
}

/** A stopwatch reading: "4.1 s", "2 min 05 s"; tenths only under a minute, where they still move visibly. */
export function clock(ms: number): string {
  if (ms < 60_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`
  const seconds = Math.floor(ms / 1000)
  return `${Math.floor(seconds / 60)} min ${String(seconds % 60).padStart(2, '0')} s`
}

/** Requests per second as people read them: "1,234", "12.5", "0.8". */
export function formatRate(rate: number): string {
  return grouped(rate, rate < 100 ? 1 : 0)
}

export interface RunningState {
  elapsedMs: number
  /** From the validator's fraction (elapsed / fraction), when it gave one. */
  plannedMs?: number
  /** The target's timeout: the most it can take when nothing tells how long it plans to. */
  timeoutMs: number
  rate?: number
  errors?: number
  message?: string
}

/**
 * "running 4.1 s of 10.0 s · 1,234 req/s · 0 errors"; counts replace the free-text message when the validator sends
 * them.
 */
export function runningText(state: RunningState): string {
  const parts = [
    state.plannedMs === undefined
      ? `running ${clock(state.elapsedMs)}, timeout ${formatValue(state.timeoutMs, 'duration')}`
      : `running ${clock(state.elapsedMs)} of ${clock(state.plannedMs)}`,
  ]
  if (state.rate !== undefined) parts.push(`${formatRate(state.rate)} req/s`)
  if (state.errors !== undefined) parts.push(`${grouped(state.errors)} ${state.errors === 1 ? 'error' : 'errors'}`)
  if (state.rate === undefined && state.errors === undefined && state.message) parts.push(state.message)
  return parts.join(' · ')
}

/** "collected in 10 s (measured)" or "no data after 2.1 s: <reason>". */
export function finishedText(outcome: CollectOutcome, elapsedMs: number): string {
  const took = formatValue(elapsedMs, 'duration')
  return 'evidence' in outcome
    ? `collected in ${took} (${outcome.evidence.kind})`
    : `no data after ${took}: ${outcome.noData}`
}

/**
 * The running target as the terminal shows it: the latest update, the planned time as last estimated,
 * and the live rate from how `completed` grew between updates (unless the validator measures its own).
 */
export class RunningTarget {
  private update: ProgressUpdate = {}
  private plannedMs: number | undefined
  private rate: number | undefined
  private last = {completed: 0, elapsedMs: 0}

  constructor(
    readonly target: TargetConfig,
    readonly label: string,
  ) {}

  observe(update: ProgressUpdate, elapsedMs: number): void {
    this.update = update
    // Estimated once per update, so the planned time does not creep up between updates.
    if (update.fraction !== undefined && update.fraction >= MIN_FRACTION)
      this.plannedMs = elapsedMs / Math.min(1, update.fraction)
    if (update.rate !== undefined) this.rate = update.rate
    else if (update.completed !== undefined && elapsedMs > this.last.elapsedMs) {
      this.rate = Math.max(0, update.completed - this.last.completed) / ((elapsedMs - this.last.elapsedMs) / 1000)
      this.last = {completed: update.completed, elapsedMs}
    }
  }

  /** The whole title line at this moment. */
  title(elapsedMs: number): string {
    const {errors, message} = this.update
    const {plannedMs, rate, target} = this
    return `${this.label} · ${runningText({elapsedMs, errors, message, plannedMs, rate, timeoutMs: target.timeoutMs})}`
  }
}
