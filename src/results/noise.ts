// The machine's noise while one target ran (scoring.md §6), and the rule that calls a machine busy.
// Pure: figures in, a record out; src/results/noise-watch.ts measures the figures.
import type {EvidenceKind} from '../engine/types.js'

/**
 * Runnable tasks beyond one per core wait for a CPU, so timings stretch; judged only where others' CPU cannot be read.
 */
export const BUSY_LOAD_PER_CORE = 1
/**
 * Processes outside the run using half a core or more take CPU the system under test and the gate would have had.
 * The load average cannot tell them apart: a load test on its own machine keeps it above the core count by itself.
 */
export const BUSY_OTHERS_CORES = 0.5
/** A VM losing over a tenth of its CPU time to its neighbours measures them as much as the system under test. */
export const BUSY_STEAL_SHARE = 0.1
/**
 * Node runs JS on one thread: near a full core the gate itself, not the system, limits the load and delays the timings.
 */
export const BUSY_GENERATOR_CPU = 0.9
/** A shorter window's CPU share is start-up bookkeeping, not saturation: it is recorded but never flags a target. */
export const MIN_GENERATOR_WINDOW_MS = 100

/** What was measured around one target's collection. */
export interface NoiseFigures {
  /** How long the window lasted. */
  windowMs: number
  /** The 1-minute load average, the larger of its values at the start and the end of the window. */
  loadAverage: number
  /** CPUs this process may use (os.availableParallelism). */
  cores: number
  /**
   * CPU that processes outside this run (not the gate, its services or commands) used over the window, in cores; null
   * without /proc, absent in older files.
   */
  othersCpu?: number | null
  /** CPU steal / all CPU time over the window, from /proc/stat; null where there is no /proc/stat or no tick passed. */
  stealShare: number | null
  /** The gate process's CPU time (user + system) / wall time over the window: 1.0 is one core fully busy. */
  generatorCpu: number
  /** 99th percentile of the gate's event-loop delay over the window; null when nothing was sampled. */
  eventLoopDelayP99Ms: number | null
}

/** The noise record a results file keeps per target. */
export interface MachineNoise extends NoiseFigures {
  /** True when a measured target ran on a machine busy enough to move its timings. */
  busy: boolean
  /** Each reason it is busy, with its figure ("load 3.4 on 2 cores"); empty when it is not. */
  reasons: string[]
}

/**
 * The busy rule: load above the core count, steal over 10%, or the gate's own CPU near a core; only measured evidence
 * is flagged.
 */
export function judgeNoise(figures: NoiseFigures, kind: EvidenceKind): MachineNoise {
  const {cores, generatorCpu, loadAverage, othersCpu, stealShare, windowMs} = figures
  const said = noisePhrases(figures)
  const crowded =
    othersCpu === null || othersCpu === undefined
      ? loadAverage > cores * BUSY_LOAD_PER_CORE
      : othersCpu >= BUSY_OTHERS_CORES
  const reasons =
    kind === 'measured'
      ? [
          ...(crowded ? [said.load] : []),
          ...(stealShare !== null && stealShare > BUSY_STEAL_SHARE ? [said.steal] : []),
          ...(windowMs >= MIN_GENERATOR_WINDOW_MS && generatorCpu >= BUSY_GENERATOR_CPU ? [said.generator] : []),
        ]
      : []
  return {...figures, busy: reasons.length > 0, reasons}
}

/**
 * Each figure as reports and reasons say it: "load 3.4 on 2 cores", "CPU steal 12%", "gate CPU 0.97, event-loop delay
 * p99 41 ms".
 */
export function noisePhrases(figures: NoiseFigures): {load: string; steal: string; generator: string} {
  const {cores, eventLoopDelayP99Ms, generatorCpu, loadAverage, othersCpu, stealShare} = figures
  const delay = eventLoopDelayP99Ms === null ? '' : `, event-loop delay p99 ${eventLoopDelayP99Ms.toFixed(0)} ms`
  const others =
    othersCpu === null || othersCpu === undefined ? '' : `, ${othersCpu.toFixed(1)} of them other processes'`
  return {
    generator: `gate CPU ${generatorCpu.toFixed(2)}${delay}`,
    load: `load ${loadAverage.toFixed(1)} on ${cores} ${cores === 1 ? 'core' : 'cores'}${others}`,
    steal: `CPU steal ${stealShare === null ? 'unknown' : `${(stealShare * 100).toFixed(0)}%`}`,
  }
}

/** A verdict with its noise record beside it, when its validator ran. */
export function withNoise<T extends object>(verdict: T, noise: MachineNoise | undefined): T & {noise?: MachineNoise} {
  return noise ? {...verdict, noise} : verdict
}

/**
 * Of one target's records on several runners (a merge), the one that says most against its timings: busy first, then
 * the highest load per core.
 */
export function noisiest(records: readonly MachineNoise[]): MachineNoise | undefined {
  const rank = (noise: MachineNoise) =>
    [Number(noise.busy), (noise.othersCpu ?? noise.loadAverage) / Math.max(1, noise.cores)] as const
  return records.reduce<MachineNoise | undefined>((worst, next) => {
    if (!worst) return next
    const [busy, load] = rank(next)
    const [worstBusy, worstLoad] = rank(worst)
    return busy > worstBusy || (busy === worstBusy && load > worstLoad) ? next : worst
  }, undefined)
}
