import {addErrorCounts, emptyErrorCounts} from './errors.js'
import {mergeHistograms} from './histogram.js'
import {arrivalsBefore, type ResolvedPlan} from './plan.js'
import type {RunRecorder} from './recorder.js'
import type {StageRun} from './stage.js'
import type {ClientLoad, LoadResult, Rates, RequestCounts, StageResult, StopReason} from './types.js'

export interface RunOutline {
  plan: ResolvedPlan
  recorder: RunRecorder
  runs: readonly StageRun[]
  stopReason: StopReason | null
  client: ClientLoad
}

/** What the run measured so far, per stage and merged; with stages still running it is a snapshot, marked partial. */
export function loadResult(
  {client, plan, recorder, runs, stopReason}: RunOutline,
  now = performance.now(),
): LoadResult {
  const stages = runs.map((run) => stageResult(run, recorder.startMs, now))
  const last = runs.at(-1)
  const durationMs = (last?.finishedMs ?? now) - recorder.startMs
  const requests = stages.reduce((sum, stage) => addCounts(sum, stage.requests), emptyCounts())
  const intended =
    plan.model === 'open' ? stages.reduce((sum, stage) => sum + stage.unsent + stage.requests.sent, 0) : null
  const sendingMs = runs.reduce((sum, run) => sum + sendingWindow(run, now), 0)
  const finished = last?.finishedMs !== undefined && (stopReason !== null || runs.length === plan.stages.length)
  return {
    bytesReceived: recorder.bytesReceived,
    client,
    durationMs,
    errorExamples: {...recorder.errorExamples},
    errors: stages.reduce((sum, stage) => addErrorCounts(sum, stage.errors), emptyErrorCounts()),
    latency: mergeHistograms(stages.map((stage) => stage.latency)),
    latencyUncorrected: mergeHistograms(stages.map((stage) => stage.latencyUncorrected)),
    method: plan.method,
    model: plan.model,
    partial: !finished || stopReason === 'aborted',
    rates: rates(requests, intended, durationMs, sendingMs),
    requests,
    samples: recorder.samples(),
    stages,
    stopReason: stopReason ?? 'completed',
    timeline: recorder.timeline(),
    unsent: stages.reduce((sum, stage) => sum + stage.unsent, 0),
    url: plan.url.href,
  }
}

function stageResult(run: StageRun, runStartMs: number, now: number): StageResult {
  const {stage, tally} = run
  const durationMs = (run.finishedMs ?? now) - run.startMs
  const windowMs = sendingWindow(run, now)
  const intended = stage.model === 'open' ? arrivalsBefore(stage, windowMs) : null
  return {
    connections: stage.connections,
    durationMs,
    errors: {...tally.errors},
    index: stage.index,
    latency: tally.latency,
    latencyUncorrected: tally.uncorrectedLatency(),
    model: stage.model,
    rampFrom: stage.rampFrom,
    rate: stage.model === 'open' ? stage.rate : null,
    rates: rates(tally.requests, intended, durationMs, windowMs),
    requests: {...tally.requests},
    startMs: run.startMs - runStartMs,
    unsent: intended === null ? 0 : Math.max(0, intended - tally.requests.sent),
    ...(stage.name === undefined ? {} : {name: stage.name}),
  }
}

/** How long a stage sent: the schedule's arrivals are counted over this, not over the drain after it. */
function sendingWindow(run: StageRun, now: number): number {
  return (run.endedMs ?? now) - run.startMs
}

/**
 * Achieved rates count everything completed over the whole time; the offered rate is the schedule over the sending
 * window.
 */
function rates(requests: RequestCounts, intended: number | null, durationMs: number, sendingMs: number): Rates {
  const perSecond = (count: number, ms: number): number => (ms > 0 ? (count * 1000) / ms : 0)
  return {
    achieved: perSecond(requests.completed, durationMs),
    offered: intended === null ? null : perSecond(intended, sendingMs),
    ok: perSecond(requests.ok, durationMs),
  }
}

function emptyCounts(): RequestCounts {
  return {completed: 0, errors: 0, ok: 0, sent: 0}
}

function addCounts(into: RequestCounts, from: RequestCounts): RequestCounts {
  into.sent += from.sent
  into.completed += from.completed
  into.ok += from.ok
  into.errors += from.errors
  return into
}
