// Times the module against its twin: warmup, then rounds of paired batches in alternating order.
import type {SampleReservoir} from 'phasegate'

import {describeError, describeValue} from './outputs.js'
import type {Operation} from './subjects.js'

/** Calls faster than this are timed in groups, so reading the clock stays a small share of what is measured. */
export const MIN_TIMED_MS = 0.01
/** Warmup batches grow until one takes about this long. */
const WARMUP_CHUNK_MS = 10

export interface TimingPlan {
  warmupMs: number
  rounds: number
  /** Calls per batch, the same inputs for both sides within a round. */
  batch: number
  /** Rounds stop starting once this much time has gone. */
  budgetMs: number
}

/** One side of the comparison. */
export class Side {
  /** Consecutive calls timed together; 1 = each call timed on its own. */
  group = 1
  /**
   * Mean per-op time of each warmup batch, ms; their median sizes the groups, unmoved by a batch the machine
   * interrupted.
   */
  readonly warmOpMs: number[] = []

  constructor(
    readonly name: 'js' | 'wasm',
    readonly operation: Operation,
    /** Per-operation times, ms: each call's, or its group's time divided by the group's calls. */
    readonly opMs: SampleReservoir,
  ) {}
}

export interface Timing {
  /** One per round: js batch time / wasm batch time, same inputs. */
  speedups: number[]
  /** Rounds cut short by the budget. */
  stoppedEarly: boolean
  warmupMs: number
  /** From the first timed batch to the end of the last. */
  elapsedMs: number
}

export interface TimingHooks {
  /** Yields to the event loop and throws once the target is aborted; called between batches. */
  checkpoint(): Promise<void>
  round(done: number, speedup: number, elapsedMs: number): void
  /** Median by the engine's quantile (api.quantileSorted), NaN for no values. */
  median(values: readonly number[]): number
}

/** The last output of a timed call: kept where the JIT cannot prove it unused, so no call is optimised away. */
export let lastOutput: unknown

export async function timeSides(
  wasm: Side,
  js: Side,
  inputs: unknown[][],
  plan: TimingPlan,
  hooks: TimingHooks,
): Promise<Timing> {
  const warmupMs = await warmUp([wasm, js], inputs, plan, hooks)
  for (const side of [wasm, js])
    side.group = Math.max(1, Math.min(plan.batch, Math.ceil(MIN_TIMED_MS / hooks.median(side.warmOpMs))))
  const speedups: number[] = []
  const started = performance.now()
  let stoppedEarly = false
  for (let round = 0; round < plan.rounds; round++) {
    if (round > 0 && performance.now() - started >= plan.budgetMs) {
      stoppedEarly = true
      break
    }

    const start = (round * plan.batch) % inputs.length
    // wasm, js, then js, wasm: neither side always runs first, so both see the same machine state on average.
    const order = round % 2 === 0 ? [wasm, js] : [js, wasm]
    const ms = new Map<Side, number>()
    for (const side of order) {
      await hooks.checkpoint()
      ms.set(side, runBatch(side, inputs, start, plan.batch, true))
    }

    const wasmMs = ms.get(wasm)!
    const jsMs = ms.get(js)!
    if (wasmMs <= 0 || jsMs <= 0) throw new Error(`batch: ${plan.batch} calls took no measurable time; raise batch`)
    speedups.push(jsMs / wasmMs)
    hooks.round(round + 1, jsMs / wasmMs, performance.now() - started)
  }

  return {elapsedMs: performance.now() - started, speedups, stoppedEarly, warmupMs}
}

/**
 * Runs both sides in alternation for the warmup, in batches that grow to about WARMUP_CHUNK_MS; at least one batch
 * each.
 */
async function warmUp(sides: Side[], inputs: unknown[][], plan: TimingPlan, hooks: TimingHooks): Promise<number> {
  const started = performance.now()
  const chunk = new Map(sides.map((side) => [side, 1]))
  let start = 0
  do {
    let advance = 1
    for (const side of sides) {
      await hooks.checkpoint()
      const calls = chunk.get(side)!
      const ms = runBatch(side, inputs, start, calls, false)
      side.warmOpMs.push(ms / calls)
      advance = Math.max(advance, calls)
      chunk.set(side, Math.max(1, Math.min(plan.batch, ms > 0 ? Math.ceil((calls * WARMUP_CHUNK_MS) / ms) : calls * 2)))
    }

    // On through the inputs, so every kind of input is warm, not only the first few.
    start = (start + advance) % inputs.length
  } while (performance.now() - started < plan.warmupMs)
  return performance.now() - started
}

/**
 * Calls the side's operation `count` times on the inputs from `start` (wrapping), reading the clock
 * once per group of calls: the batch time is the last reading minus the first, and with `record`
 * each group adds its time divided by its calls to the side's per-op samples.
 */
function runBatch(side: Side, inputs: unknown[][], start: number, count: number, record: boolean): number {
  const {group, operation} = side
  let index = start % inputs.length
  let inGroup = 0
  const first = performance.now()
  let mark = first
  for (let call = 0; call < count; call++) {
    const args = inputs[index]!
    try {
      lastOutput = operation(...args)
    } catch (error) {
      throw new Error(
        `${side.name} threw while being timed on input ` +
          `#${index + 1} ${describeValue(args)}: ${describeError(error)} (it did not when its outputs were checked)`,
        {cause: error},
      )
    }

    if (++index === inputs.length) index = 0
    if (++inGroup === group || call === count - 1) {
      const now = performance.now()
      if (record) side.opMs.add((now - mark) / inGroup)
      mark = now
      inGroup = 0
    }
  }

  return mark - first
}
