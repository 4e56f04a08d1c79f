import {killAllServicesSync} from '../services/index.js'

/**
 * Signals that end a run cleanly: Ctrl-C, kill, a closed terminal (SIGHUP) and Ctrl-\ (SIGQUIT), whose defaults would
 * orphan the services.
 */
const STOP_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT']

/**
 * Runs work that must end cleanly on Ctrl-C: the first stop signal (SIGINT, SIGTERM, SIGHUP, SIGQUIT) aborts the signal
 * so targets
 * stop and services are torn down; a second one kills every service group at once, runs `onForcedExit`
 * (synchronous: it saves what was measured) and exits 130.
 */
export async function withInterrupts<T>(
  work: (signal: AbortSignal) => Promise<T>,
  onForcedExit?: () => void,
): Promise<T> {
  const controller = new AbortController()
  const onSignal = (name: NodeJS.Signals) => {
    if (controller.signal.aborted) {
      killAllServicesSync()
      process.stderr.write(`\n${name} again: services killed, exiting without waiting.\n`)
      try {
        onForcedExit?.()
      } catch (error) {
        process.stderr.write(`the partial results could not be saved: ${(error as Error).message}\n`)
      }
      // A second Ctrl-C means "now".
      process.exit(130)
    }
    process.stderr.write(
      `\n${name}: stopping the running target and the services; partial results will be saved (Ctrl-C again to ` +
        `force).\n`,
    )
    controller.abort(new Error(`interrupted by ${name}`))
  }
  for (const name of STOP_SIGNALS) process.on(name, onSignal)
  // Last line of defence: whatever happens, no service outlives this process.
  process.on('exit', killAllServicesSync)
  try {
    return await work(controller.signal)
  } finally {
    for (const name of STOP_SIGNALS) process.off(name, onSignal)
  }
}
