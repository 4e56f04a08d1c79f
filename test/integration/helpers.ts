import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
export const GATE_BIN = path.join(ROOT, 'bin', 'run.js')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

/** A throw-away project: a temp dir with gates/NAME.yaml files; removed by cleanup(). */
export function makeProject(gates: Record<string, string>): {dir: string; cleanup(): void} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-it-'))
  mkdirSync(path.join(dir, 'gates'))
  for (const [name, text] of Object.entries(gates)) writeFileSync(path.join(dir, 'gates', `${name}.yaml`), text)
  return {cleanup: () => rmSync(dir, {force: true, recursive: true}), dir}
}

/** Starts the built CLI; the caller may signal the child before awaiting `done`. */
export function startGate(
  args: string[],
  opts: {cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number},
): {child: ChildProcess; done: Promise<CliResult>} {
  const child = spawn(process.execPath, [GATE_BIN, ...args], {
    cwd: opts.cwd,
    // GitHub Actions' variables are cleared: a CI runner on Actions must not get annotations or step summaries from
    // tests.
    env: {...process.env, GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', NO_COLOR: '1', ...opts.env},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => (stdout += chunk))
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  // Bounded: a hung CLI is killed so the test fails instead of hanging.
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 90_000)
  const done = new Promise<CliResult>((resolve) => {
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stderr, stdout})
    })
  })
  return {child, done}
}

export function runGate(
  args: string[],
  opts: {cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number},
): Promise<CliResult> {
  return startGate(args, opts).done
}

export function readJson(file: string): any {
  return JSON.parse(readFileSync(file, 'utf8'))
}

/**
 * True while the process runs: not gone and not a zombie (PID 1 here may never reap one); kill(0) where there is no
 * /proc.
 */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z'
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync('/proc/self/stat')) return false
  }

  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/** Waits (bounded) until `predicate` holds; returns whether it did. */
export async function waitFor(predicate: () => boolean, timeoutMs = 20_000, stepMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (predicate()) return true
    await new Promise((resolve) => setTimeout(resolve, stepMs))
  }
  return predicate()
}
