import {intendedOffset} from './plan.js'
import type {Connection} from './request.js'
import type {StageRun} from './stage.js'

/**
 * Open model: requests are due on a fixed schedule whatever the server does. Each is timed from
 * its intended send, so a request that waited for a free connection behind a stalled server
 * carries that wait (coordinated-omission correction, as in wrk2). The schedule is arithmetic,
 * so requests due but not yet sent are just the distance between the clock and a counter: no
 * queue, and memory stays flat however far behind the server falls.
 */
export function driveOpen(run: StageRun, connections: readonly Connection[]): void {
  const {stage} = run
  const free = connections.slice(0, stage.connections)
  let next = 0
  let timer: NodeJS.Timeout | undefined

  // One release per connection, made once, not one per request.
  const releases = new Map(
    free.map((connection) => [
      connection,
      (): void => {
        free.push(connection)
        // With a timer armed the schedule is ahead of us and the timer will send; otherwise we are behind, so send now.
        if (timer === undefined) pump()
      },
    ]),
  )

  const pump = (): void => {
    timer = undefined
    while (free.length > 0 && run.sending) {
      const offset = intendedOffset(stage, next)
      if (offset >= stage.durationMs) return
      const intendedMs = run.startMs + offset
      const wait = intendedMs - performance.now()
      if (wait > 0) {
        timer = setTimeout(pump, wait)
        return
      }

      const connection = free.pop()!
      if (!run.send(connection, releases.get(connection)!, intendedMs)) {
        free.push(connection)
        return
      }

      next++
    }
  }

  pump()
  void run.finished.then(() => clearTimeout(timer))
}
