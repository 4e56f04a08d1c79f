// Helpers for the demo system's tests: build it if needed, run it as a child process, talk to it, check nothing
// outlives it.
import {type ChildProcess, execFileSync, spawn} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {fileURLToPath} from 'node:url'

import {beforeAll, expect} from 'vitest'
import WebSocket from 'ws'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const DEMO = path.join(ROOT, 'demo')
const SERVER = path.join(DEMO, 'dist', 'server.js')
const BUILD_LOCK = path.join(os.tmpdir(), 'phasegate-demo-build.lock')
const STALE_LOCK_MS = 120_000

/**
 * Builds demo/dist when a file is missing or older than its source; a lock keeps test files in parallel workers from
 * building at once.
 */
export async function ensureDemoBuilt(): Promise<void> {
  if (demoBuildIsFresh()) return
  const deadline = Date.now() + STALE_LOCK_MS
  for (;;) {
    try {
      mkdirSync(BUILD_LOCK)
      break
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
      if (Date.now() - statSync(BUILD_LOCK, {throwIfNoEntry: false})!.mtimeMs > STALE_LOCK_MS)
        rmSync(BUILD_LOCK, {force: true, recursive: true})
      if (Date.now() > deadline) throw new Error(`another demo build holds ${BUILD_LOCK}`, {cause: error})
      await sleep(200)
    }
  }

  try {
    if (demoBuildIsFresh()) return
    // tsc's incremental state would not re-emit a deleted output, so a partial dist is rebuilt from scratch.
    rmSync(path.join(DEMO, 'dist', '.tsbuildinfo'), {force: true})
    execFileSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', DEMO], {
      stdio: 'inherit',
    })
  } finally {
    rmSync(BUILD_LOCK, {force: true, recursive: true})
  }
}

function demoBuildIsFresh(): boolean {
  const sources = readdirSync(path.join(DEMO, 'src')).filter((name) => name.endsWith('.ts'))
  const config = statSync(path.join(DEMO, 'tsconfig.json')).mtimeMs
  return sources.every((name) => {
    const output = path.join(DEMO, 'dist', name.replace(/\.ts$/, '.js'))
    if (!existsSync(output)) return false
    const built = statSync(output).mtimeMs
    return built >= statSync(path.join(DEMO, 'src', name)).mtimeMs && built >= config
  })
}

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
}

export interface Demo {
  url: string
  pid: number
  child: ChildProcess
  stdout(): string
  stderr(): string
  exited: Promise<Exit>
  /**
   * SIGTERM (then SIGKILL after a while); resolves with how it ended and which of its children were still alive after.
   */
  stop(signal?: NodeJS.Signals): Promise<Exit & {survivors: number[]}>
}

const running = new Set<Demo>()

/** Starts `node demo/dist/server.js --port 0 ...args` and waits for its listening line. */
export async function startDemo(args: string[] = [], env: Record<string, string> = {}): Promise<Demo> {
  const child = spawn(process.execPath, [SERVER, '--port', '0', ...args], {
    env: {...withoutDemoEnv(process.env), ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  let exit: Exit | undefined
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve((exit = {code, signal}))))
  // '' ends the wait early when the server exits without listening.
  const url = await waitForValue(
    () => /^listening on (http:\/\/\S+)\n/.exec(stdout)?.[1] ?? (exit ? '' : undefined),
    20_000,
  )
  if (!url) {
    child.kill('SIGKILL')
    throw new Error(
      `demo ${exit ? `exited (${exit.code ?? exit.signal})` : 'printed no listening line within 20 s'}:\n${stderr}`,
    )
  }

  const demo: Demo = {
    child,
    exited,
    pid: child.pid!,
    async stop(signal = 'SIGTERM') {
      running.delete(demo)
      const children = childPids(child.pid!)
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const exit = await Promise.race([exited, sleep(15_000, undefined, {ref: false})])
      if (!exit) child.kill('SIGKILL')
      const result = exit ?? (await exited)
      await waitFor(() => children.every((pid) => gone(pid)), 5000)
      return {...result, survivors: children.filter((pid) => !gone(pid))}
    },
    stderr: () => stderr,
    stdout: () => stdout,
    url,
  }
  running.add(demo)
  return demo
}

/** Starts a demo for the enclosing describe block, before its tests; they read it as demo(). */
export function demoFor(args: string[] = [], env: Record<string, string> = {}): () => Demo {
  let demo: Demo | undefined
  beforeAll(async () => {
    demo = await startDemo(args, env)
  })
  return () => demo ?? expect.fail('the demo did not start')
}

/** For afterAll: stops whatever a test left running. */
export async function stopAllDemos(): Promise<void> {
  await Promise.all([...running].map((demo) => demo.stop()))
}

/** The test runner's own DEMO_* settings must not leak into a demo a test configures. */
function withoutDemoEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('DEMO_')))
}

/** Runs the server to completion (for flags that make it refuse to start). */
export async function runDemo(
  args: string[],
  env: Record<string, string> = {},
): Promise<Exit & {stdout: string; stderr: string}> {
  const child = spawn(process.execPath, [SERVER, ...args], {
    env: {...withoutDemoEnv(process.env), ...env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
  const exit = await new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({code, signal})))
  clearTimeout(timer)
  return {...exit, stderr, stdout}
}

/** Gone, or a zombie: PID 1 here does not reap orphans, so a dead grandchild may linger as one. */
export function gone(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch {
    return true
  }

  try {
    return procStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).state === 'Z'
  } catch {
    return true
  }
}

/** Live children of a process, from /proc. */
export function childPids(parent: number): number[] {
  const pids: number[] = []
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = procStat(readFileSync(`/proc/${name}/stat`, 'utf8'))
      if (stat.ppid === parent && stat.state !== 'Z') pids.push(Number(name))
    } catch {
      // The process ended while we looked.
    }
  }

  return pids
}

/** /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces and parentheses. */
function procStat(text: string): {state: string; ppid: number} {
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return {ppid: Number(fields[1]), state: fields[0] ?? ''}
}

export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  stepMs = 25,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await predicate()) return true
    await sleep(stepMs)
  }

  return predicate()
}

async function waitForValue<T>(read: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  let value: T | undefined
  await waitFor(() => (value = read()) !== undefined, timeoutMs)
  return value
}

export interface Response {
  status: number
  headers: Headers
  body: any
  ms: number
}

/** A JSON client for one demo: api.post('/swarms', {name: 'a'}). */
export function client(url: string) {
  const call = async (method: string, route: string, body?: unknown): Promise<Response> => {
    const started = performance.now()
    const response = await fetch(url + route, {
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      headers: body === undefined ? {} : {'content-type': 'application/json'},
      method,
      signal: AbortSignal.timeout(20_000),
    })
    const text = await response.text()
    const json = (response.headers.get('content-type') ?? '').startsWith('application/json')
    return {
      body: json ? JSON.parse(text) : text,
      headers: response.headers,
      ms: performance.now() - started,
      status: response.status,
    }
  }

  return {
    delete: (route: string) => call('DELETE', route),
    get: (route: string) => call('GET', route),
    post: (route: string, body?: unknown) => call('POST', route, body),
    put: (route: string, body?: unknown) => call('PUT', route, body),
  }
}

/** The first `count` messages a dashboard subscriber receives, each with the time it arrived. */
export async function dashboardMessages(
  url: string,
  count: number,
  timeoutMs = 20_000,
): Promise<Array<{data: any; receivedAt: number}>> {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/dashboard/ws`)
  const messages: Array<{data: any; receivedAt: number}> = []
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${messages.length} of ${count} dashboard messages within ${timeoutMs} ms`)),
        timeoutMs,
      )
      ws.on('message', (data) => {
        messages.push({data: JSON.parse(String(data)), receivedAt: Date.now()})
        if (messages.length < count) return
        clearTimeout(timer)
        resolve()
      })
      ws.on('error', (error) => {
        clearTimeout(timer)
        reject(error)
      })
    })
  } finally {
    ws.terminate()
  }

  return messages
}

export type Samples = Map<string, number>

/**
 * Parses Prometheus text exposition (format 0.0.4) strictly: every sample belongs to a family
 * declared by # TYPE before it, histogram buckets are cumulative and end at +Inf == _count.
 * Returns sample → value, keyed like `name` or `name{le="0.5"}`.
 */
export function parsePrometheus(text: string): Samples {
  if (!text.endsWith('\n')) throw new Error('exposition must end with a newline')
  const types = new Map<string, string>()
  const samples: Samples = new Map()
  const sample = new RegExp(
    String.raw`^([a-zA-Z_:][\w:]*)(\{(?:[a-zA-Z_]\w*="(?:[^"\\\n]|\\.)*",?)*\})? ` +
      String.raw`(NaN|[+-]Inf|[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)(?: -?\d+)?$`,
  )
  for (const [index, line] of text.slice(0, -1).split('\n').entries()) {
    const where = `line ${index + 1}: ${line}`
    if (line === '' || (line.startsWith('#') && !/^# (HELP|TYPE) /.test(line))) continue
    const type = /^# TYPE ([a-zA-Z_:][\w:]*) (counter|gauge|histogram|summary|untyped)$/.exec(line)
    if (type) {
      if (types.has(type[1]!)) throw new Error(`${where}: TYPE declared twice`)
      types.set(type[1]!, type[2]!)
      continue
    }

    if (/^# HELP [a-zA-Z_:][\w:]* /.test(line)) continue
    const match = sample.exec(line)
    if (!match) throw new Error(`${where}: not a sample`)
    const [, name, labels = '', value] = match
    const family = types.has(name!) ? name! : name!.replace(/_(bucket|sum|count)$/, '')
    if (!types.has(family)) throw new Error(`${where}: no # TYPE for ${family}`)
    if (samples.has(name + labels)) throw new Error(`${where}: duplicate sample`)
    samples.set(name + labels, Number(value!.replace('Inf', 'Infinity')))
  }

  for (const [family, type] of types) {
    if (type !== 'histogram') continue
    const buckets = [...samples].filter(([key]) => key.startsWith(`${family}_bucket{`))
    const counts = buckets.map(([, count]) => count)
    if (counts.some((count, i) => i > 0 && count < counts[i - 1]!))
      throw new Error(`${family}: buckets are not cumulative`)
    if (buckets.at(-1)?.[0] !== `${family}_bucket{le="+Inf"}`) throw new Error(`${family}: last bucket is not +Inf`)
    if (counts.at(-1) !== samples.get(`${family}_count`)) throw new Error(`${family}: +Inf bucket differs from _count`)
  }

  return samples
}

export async function scrape(url: string): Promise<{samples: Samples; text: string; contentType: string | null}> {
  const response = await fetch(`${url}/metrics`, {signal: AbortSignal.timeout(20_000)})
  const text = await response.text()
  return {contentType: response.headers.get('content-type'), samples: parsePrometheus(text), text}
}
