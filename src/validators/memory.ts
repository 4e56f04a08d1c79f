// Memory growth of a command's runs (or of a gate service while they run): RSS read at each instance
// mark, or over time, and a line fitted through it after a warm-up. Its slope is the memory each
// instance (or second) keeps. A leak is growth beyond doubt that keeps on: the slope's 95% interval
// lies above a tolerance, and the memory rose by more than it from each quarter of the run to the next.
import {setTimeout as sleep} from 'node:timers/promises'

import {blockMedians, fitLine, type LineFit, type Point} from '../engine/regression.js'
import type {MetricEvidence} from '../engine/types.js'
import {formatValue, parseQuantity} from '../engine/units.js'
import type {ProcessTree} from './peak-rss.js'
import {durationOption, readDuration} from './schema.js'
import type {MetricSpec, ServiceInfo} from './types.js'

export interface MemoryOptions {
  /** A regular expression: each stdout line matching it is one more instance. */
  mark?: string
  /** Read memory this often instead (a duration). */
  every?: string
  /** Share of each run's points left out of the fit, from the start. */
  warmup?: number
  /** Read this gate service's process tree instead of the command's. */
  service?: string
  /** Growth per instance (or second) not called a leak: a size, "4KiB" or bytes. */
  tolerance?: number | string
}

/** How a run's memory is read: at each mark line, or on a clock. */
export type Sampling = ({mark: RegExp} | {everyMs: number}) & {
  warmup: number
  /** Bytes per instance (or second). */
  tolerance: number
}

const DEFAULT_EVERY = '100ms'
const DEFAULT_WARMUP = 0.2
/** One memory page: RSS moves in pages, and allocators creep by a few of them whatever the program does. */
const DEFAULT_TOLERANCE = '4KiB'
/** Growth must show from each of these consecutive parts of a run to the next to be a leak. */
const BLOCKS = 4
/** Fewer points after the warm-up cannot show a slope, nor a level per block. */
const MIN_POINTS = 2 * BLOCKS
const MIN_EVERY_MS = 10
/** Runs described one by one in the notes; the rest are summed up. */
const DESCRIBED_RUNS = 5

export const memorySchema = {
  additionalProperties: false,
  description:
    'Sample resident memory (RSS) of the process tree during each run and fit a line through it: with mark, at each ' +
    'stdout line that marks a new instance (memory_per_instance); otherwise over time (memory_per_second). leak ' +
    'counts runs whose memory kept growing by more than the tolerance.',
  properties: {
    every: durationOption(`Without mark: how often to read memory (default ${DEFAULT_EVERY}).`),
    mark: {
      description:
        'Regular expression for the stdout line a run prints after creating each instance, e.g. "^instance ' +
        "(?<n>\\d+)\" (in YAML single quotes: '^instance (?<n>\\d+)'). A group n gives the instance number " +
        '(default: lines counted); a group rss the memory the process reports itself, in bytes or with a unit ' +
        '("59.8MB"), instead of reading /proc.',
      minLength: 1,
      type: 'string',
    },
    service: {
      description:
        "Name of a gate service whose process tree to read instead of the command's: memory of a server while the " +
        'command drives it.',
      minLength: 1,
      type: 'string',
    },
    tolerance: {
      default: DEFAULT_TOLERANCE,
      description:
        `Growth per instance (or per second) that is not a leak ` +
        `(default ${DEFAULT_TOLERANCE}, one memory page). RSS cannot tell a leak from garbage not yet collected, so ` +
        `a server that is not made to collect may need more, e.g. 64KB.`,
      type: ['string', 'number'],
    },
    warmup: {
      default: DEFAULT_WARMUP,
      description:
        "Share of each run's points, from the start, left out of the fit while heaps and caches settle (0 to 0.9).",
      maximum: 0.9,
      minimum: 0,
      type: 'number',
    },
  },
  type: 'object',
} as const

/**
 * The metrics memory sampling adds: memory_per_instance with mark, memory_per_second without, and
 * leak. Listed whatever the options, so `gate validators` shows them; a target that asks for one its
 * options do not produce gets NO_DATA naming the metrics it has.
 */
export const MEMORY_METRICS: MetricSpec[] = (['instance', 'second'] as const)
  .map((per): MetricSpec => ({
    description:
      `With memory${per === 'instance' ? '.mark' : ' and no mark'}: memory kept per ${per} (bytes), the ` +
      `least-squares slope of the process tree's RSS against ${
        per === 'instance' ? 'the instance ' + 'number' : 'time in seconds'
      }, one sample per successful run, fitted after the warm-up share of its readings. Each run's 95% interval ` +
      `(Student t, widened for serially correlated readings), r² and RSS by quarter are in the notes; a slope below ` +
      `zero counts as 0.`,
    dimension: 'size',
    name: `memory_per_${per}`,
    type: 'samples',
  }))
  .concat({
    description:
      `With memory: runs that leaked. After the warm-up, a run leaks when its slope's 95% interval lies ` +
      `wholly above memory.tolerance (default ${DEFAULT_TOLERANCE}; when the readings allow an interval) and its ` +
      `median RSS rose by more than the tolerance from each quarter of its readings to the next — so one jump is ` +
      `not a leak. 0 = no leak detected; left out when no run had enough readings to tell.`,
    dimension: 'count',
    name: 'leak',
    type: 'value',
  })

/** The sampling the options ask for; throws with the option named when they do not fit together. */
export function samplingOf(options: MemoryOptions): Sampling {
  if (options.mark !== undefined && options.every !== undefined) {
    throw new Error('memory: give mark (read at each instance) or every (read over time), not both')
  }

  const tolerance = bytesOf(String(options.tolerance ?? DEFAULT_TOLERANCE))
  if (tolerance === undefined)
    throw new Error(`memory.tolerance is "${options.tolerance}"; write a size such as 4KiB, 64KB or 1MB`)
  const fit = {tolerance, warmup: options.warmup ?? DEFAULT_WARMUP}
  if (options.mark !== undefined) {
    try {
      return {...fit, mark: new RegExp(options.mark)}
    } catch (error) {
      throw new Error(`memory.mark is not a valid regular expression: ${(error as Error).message}`, {cause: error})
    }
  }

  const everyMs = readDuration(options.every ?? DEFAULT_EVERY, 'memory.every')
  if (everyMs < MIN_EVERY_MS)
    throw new Error(`memory.every is ${formatValue(everyMs, 'duration')}; read at most every ${MIN_EVERY_MS} ms`)
  return {...fit, everyMs}
}

/** The service whose tree to read, or throws naming the services the gate has. */
export function servicePid(name: string, services: Readonly<Record<string, ServiceInfo>>): number {
  const service = services[name]
  const known = Object.keys(services)
  if (!service)
    throw new Error(
      `memory.service: no service "${name}" in this gate ` +
        `(${known.length > 0 ? `it has ${known.join(', ')}` : 'it starts none'})`,
    )
  if (service.pid === undefined)
    throw new Error(`memory.service: service "${name}" has no process id to read memory from`)
  return service.pid
}

/** Memory of one run: a point per mark line or per tick, read the moment it happens. */
export class MemorySeries {
  readonly points: Point[] = []
  /** Marks seen when no process of the tree was left to read. */
  unread = 0
  /** Marks not read because a later mark had been printed by the time they arrived: the tree had moved on. */
  superseded = 0
  private marks = 0
  /** The newest mark of the lines arrived together, read once they are all in. */
  private pending: number | undefined
  private readonly started = performance.now()
  private running = true
  private readonly ticking: Promise<void>

  constructor(
    private readonly tree: Pick<ProcessTree, 'read'>,
    private readonly sampling: Sampling,
  ) {
    this.ticking = 'everyMs' in sampling ? this.tick(sampling.everyMs) : Promise.resolve()
  }

  /** A line the run printed: a point when it matches the mark. */
  line(text: string): void {
    if (!('mark' in this.sampling)) return
    const match = this.sampling.mark.exec(text)
    if (!match) return
    this.marks++
    const counted = Number(match.groups?.n)
    const x = Number.isFinite(counted) ? counted : this.marks
    const reported = match.groups?.rss
    if (reported !== undefined) {
      // Memory the process reported at its mark belongs to that mark however late the line arrives.
      this.record(x, bytesOf(reported))
      return
    }

    // Lines that arrive together (this reader was held up while the run went on) are read once, for the newest: read
    // for an older mark, the tree already holds the instances after it (early in a run that flattened 1 MiB to 0.69).
    if (this.pending === undefined) queueMicrotask(() => this.readPending())
    else this.superseded++
    this.pending = x
  }

  /** Stops the clock; the points are final. */
  async stop(): Promise<void> {
    this.running = false
    await this.ticking
  }

  private readPending(): void {
    const x = this.pending!
    this.pending = undefined
    this.record(x, this.tree.read()?.rss)
  }

  /** A mark's point, or one more unread mark when there was no memory to read. */
  private record(x: number, rss: number | undefined): void {
    if (rss === undefined) this.unread++
    else this.points.push([x, rss])
  }

  private async tick(everyMs: number): Promise<void> {
    while (this.running) {
      const memory = this.tree.read()
      if (memory) this.points.push([(performance.now() - this.started) / 1000, memory.rss])
      await sleep(everyMs)
    }
  }
}

/** "123456", "59.8MB", "12 MiB" as bytes; undefined for anything else. */
function bytesOf(text: string): number | undefined {
  const quantity = parseQuantity(text)
  if (!quantity || !(quantity.dimension === null || quantity.dimension === 'size') || !(quantity.value >= 0))
    return undefined
  return quantity.value
}

/** What one run's memory says once the warm-up is left out. */
export interface RunGrowth {
  run: number
  fit: LineFit
  /** Median x and RSS of each quarter of the fitted points. */
  quarters: Point[]
  skipped: number
  leak: boolean
}

/** Fits the run's points after the warm-up share; a string says why it cannot. */
export function growthOf(
  run: number,
  points: readonly Point[],
  {tolerance, warmup}: Pick<Sampling, 'tolerance' | 'warmup'>,
): RunGrowth | string {
  const skipped = Math.ceil(points.length * warmup)
  const kept = points.slice(skipped)
  if (kept.length < MIN_POINTS) {
    return (
      `run ${run}: ${points.length} memory reading${points.length === 1 ? '' : 's'}, ${kept.length} after the ` +
      `warm-up; a slope needs at least ${MIN_POINTS}`
    )
  }

  const fit = fitLine(kept, {serial: true})
  const quarters = blockMedians(kept, BLOCKS)
  // A leak keeps growing: one jump (a heap resized, a free returned late) raises one quarter, not each.
  const growing = quarters.every(
    ([x, y], i) => i === 0 || y - quarters[i - 1]![1] > tolerance * (x - quarters[i - 1]![0]),
  )
  // Readings too few or too correlated for an interval leave the decision to the quarters.
  const sure = fit.slopeInterval === null || fit.slopeInterval[0] > tolerance
  return {fit, leak: growing && sure, quarters, run, skipped}
}

/** memory_per_instance (or _second) samples, the leak count and a note per run. */
export function memoryEvidence(
  growths: readonly RunGrowth[],
  problems: readonly string[],
  sampling: Sampling,
): {metrics: Record<string, MetricEvidence>; notes: string[]} {
  const per = 'mark' in sampling ? 'instance' : 'second'
  const metrics: Record<string, MetricEvidence> = {}
  // No fitted run means no evidence about leaks at all: leak is left out, never reported as 0.
  if (growths.length > 0) {
    // A size cannot be negative: memory that shrank kept nothing per instance (the note gives the real slope).
    metrics[`memory_per_${per}`] = {
      dimension: 'size',
      samples: growths.map(({fit}) => Math.max(0, fit.slope)),
      type: 'samples',
    }
    metrics.leak = {dimension: 'count', type: 'value', value: growths.filter(({leak}) => leak).length}
  }

  const notes = growths.slice(0, DESCRIBED_RUNS).map((growth) => describeGrowth(growth, per))
  if (growths.length > DESCRIBED_RUNS) {
    const leaking = growths.slice(DESCRIBED_RUNS).filter(({leak}) => leak).length
    notes.push(`…and ${growths.length - DESCRIBED_RUNS} more runs, ${leaking} of them leaking`)
  }
  notes.push(...problems)
  return {metrics, notes}
}

/**
 * "memory run 1: +1 MiB per instance (95% interval 1,000 KiB to 1.02 MiB, r² 1.00) over instances 21–100 (80 readings),
 * by quarter 80 → 100 → 121 → 141 MiB: leak"
 */
function describeGrowth({fit, leak, quarters, run}: RunGrowth, per: 'instance' | 'second'): string {
  const size = (bytes: number): string => formatValue(bytes, 'size')
  const signed = (bytes: number): string => `${bytes >= 0 ? '+' : '−'}${size(Math.abs(bytes))}`
  const interval = fit.slopeInterval
    ? `95% interval ${size(fit.slopeInterval[0])} to ${size(fit.slopeInterval[1])}`
    : 'too few independent readings for an interval'
  const r2 = Number.isNaN(fit.rSquared) ? 'flat' : `r² ${fit.rSquared.toFixed(2)}`
  const [from, to] = fit.xRange
  const span = per === 'instance' ? `instances ${from}–${to}` : `${from.toFixed(1)}–${to.toFixed(1)} s`
  const verdict = leak ? 'leak' : fit.slope < 0 ? 'no leak detected; memory fell, counted as 0 B' : 'no leak detected'
  const levels = quarters.map(([, y]) => (y / 1024 ** 2).toFixed(1)).join(' → ')
  return (
    `memory run ${run}: ${signed(fit.slope)} per ${per} (${interval}, ${r2}) over ${span} (${fit.n} readings), ` +
    `RSS by quarter ${levels} MiB: ${verdict}`
  )
}
