import {driveClosed} from './closed.js'
import {driveOpen} from './open.js'
import {type ResolvedPlan, resolvePlan} from './plan.js'
import {RunRecorder} from './recorder.js'
import {type Connection, refusedRequest, UndiciConnection} from './request.js'
import {loadResult} from './result.js'
import {SocketConnection} from './socket.js'
import {RunControl, StageRun} from './stage.js'
import type {ClientLoad, LoadPlan, LoadResult} from './types.js'

/** After an abort, requests in flight get this long to finish before their connections are cut. */
export const ABORT_GRACE_MS = 500
/** Closing connections at the end waits at most this long for stragglers. */
const CLOSE_GRACE_MS = 1000
/** Above this share of one core the client, not the server, may be what limits the run. */
const SATURATED_CPU = 0.9
const PROGRESS_EVERY_MS = 1000

/**
 * Runs a load plan against one URL and returns what it measured: per stage and merged, latency
 * as HDR histograms plus a bounded reservoir of raw samples, errors by kind, a per-second
 * timeline, rates and the client's own CPU use. Throws LoadPlanError for a plan over the caps;
 * never throws for what the server does. Aborting returns what was measured, marked partial.
 */
export async function runLoad(plan: LoadPlan): Promise<LoadResult> {
  const resolved = resolvePlan(plan)
  const recorder = new RunRecorder(resolved.reservoirSize, resolved.seed)
  const control = new RunControl(recorder, resolved.requestBudget)
  const connections = openConnections(resolved)
  const cpu = cpuMeter()
  const runs: StageRun[] = []
  const snapshot = (): LoadResult =>
    loadResult({client: cpu.read(), plan: resolved, recorder, runs, stopReason: control.stopReason})
  const watcher = watch(plan, resolved, control, connections, snapshot)
  // One sweep for every connection instead of a timer per request: a request is cut at most a quarter of its timeout
  // (and 1 s) past it.
  const sweep = setInterval(
    () => {
      const now = performance.now()
      for (const connection of connections) connection.expireOverdue(now)
    },
    Math.min(1000, Math.max(10, resolved.timeoutMs / 4)),
  )
  try {
    for (const stage of resolved.stages) {
      if (control.stopReason !== null) break
      const run = new StageRun(stage, control)
      runs.push(run)
      if (stage.model === 'open') driveOpen(run, connections)
      else driveClosed(run, connections)
      await run.finished
    }
  } finally {
    clearInterval(sweep)
    watcher.stop()
    await Promise.all(connections.map((connection) => connection.close(CLOSE_GRACE_MS)))
  }

  if (control.failure !== undefined) throw control.failure
  return snapshot()
}

/** Plain HTTP on node:net, https through undici; not yet connected. */
function openConnections(plan: ResolvedPlan): Connection[] {
  const count = connectionsNeeded(plan)
  if (plan.url.protocol !== 'http:') return Array.from({length: count}, () => new UndiciConnection(plan))
  const refusal = refusedRequest(plan)
  return Array.from({length: count}, () => new SocketConnection(plan, refusal))
}

/** Enough connections for the busiest stage, ramps included. */
function connectionsNeeded(plan: ResolvedPlan): number {
  return Math.max(
    ...plan.stages.map((stage) =>
      stage.model === 'closed' ? Math.max(stage.connections, stage.rampFrom ?? 0) : stage.connections,
    ),
  )
}

/** CPU time this process used since the meter was created, against wall time; plugins that generate load use it too. */
export function cpuMeter(): {read(): ClientLoad} {
  const startCpu = process.cpuUsage()
  const startMs = performance.now()
  return {
    read() {
      const used = process.cpuUsage(startCpu)
      const cpu = (used.user + used.system) / 1000 / Math.max(1, performance.now() - startMs)
      return {cpu, saturated: cpu > SATURATED_CPU}
    },
  }
}

interface Watcher {
  stop(): void
}

/** The run's outside world: the abort signal, progress reports and the `until` predicate. */
function watch(
  plan: LoadPlan,
  resolved: ResolvedPlan,
  control: RunControl,
  connections: readonly Connection[],
  snapshot: () => LoadResult,
): Watcher {
  const timers: NodeJS.Timeout[] = []
  const watcher: Watcher = {
    stop() {
      for (const timer of timers) clearTimeout(timer)
      plan.signal?.removeEventListener('abort', onAbort)
    },
  }

  const onAbort = (): void => {
    control.stop('aborted')
    const cut = setTimeout(() => {
      control.recorder.discarding = true
      for (const connection of connections) connection.abort()
    }, ABORT_GRACE_MS)
    timers.push(cut)
  }

  if (plan.signal?.aborted) onAbort()
  else plan.signal?.addEventListener('abort', onAbort, {once: true})

  if (plan.onProgress) {
    const report = plan.onProgress.bind(plan)
    timers.push(
      setInterval(() => {
        const {completed, errors, startMs} = control.recorder
        report({completed, elapsedMs: performance.now() - startMs, errors, plannedMs: resolved.plannedMs})
      }, PROGRESS_EVERY_MS),
    )
  }

  const {until} = plan
  if (until) {
    const ask = (): void => {
      try {
        if (until.decided(snapshot())) control.stop('decided')
      } catch (error) {
        control.fail(error)
      }
    }

    const start = (): void => {
      ask()
      timers.push(setInterval(ask, until.everyMs ?? 1000))
    }

    timers.push(setTimeout(start, until.minDurationMs))
  }

  return watcher
}
