import type {CheckEvents} from '../run/check.js'
import {plainProgress} from './plain.js'

/** What `--progress` accepts: auto picks the terminal display or plain lines by itself. */
export const PROGRESS_CHOICES = ['auto', 'plain', 'none'] as const
export type ProgressChoice = (typeof PROGRESS_CHOICES)[number]
export type ProgressMode = 'terminal' | 'plain' | 'none'

/** CI=true (or 1, yes…) as CI services set it; CI=false and an empty CI do not count. */
export function isCI(env: NodeJS.ProcessEnv): boolean {
  return env.CI !== undefined && !['', '0', 'false', 'no'].includes(env.CI.trim().toLowerCase())
}

/**
 * Animated only for a person at a terminal: never in CI, on a dumb terminal, with --json, when stderr
 * is not a TTY, or on a terminal that reports no width (a bare pty), where redrawn lines cannot be fitted.
 */
export function progressMode(
  choice: ProgressChoice,
  context: {env: NodeJS.ProcessEnv; json: boolean; stderr: {isTTY?: boolean; columns?: number}},
): ProgressMode {
  if (choice === 'none') return 'none'
  const {env, json, stderr} = context
  const animated =
    choice === 'auto' && stderr.isTTY === true && Boolean(stderr.columns) && !json && !isCI(env) && env.TERM !== 'dumb'
  return animated ? 'terminal' : 'plain'
}

/**
 * Runs a check with its progress shown on stderr in the given mode, and gives the terminal back
 * (stderr, cursor) however the run ends. `none` keeps only what validators log.
 */
export async function withProgress<T>(mode: ProgressMode, work: (events: CheckEvents) => Promise<T>): Promise<T> {
  const say = (line: string): void => void process.stderr.write(`${line}\n`)
  if (mode === 'plain') return work(plainProgress(say))
  if (mode === 'none') return work({log: (message) => say(`  ${message}`), targetFinished() {}, targetStarted() {}})
  // listr2 only for the live display: plain and none runs never load it.
  const {TerminalProgress} = await import('./terminal.js')
  const terminal = new TerminalProgress()
  try {
    return await work(terminal)
  } finally {
    await terminal.close()
  }
}
