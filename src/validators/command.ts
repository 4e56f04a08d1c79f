import path from 'node:path'

import type {MetricEvidence} from '../engine/types.js'
import {formatValue, parseQuantity, UNITS} from '../engine/units.js'
import {LogTail} from '../services/log-tail.js'
import {describeExit, type ExitStatus, ProcessGroup} from '../services/process-group.js'
import {
  growthOf,
  MEMORY_METRICS,
  memoryEvidence,
  type MemoryOptions,
  memorySchema,
  MemorySeries,
  type RunGrowth,
  type Sampling,
  samplingOf,
  servicePid,
} from './memory.js'
import {PeakRssSampler, ProcessTree, RSS_SUPPORTED} from './peak-rss.js'
import {MAX_TIMER_MS} from './runner.js'
import {durationOption, METRIC_NAME_PATTERN, readDuration, UNIT_NAMES} from './schema.js'
import {defineValidator, type MetricSpec, type ServiceInfo} from './types.js'

export interface CommandOptions {
  run: string
  runs: number
  warmup: number
  cwd?: string
  env?: Record<string, string>
  timeout: string
  memory?: MemoryOptions
  printed?: Record<string, PrintedMetric>
}

/** A number each run prints: every stdout line matching `line` is one sample of it. */
export interface PrintedMetric {
  line: string
  unit?: string
}

/** Failed runs described one by one in the notes; the rest are counted. */
const DESCRIBED_FAILURES = 3
const STDERR_LINES = 5

interface RunResult {
  wallMs: number
  status: ExitStatus
  timedOut: boolean
  peakRss: number | undefined
  stderr: string[]
  memory: MemorySeries | undefined
  /** Per printed metric, the values this run's lines held. */
  printed: Map<string, number[]>
}

/** How each run's memory growth is read: the sampling, and the service's tree when it is not the run's own. */
interface MemoryPlan {
  sampling: Sampling
  service: ProcessTree | undefined
}

const METRICS: MetricSpec[] = [
  {
    description: 'Wall time of each successful run, from spawn to exit.',
    dimension: 'duration',
    name: 'duration',
    type: 'samples',
  },
  {
    description:
      "Peak resident memory of each successful run's whole process tree, polled from /proc every 10 ms: a lower " +
      'bound, since very short-lived children may be missed. Linux only.',
    dimension: 'size',
    name: 'rss',
    type: 'samples',
  },
  {
    description: 'Measured runs that exited non-zero, were killed or timed out.',
    dimension: 'count',
    name: 'failures',
    type: 'value',
  },
]

export const command = defineValidator<CommandOptions>({
  name: 'command',
  description:
    'Runs a shell command several times and measures its wall time, peak memory and failures; with memory, how its ' +
    "memory (or a service's) grows per instance it creates or per second, and whether that is a leak; with printed, " +
    'the numbers each run prints about its own work (the time of each step, a ratio it measured) as samples.',
  kind: 'measured',
  options: {
    additionalProperties: false,
    properties: {
      cwd: {
        description: "Working directory, relative to the gate file's directory (default: that directory).",
        type: 'string',
      },
      env: {
        additionalProperties: {description: 'Quote numbers and booleans: "1", "true".', type: 'string'},
        description: 'Environment variables added to the inherited ones.',
        type: 'object',
      },
      memory: memorySchema,
      printed: {
        additionalProperties: {
          additionalProperties: false,
          properties: {
            line: {
              description:
                'Regular expression for the stdout line that holds one value, in a group named value, ' +
                "e.g. '^create took (?<value>[\\d.]+) ms$'. The value may carry its unit (12.5ms).",
              minLength: 1,
              type: 'string',
            },
            unit: {
              description: "The metric's unit (ms, MB, x…), also of values printed without one; none: a count.",
              enum: UNIT_NAMES,
              type: 'string',
            },
          },
          required: ['line'],
          type: 'object',
        },
        description:
          'Numbers each run prints about its own work (the time of each step, a ratio it measured), ' +
          'by metric name: each stdout line that matches is one sample of that metric.',
        minProperties: 1,
        propertyNames: {pattern: METRIC_NAME_PATTERN},
        type: 'object',
      },
      run: {
        description: 'The shell command line to measure, e.g. "node dist/cli.js --help".',
        minLength: 1,
        type: 'string',
      },
      runs: {default: 10, description: 'Measured runs.', maximum: 100_000, minimum: 1, type: 'integer'},
      timeout: durationOption('Limit for each run; a run over it is killed and counts as a failure.', '60s'),
      warmup: {
        default: 1,
        description: 'Runs before the measured ones, not counted (caches, JIT).',
        minimum: 0,
        type: 'integer',
      },
    },
    required: ['run'],
    type: 'object',
  },
  metrics: (options) => [...METRICS, ...MEMORY_METRICS, ...printedSpecs(options.printed)],
  async collect(ctx, options) {
    const cwd = path.resolve(ctx.gateDir, options.cwd ?? '.')
    const timeoutMs = readDuration(options.timeout, 'timeout')
    const durations: number[] = []
    const rss: number[] = []
    const failures: string[] = []
    const memory = memoryPlan(options.memory, ctx.services)
    const printed = printedReaders(options.printed)
    const values = new Map(printed.map(({name}) => [name, [] as number[]]))
    const growths: RunGrowth[] = []
    const unfitted: string[] = []
    let totalMs = 0
    const total = options.warmup + options.runs
    for (let index = 0; index < total; index++) {
      const measured = index - options.warmup
      ctx.progress({
        fraction: index / total,
        message: measured < 0 ? `warm-up ${index + 1}/${options.warmup}` : `run ${measured + 1}/${options.runs}`,
      })
      const result = await runOnce(options, cwd, timeoutMs, ctx.signal, memory, printed, ctx.redact)
      ctx.signal.throwIfAborted()
      if (measured < 0) continue
      totalMs += result.wallMs
      const failure = describeFailure(result, timeoutMs)
      if (failure) {
        failures.push(`run ${measured + 1} ${failure}`)
        continue
      }

      durations.push(result.wallMs)
      if (result.peakRss !== undefined) rss.push(result.peakRss)
      for (const [name, found] of result.printed) values.get(name)!.push(...found)
      if (memory && result.memory) {
        const growth = growthOf(measured + 1, result.memory.points, memory.sampling)
        if (typeof growth === 'string') unfitted.push(growth)
        else growths.push(growth)
        if (result.memory.unread > 0)
          unfitted.push(
            `run ${measured + 1}: ${result.memory.unread} marks came after the process had exited; keep it alive ` +
              `until its last mark is read`,
          )
        if (result.memory.superseded > 0)
          unfitted.push(
            `run ${measured + 1}: ${result.memory.superseded} marks arrived together with a later one and were not ` +
              `read, as memory by then held the later instances too (marks printed in bursts, or a busy machine)`,
          )
      }
    }

    const metrics: Record<string, MetricEvidence> = {
      duration: {dimension: 'duration', samples: durations, type: 'samples'},
      failures: {dimension: 'count', type: 'value', value: failures.length},
    }
    if (RSS_SUPPORTED) metrics.rss = {dimension: 'size', samples: rss, type: 'samples'}
    const notes = notesFor(failures, durations.length, rss.length)
    for (const {dimension, name} of printed) {
      const samples = values.get(name)!
      metrics[name] = {dimension, samples, type: 'samples'}
      if (samples.length === 0 && durations.length > 0)
        notes.push(`${name}: no line of the ${durations.length} successful runs matched its pattern with a number`)
    }
    if (memory) {
      const growth = memoryEvidence(growths, unfitted, memory.sampling)
      Object.assign(metrics, growth.metrics)
      notes.push(...growth.notes)
    }

    return {durationMs: totalMs, kind: 'measured', metrics, notes, source: `command: ${options.run}`}
  },
})

/** A printed metric ready to read lines: its pattern compiled, its dimension from its unit. */
interface PrintedReader {
  name: string
  pattern: RegExp
  dimension: MetricSpec['dimension']
  /** Multiplies a value printed without a unit. */
  factor: number
}

/** The printed metrics' readers; throws, naming the metric, for a pattern that cannot give a value (checked early). */
function printedReaders(printed: CommandOptions['printed']): PrintedReader[] {
  const builtIn = new Set([...METRICS, ...MEMORY_METRICS].map((metric) => metric.name))
  return Object.entries(printed ?? {}).map(([name, {line, unit}]) => {
    if (builtIn.has(name)) throw new Error(`printed metric "${name}" has the name of one the command validator reports`)
    let pattern: RegExp
    try {
      pattern = new RegExp(line)
    } catch (error) {
      throw new Error(`printed.${name}.line is not a regular expression: ${(error as Error).message}`, {
        cause: error,
      })
    }
    if (!/\(\?<value>/.test(line)) throw new Error(`printed.${name}.line needs a group named value: (?<value>...)`)
    const def = unit === undefined ? undefined : UNITS[unit]
    return {dimension: def?.dimension ?? 'count', factor: def?.factor ?? 1, name, pattern}
  })
}

function printedSpecs(printed: CommandOptions['printed']): MetricSpec[] {
  return printedReaders(printed).map(({dimension, name}) => ({
    description: 'A number each run printed (option printed): one sample per matching line of its stdout.',
    dimension,
    name,
    type: 'samples',
  }))
}

/** A matching line's value in the metric's canonical unit; undefined when it holds none, or one of another kind. */
function printedValue(reader: PrintedReader, line: string): number | undefined {
  const text = reader.pattern.exec(line)?.groups?.value
  const quantity = text === undefined ? null : parseQuantity(text)
  if (quantity === null) return undefined
  if (quantity.dimension === null) return quantity.value * reader.factor
  return quantity.dimension === reader.dimension ? quantity.value : undefined
}

/** Resolves the memory options against the running services; throws with the option named when they cannot be met. */
function memoryPlan(
  options: MemoryOptions | undefined,
  services: Readonly<Record<string, ServiceInfo>>,
): MemoryPlan | undefined {
  if (options === undefined) return undefined
  const sampling = samplingOf(options)
  const selfReported = 'mark' in sampling && /\(\?<rss>/.test(sampling.mark.source)
  if (!RSS_SUPPORTED && !selfReported) {
    throw new Error(
      `memory is read from /proc, which ${process.platform} does not have: print it from the process and capture it ` +
        `with a group (?<rss>...) in memory.mark`,
    )
  }

  const service = options.service === undefined ? undefined : new ProcessTree(servicePid(options.service, services))
  return {sampling, service}
}

function notesFor(failures: string[], succeeded: number, withRss: number): string[] {
  const notes = failures.slice(0, DESCRIBED_FAILURES)
  if (failures.length > DESCRIBED_FAILURES) notes.push(`…and ${failures.length - DESCRIBED_FAILURES} more failed runs`)
  if (!RSS_SUPPORTED) notes.push(`rss is not measured on ${process.platform}: it is read from /proc (Linux only)`)
  else if (withRss < succeeded)
    notes.push(
      `rss was not observed in ${succeeded - withRss} of ${succeeded} runs: they ended before the first memory poll`,
    )
  return notes
}

/** "exited with code 3: <last stderr>" or "timed out after 60 s"; undefined for a successful run. */
function describeFailure(result: RunResult, timeoutMs: number): string | undefined {
  if (result.timedOut) return `timed out after ${formatValue(timeoutMs, 'duration')}`
  if (result.status.code === 0) return undefined
  const stderr = result.stderr.length > 0 ? `: ${result.stderr.join(' | ')}` : ''
  return `${describeExit(result.status)}${stderr}`
}

/**
 * One run in its own process group: timed, its memory polled, killed at the timeout or on abort with everything it
 * started.
 */
async function runOnce(
  options: CommandOptions,
  cwd: string,
  timeoutMs: number,
  signal: AbortSignal,
  memory: MemoryPlan | undefined,
  printed: PrintedReader[],
  redact: ((text: string) => string) | undefined,
): Promise<RunResult> {
  signal.throwIfAborted()
  const started = process.hrtime.bigint()
  const marks = memory !== undefined && 'mark' in memory.sampling
  const reads = marks || printed.length > 0
  const group = ProcessGroup.spawn(options.run, {cwd, env: options.env, stdout: reads ? 'pipe' : 'ignore'})
  const stderr = new LogTail(STDERR_LINES, redact)
  stderr.attach(group.child.stderr)
  const sampler = RSS_SUPPORTED && group.pid !== undefined ? new PeakRssSampler(group.pid) : undefined
  const tree = memory?.service ?? (group.pid === undefined ? undefined : new ProcessTree(group.pid))
  const series = memory && tree ? new MemorySeries(tree, memory.sampling) : undefined
  const found = new Map(printed.map(({name}) => [name, [] as number[]]))
  if (reads) {
    // Only the newest line is kept: marks and printed values are read as they arrive; nothing else of stdout matters.
    const stdout = new LogTail(1)
    stdout.onLine((line) => {
      series?.line(line)
      for (const reader of printed) {
        const value = printedValue(reader, line)
        if (value !== undefined) found.get(reader.name)!.push(value)
      }
    })
    stdout.attach(group.child.stdout)
  }

  let timedOut = false
  const timer = setTimeout(
    () => {
      timedOut = true
      group.signal('SIGKILL')
    },
    Math.min(timeoutMs, MAX_TIMER_MS),
  )
  const onAbort = (): boolean => group.signal('SIGKILL')
  signal.addEventListener('abort', onAbort, {once: true})
  try {
    const status = await group.exited
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6
    const peakRss = await sampler?.stop()
    // Whatever the run left in the background dies with it (escaped descendants too), so runs do not pile up; stop()
    // reads its last stderr.
    await group.stop(0)
    await series?.stop()
    return {memory: series, peakRss, printed: found, status, stderr: stderr.lines(), timedOut, wallMs}
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', onAbort)
  }
}
