import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {MetricEvidence} from '../engine/types.js'
import {formatValue} from '../engine/units.js'
import {LogTail} from '../services/log-tail.js'
import {describeExit, type ExitStatus, ProcessGroup} from '../services/process-group.js'
import {PeakRssSampler, RSS_SUPPORTED} from './peak-rss.js'
import {MAX_TIMER_MS} from './runner.js'
import {durationOption, readDuration} from './schema.js'
import {defineValidator} from './types.js'

export interface CommandOptions {
  run: string
  runs: number
  warmup: number
  cwd?: string
  env?: Record<string, string>
  timeout: string
}

/** Failed runs described one by one in the notes; the rest are counted. */
const DESCRIBED_FAILURES = 3
const STDERR_LINES = 5
/** How long to wait for a run's last stderr once its group is gone (an escaped grandchild may hold the pipe). */
const DRAIN_MS = 1000

interface RunResult {
  wallMs: number
  status: ExitStatus
  timedOut: boolean
  peakRss: number | undefined
  stderr: string[]
}

export const command = defineValidator<CommandOptions>({
  name: 'command',
  description: 'Runs a shell command several times and measures its wall time, peak memory and failures.',
  kind: 'measured',
  options: {
    additionalProperties: false,
    properties: {
      cwd: {description: 'Working directory, relative to the gate file\'s directory (default: that directory).', type: 'string'},
      env: {
        additionalProperties: {description: 'Quote numbers and booleans: "1", "true".', type: 'string'},
        description: 'Environment variables added to the inherited ones.',
        type: 'object',
      },
      run: {description: 'The shell command line to measure, e.g. "node dist/cli.js --help".', minLength: 1, type: 'string'},
      runs: {default: 10, description: 'Measured runs.', maximum: 100_000, minimum: 1, type: 'integer'},
      timeout: durationOption('Limit for each run; a run over it is killed and counts as a failure.', '60s'),
      warmup: {default: 1, description: 'Runs before the measured ones, not counted (caches, JIT).', minimum: 0, type: 'integer'},
    },
    required: ['run'],
    type: 'object',
  },
  metrics: [
    {description: 'Wall time of each successful run, from spawn to exit.', dimension: 'duration', name: 'duration', type: 'samples'},
    {
      description:
        'Peak resident memory of each successful run\'s whole process tree, polled from /proc every 10 ms: a lower bound, since very short-lived children may be missed. Linux only.',
      dimension: 'size',
      name: 'rss',
      type: 'samples',
    },
    {description: 'Measured runs that exited non-zero, were killed or timed out.', dimension: 'count', name: 'failures', type: 'value'},
  ],
  async collect(ctx, options) {
    const cwd = path.resolve(ctx.gateDir, options.cwd ?? '.')
    const timeoutMs = readDuration(options.timeout, 'timeout')
    const durations: number[] = []
    const rss: number[] = []
    const failures: string[] = []
    let totalMs = 0
    const total = options.warmup + options.runs
    for (let index = 0; index < total; index++) {
      const measured = index - options.warmup
      ctx.progress({fraction: index / total, message: measured < 0 ? `warm-up ${index + 1}/${options.warmup}` : `run ${measured + 1}/${options.runs}`})
      const result = await runOnce(options, cwd, timeoutMs, ctx.signal)
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
    }

    const metrics: Record<string, MetricEvidence> = {
      duration: {dimension: 'duration', samples: durations, type: 'samples'},
      failures: {dimension: 'count', type: 'value', value: failures.length},
    }
    if (RSS_SUPPORTED) metrics.rss = {dimension: 'size', samples: rss, type: 'samples'}
    return {durationMs: totalMs, kind: 'measured', metrics, notes: notesFor(failures, durations.length, rss.length), source: `command: ${options.run}`}
  },
})

function notesFor(failures: string[], succeeded: number, withRss: number): string[] {
  const notes = failures.slice(0, DESCRIBED_FAILURES)
  if (failures.length > DESCRIBED_FAILURES) notes.push(`…and ${failures.length - DESCRIBED_FAILURES} more failed runs`)
  if (!RSS_SUPPORTED) notes.push(`rss is not measured on ${process.platform}: it is read from /proc (Linux only)`)
  else if (withRss < succeeded) notes.push(`rss was not observed in ${succeeded - withRss} of ${succeeded} runs: they ended before the first memory poll`)
  return notes
}

/** "exited with code 3: <last stderr>" or "timed out after 60 s"; undefined for a successful run. */
function describeFailure(result: RunResult, timeoutMs: number): string | undefined {
  if (result.timedOut) return `timed out after ${formatValue(timeoutMs, 'duration')}`
  if (result.status.code === 0) return undefined
  const stderr = result.stderr.length > 0 ? `: ${result.stderr.join(' | ')}` : ''
  return `${describeExit(result.status)}${stderr}`
}

/** One run in its own process group: timed, its memory polled, killed at the timeout or on abort with everything it started. */
async function runOnce(options: CommandOptions, cwd: string, timeoutMs: number, signal: AbortSignal): Promise<RunResult> {
  signal.throwIfAborted()
  const started = process.hrtime.bigint()
  const group = ProcessGroup.spawn(options.run, {cwd, env: options.env, stdout: 'ignore'})
  const stderr = new LogTail(STDERR_LINES)
  stderr.attach(group.child.stderr)
  const sampler = RSS_SUPPORTED && group.pid !== undefined ? new PeakRssSampler(group.pid) : undefined
  let timedOut = false
  const timer = setTimeout(() => {
    timedOut = true
    group.signal('SIGKILL')
  }, Math.min(timeoutMs, MAX_TIMER_MS))
  const onAbort = (): boolean => group.signal('SIGKILL')
  signal.addEventListener('abort', onAbort, {once: true})
  try {
    const status = await group.exited
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6
    const peakRss = await sampler?.stop()
    // Whatever the run left in the background dies with it, so runs do not pile up.
    await group.stop(0)
    await Promise.race([group.closed, sleep(DRAIN_MS)])
    return {peakRss, status, stderr: stderr.lines(), timedOut, wallMs}
  } finally {
    clearTimeout(timer)
    signal.removeEventListener('abort', onAbort)
  }
}
