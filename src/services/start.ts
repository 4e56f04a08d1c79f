import type {ServiceConfig} from '../config/types.js'
import {formatValue} from '../engine/units.js'
import type {ServiceInfo} from './types.js'
import {LogTail} from './log-tail.js'
import {describeExit, ProcessGroup} from './process-group.js'
import {waitUntilReady} from './readiness.js'

/** Lines kept per service for error messages. */
const LOG_LINES = 50
/** Lines quoted in a ServiceError message. */
const QUOTED_LINES = 20

export interface RunningServices {
  /** The services still running: one that dies mid-run is taken out, so nothing more is sent to its address. */
  info: Record<string, ServiceInfo>
  /** Services that died while the gate was running, each with why and its last log lines. */
  lost: ReadonlyMap<string, string>
  /** Stops every service (SIGTERM, then SIGKILL after its stopTimeoutMs); idempotent. */
  stop(): Promise<void>
}

export interface StartServicesOptions {
  /** Aborting stops the services started so far and rejects with the signal's reason. */
  signal?: AbortSignal
  /** Receives every line the services print, prefixed with "[name] ". */
  log?: (line: string) => void
  /** Replaces secrets in a whole output line, before it is cut to length. */
  redact?: (text: string) => string
  /**
   * Told when a ready service dies before stop(): the whole description, e.g. "service web exited with code 1 while
   * ...".
   */
  onLost?: (description: string) => void
}

/** A service that could not be started or never became ready: the run fails (not a configuration error). */
export class ServiceError extends Error {
  constructor(
    readonly service: string,
    readonly problem: string,
    readonly lastLines: string[],
  ) {
    super(`service ${service} ${problem}${quote(lastLines)}`)
    this.name = 'ServiceError'
  }
}

function quote(lines: string[]): string {
  if (lines.length === 0) return '; it printed nothing'
  return `; its last log lines:\n${lines
    .slice(-QUOTED_LINES)
    .map((line) => `  | ${line}`)
    .join('\n')}`
}

interface StartedService {
  config: ServiceConfig
  group: ProcessGroup
  info: ServiceInfo
  tail: LogTail
}

/**
 * Starts the services one after another (a later one may need an earlier one), each in its own
 * process group, and waits until each is ready. On any failure everything started is stopped first.
 */
export async function startServices(
  services: ServiceConfig[],
  options: StartServicesOptions = {},
): Promise<RunningServices> {
  const started: StartedService[] = []
  const info: Record<string, ServiceInfo> = {}
  const lost = new Map<string, string>()
  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= Promise.all(started.map(({config, group}) => group.stop(config.stopTimeoutMs))).then(() => {})
    return stopping
  }

  try {
    for (const config of services) {
      options.signal?.throwIfAborted()
      const service = await startService(config, options)
      started.push(service)
      info[config.name] = service.info
      void service.group.exited.then((status) => {
        if (stopping !== undefined) return
        // A service dying mid-run explains the errors and NO_DATA that follow: its targets say so instead of loading a
        // dead address.
        const description =
          `service ${config.name} ${describeExit(status)} while the gate was ` + `running${quote(service.tail.lines())}`
        delete info[config.name]
        lost.set(config.name, description)
        options.log?.(`[${config.name}] ${describeExit(status)} while the gate was running`)
        options.onLost?.(description)
      })
    }
  } catch (error) {
    await stop()
    throw error
  }

  return {info, lost, stop}
}

async function startService(config: ServiceConfig, options: StartServicesOptions): Promise<StartedService> {
  const tail = new LogTail(LOG_LINES, options.redact)
  if (options.log) tail.onLine((line) => options.log!(`[${config.name}] ${line}`))
  let group: ProcessGroup
  try {
    group = ProcessGroup.spawn(config.command, {cwd: config.cwd, env: config.env})
  } catch (error) {
    throw new ServiceError(config.name, `could not start: ${(error as Error).message}`, [])
  }

  tail.attach(group.child.stdout)
  tail.attach(group.child.stderr)
  try {
    const url = await readyOrFailed(config, group, tail, options.signal)
    return {config, group, info: {name: config.name, pid: group.pid, url}, tail}
  } catch (error) {
    // stop() reads the last output before it returns, so the error quotes it.
    await group.stop(config.stopTimeoutMs)
    throw error instanceof Failure ? new ServiceError(config.name, error.message, tail.lines()) : error
  }
}

/** Why a service failed to start; becomes a ServiceError once its last output has been read. */
class Failure extends Error {}

/** Waits for readiness, bounded by ready.timeoutMs, the service exiting, and the caller's signal. */
async function readyOrFailed(
  config: ServiceConfig,
  group: ProcessGroup,
  tail: LogTail,
  parent: AbortSignal | undefined,
): Promise<string | undefined> {
  const controller = new AbortController()
  const onParentAbort = (): void => controller.abort(parent?.reason)
  parent?.addEventListener('abort', onParentAbort, {once: true})
  if (parent?.aborted) onParentAbort()
  const timer = setTimeout(
    () => controller.abort(new Failure(`was not ready after ${formatValue(config.ready.timeoutMs, 'duration')}`)),
    config.ready.timeoutMs,
  )
  void group.exited.then((status) => controller.abort(new Failure(`${describeExit(status)} before it was ready`)))
  try {
    return await waitUntilReady(config.ready, tail, controller.signal)
  } catch (error) {
    throw controller.signal.aborted ? controller.signal.reason : error
  } finally {
    clearTimeout(timer)
    parent?.removeEventListener('abort', onParentAbort)
    controller.abort()
  }
}
