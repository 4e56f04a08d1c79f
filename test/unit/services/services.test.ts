import {createServer} from 'node:net'
import os from 'node:os'
import {request} from 'undici'
import {afterEach, describe, expect, it} from 'vitest'

import type {ServiceConfig} from '../../../src/config/types.js'
import {killAllServicesSync, type RunningServices, ServiceError, startServices} from '../../../src/services/index.js'
import {processAlive} from '../../../src/services/process-group.js'

const NODE = JSON.stringify(process.execPath)

/** A shell command running `script` with node; the script uses single quotes only. */
function node(script: string): string {
  return `${NODE} -e "${script}"`
}

// Prints its pid, then listens on a free port of 127.0.0.1 and announces the URL.
const SERVER = node(
  "console.log('pid ' + process.pid); require('http').createServer((q, s) => s.end('ok')).listen(0, '127.0.0.1', " +
    "function () { console.log('listening on http://127.0.0.1:' + this.address().port) })",
)

function service(overrides: Partial<ServiceConfig> & {command: string}): ServiceConfig {
  return {cwd: os.tmpdir(), env: {}, name: 'demo', ready: {timeoutMs: 20_000}, stopTimeoutMs: 2000, ...overrides}
}

/** Pids printed as "pid N" or "child N" in the captured lines. */
function pidsIn(lines: string[]): number[] {
  return lines.flatMap((line) => [...line.matchAll(/\b(?:pid|child) (\d+)/g)].map((match) => Number(match[1])))
}

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise((resolve) => server.close(resolve))
  return port
}

let running: RunningServices | undefined
afterEach(async () => {
  await running?.stop()
  running = undefined
  killAllServicesSync()
})

describe('startServices', () => {
  it('waits for the ready log line and takes the service URL from its named group', async () => {
    const lines: string[] = []
    running = await startServices(
      [service({command: SERVER, ready: {log: 'listening on (?<url>http://\\S+)', timeoutMs: 20_000}})],
      {log: (line) => lines.push(line)},
    )
    const {url, pid} = running.info.demo!
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const response = await request(url!, {reset: true})
    expect(await response.body.text()).toBe('ok')
    expect(lines.some((line) => line.startsWith('[demo] listening on'))).toBe(true)

    await running.stop()
    await running.stop() // idempotent
    expect(processAlive(pid!)).toBe(false)
  })

  it('polls ready.http until it answers 2xx', async () => {
    const port = await freePort()
    // Listens only after a while, then answers 503 twice before 200.
    const script =
      `let n = 0; setTimeout(() => require('http').createServer((q, s) => { s.statusCode = ++n > 2 ? ` +
      `200 : 503; s.end() }).listen(${port}, '127.0.0.1'), 300)`
    running = await startServices([
      service({command: node(script), ready: {http: `http://127.0.0.1:${port}/health`, timeoutMs: 20_000}}),
    ])
    expect(running.info.demo!.url).toBe(`http://127.0.0.1:${port}`)
    const response = await request(`http://127.0.0.1:${port}/health`, {reset: true})
    await response.body.dump()
    expect(response.statusCode).toBe(200)
  })

  it(
    'fails with the last log lines when a service exits before it is ready, stopping the ones already ' + 'started',
    async () => {
      const lines: string[] = []
      const first = service({
        command: SERVER,
        name: 'first',
        ready: {log: 'listening on (?<url>\\S+)', timeoutMs: 20_000},
      })
      const crashing = service({
        command: 'echo starting; echo "error: port taken" >&2; exit 3',
        name: 'crashing',
        ready: {log: 'never printed', timeoutMs: 20_000},
      })
      const failure = await startServices([first, crashing], {log: (line) => lines.push(line)}).catch(
        (error: unknown) => error,
      )
      expect(failure).toBeInstanceOf(ServiceError)
      const error = failure as ServiceError
      expect(error.service).toBe('crashing')
      expect(error.message).toContain('service crashing exited with code 3 before it was ready')
      expect(error.message).toContain('error: port taken')
      expect(error.lastLines).toEqual(expect.arrayContaining(['starting', 'error: port taken']))

      const [firstPid] = pidsIn(lines.filter((line) => line.startsWith('[first]')))
      expect(firstPid).toBeDefined()
      expect(processAlive(firstPid!)).toBe(false)
    },
  )

  it('times out a service that never gets ready and leaves no process behind', async () => {
    // exec: sleep replaces the shell that leads the group, so once stopped it is reaped and kill(pid, 0) fails.
    const command = 'echo "pid $$"; exec sleep 1000'
    const failure = await startServices([service({command, ready: {log: 'ready', timeoutMs: 1000}})]).catch(
      (error: unknown) => error,
    )
    expect(failure).toBeInstanceOf(ServiceError)
    expect((failure as Error).message).toMatch(
      /^service demo was not ready after 1 s; its last log lines:\n {2}\| pid \d+$/,
    )
    const [pid] = pidsIn((failure as ServiceError).lastLines)
    expect(pid).toBeGreaterThan(0)
    expect(() => process.kill(pid!, 0)).toThrow(expect.objectContaining({code: 'ESRCH'}))
  })

  it('stops the whole process group, grandchildren and SIGTERM-ignoring processes included', async () => {
    // The shell starts a background sleep and a node child that ignores SIGTERM and has its own child.
    const script =
      "process.on('SIGTERM', () => {}); const c = require('child_process').spawn('sleep', ['1000'], {stdio: " +
      "'ignore'}); console.log('pid ' + process.pid + ' child ' + c.pid); console.log('ready')"
    const command = `sleep 1000 & echo "child $!"; ${node(script)}; wait`
    const lines: string[] = []
    running = await startServices(
      [service({command, ready: {log: '^ready$', timeoutMs: 20_000}, stopTimeoutMs: 300})],
      {log: (line) => lines.push(line)},
    )
    const pids = [running.info.demo!.pid!, ...pidsIn(lines)]
    expect(pids).toHaveLength(4)
    expect(pids.every((pid) => processAlive(pid))).toBe(true)

    await running.stop()
    // Orphaned grandchildren may stay zombies when PID 1 does not reap them: processAlive does not count those.
    expect(pids.filter((pid) => processAlive(pid))).toEqual([])
  })

  it('stops what it started when the signal aborts during startup', async () => {
    const controller = new AbortController()
    const lines: string[] = []
    const starting = startServices(
      [
        service({
          command: node("console.log('pid ' + process.pid); setInterval(() => {}, 1000)"),
          ready: {log: 'never', timeoutMs: 20_000},
        }),
      ],
      {
        log(line) {
          lines.push(line)
          controller.abort(new Error('interrupted by SIGINT'))
        },
        signal: controller.signal,
      },
    )
    await expect(starting).rejects.toThrow('interrupted by SIGINT')
    const [pid] = pidsIn(lines)
    expect(processAlive(pid!)).toBe(false)
  })

  it('kills every live process group synchronously for the exit handler', async () => {
    running = await startServices([service({command: SERVER, ready: {log: 'listening', timeoutMs: 20_000}})])
    const pid = running.info.demo!.pid!
    killAllServicesSync()
    await expect.poll(() => processAlive(pid), {timeout: 10_000}).toBe(false)
  })
})
