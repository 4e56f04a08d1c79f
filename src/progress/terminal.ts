import {DefaultRenderer, Listr, ListrLogger, ProcessOutput} from 'listr2'

import type {CheckEvents} from '../run/check.js'
import type {TargetConfig} from '../config/types.js'
import type {ProgressUpdate} from '../validators/types.js'
import {type CollectOutcome, finishedText, RunningTarget, targetLabel} from './format.js'

/** How often the elapsed time in the running target's title moves. */
const TICK_MS = 200

/**
 * listr2's animated renderer, allowed whenever stderr is a terminal: it asks stdout, which may be a file or pipe here.
 */
class StderrRenderer extends DefaultRenderer {
  static override nonTTY = true
}

/** What listr2's task hands the running target: its title line and the lines under it. */
interface TaskLines {
  title: string | undefined
  output: string | undefined
}

interface LiveTarget {
  running: RunningTarget
  began: number
  task?: TaskLines
  /** Logged before listr2 started the task; shown under it once it has. */
  pending: string[]
  finish(end: {text: string; failed: boolean}): void
}

/**
 * For a person at a terminal: one listr2 task per target, redrawn on stderr while it runs (elapsed vs
 * planned time, live rate, errors, the validator's log lines under it) and left on screen with ✔ or ✖.
 * listr2 holds back other stderr writes while it draws and prints them after the target, without escape codes.
 */
export class TerminalProgress implements CheckEvents {
  // Both of listr2's streams are stderr: stdout carries only the report (or the JSON).
  private readonly output = new ProcessOutput(process.stderr, process.stderr, {leaveEmptyLine: false})
  private live: LiveTarget | undefined
  /** Targets are drawn one after another: the next list may only take stderr once the last has let go. */
  private drawn: Promise<void> = Promise.resolve()
  private ticker: NodeJS.Timeout | undefined
  // If the process exits mid-target (a second Ctrl-C), give stderr and the cursor back on the way out.
  private readonly restoreOnExit = (): void => this.output.release()

  log(message: string): void {
    const {live} = this
    if (!live) process.stderr.write(`  ${message}\n`)
    else if (live.task) live.task.output = message
    else live.pending.push(message)
  }

  targetStarted(target: TargetConfig, index: number, total: number): void {
    const running = new RunningTarget(target, targetLabel(target, index, total))
    let finish!: LiveTarget['finish']
    const ended = new Promise<{text: string; failed: boolean}>((resolve) => (finish = resolve))
    const live: LiveTarget = {began: performance.now(), finish, pending: [], running}
    this.live = live
    const list = new Listr(
      [
        {
          rendererOptions: {outputBar: Infinity, persistentOutput: true},
          task: async (_context, task) => {
            live.task = task
            for (const message of live.pending.splice(0)) task.output = message
            this.refresh()
            const end = await ended
            task.title = end.text
            if (end.failed) throw new Error(end.text)
          },
          title: running.title(0),
        },
      ],
      {
        exitOnError: false,
        // Ctrl-C belongs to src/run/interrupt.ts (stop the target, tear services down), not to listr2's process.exit.
        registerSignalListeners: false,
        renderer: StderrRenderer,
        rendererOptions: {logger: new ListrLogger({processOutput: this.output})},
      },
    )
    this.drawn = this.drawn.then(async () => {
      process.once('exit', this.restoreOnExit)
      try {
        await list.run()
      } finally {
        process.off('exit', this.restoreOnExit)
      }
    })
    clearInterval(this.ticker)
    this.ticker = setInterval(() => this.refresh(), TICK_MS).unref()
  }

  targetProgress(target: TargetConfig, update: ProgressUpdate, elapsedMs: number): void {
    if (this.live?.running.target.id !== target.id) return
    this.live.running.observe(update, elapsedMs)
    this.refresh()
  }

  targetFinished(target: TargetConfig, outcome: CollectOutcome, elapsedMs: number): void {
    if (this.live?.running.target.id !== target.id) return
    this.end({failed: 'noData' in outcome, text: `${this.live.running.label} · ${finishedText(outcome, elapsedMs)}`})
  }

  /** Ends the display whatever happened to the run; resolves once stderr and the cursor are back. */
  async close(): Promise<void> {
    if (this.live)
      this.end({failed: true, text: `${this.live.running.label} · stopped: the run ended before this target did`})
    await this.drawn
  }

  private end(result: {text: string; failed: boolean}): void {
    clearInterval(this.ticker)
    this.live?.finish(result)
    this.live = undefined
  }

  private refresh(): void {
    const {live} = this
    if (live?.task) live.task.title = live.running.title(performance.now() - live.began)
  }
}
