import {connectionsAt} from './plan.js'
import type {Connection} from './request.js'
import type {StageRun} from './stage.js'

/** How often a ramp adds virtual users. */
const RAMP_TICK_MS = 100

/**
 * Closed model: each virtual user owns a connection and sends its next request as soon as the
 * last one returns, so latency is timed from the actual send. During a ramp users join (and
 * leave) as the level moves; a user above the level stops after its request in flight.
 */
export function driveClosed(run: StageRun, connections: readonly Connection[]): void {
  const {stage} = run
  const active: boolean[] = []
  const ramps = stage.rampFrom !== null
  // One continuation per user, made once, not one per request.
  const next: Array<() => void> = []
  const loop = (user: number): void => {
    const wanted = !ramps || user < connectionsAt(stage, run.elapsed())
    if (!wanted || !run.send(connections[user]!, (next[user] ??= () => loop(user)))) active[user] = false
  }

  const fill = (): void => {
    const level = connectionsAt(stage, run.elapsed())
    for (let user = 0; user < level; user++) {
      if (active[user]) continue
      active[user] = true
      loop(user)
    }
  }

  fill()
  if (!ramps) return
  const ramp = setInterval(fill, RAMP_TICK_MS)
  void run.finished.then(() => clearInterval(ramp))
}
