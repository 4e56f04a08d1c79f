// Runs a composite action's steps the way the GitHub Actions runner does: each `run` step as a script
// file under `bash --noprofile --norc -eo pipefail`, in its working directory, with the step's `env:`
// (expressions expanded), the runner's variables, a fresh GITHUB_OUTPUT per step whose lines become
// `steps.<id>.outputs.*`, and a shared GITHUB_STEP_SUMMARY. A failing step skips the rest, as it does there.
import {spawn} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {parse} from 'yaml'

interface ActionStep {
  id?: string
  shell?: string
  run?: string
  uses?: string
  if?: string
  env?: Record<string, string>
  'working-directory'?: string
}

interface ActionFile {
  inputs: Record<string, {default?: string; required?: boolean}>
  outputs: Record<string, {value: string}>
  runs: {using: string; steps: ActionStep[]}
}

export interface StepRun {
  id: string
  code: number | null
  stdout: string
  stderr: string
}

export interface ActionRun {
  /** Undefined when every step succeeded; otherwise the step that failed the action. */
  failed?: StepRun
  steps: StepRun[]
  outputs: Record<string, string>
  /** Removes RUNNER_TEMP (where the results output points). */
  cleanup(): void
}

export interface RunnerContext {
  /** The directory holding action.yml ($GITHUB_ACTION_PATH). */
  actionPath: string
  workspace: string
  inputs: Record<string, string>
  /** What `${{ github.token }}` expands to. */
  token: string
  /** GITHUB_* variables of the job (event, repository, API URL, step summary). */
  env: NodeJS.ProcessEnv
}

export async function runCompositeAction(context: RunnerContext): Promise<ActionRun> {
  const action = parse(readFileSync(path.join(context.actionPath, 'action.yml'), 'utf8')) as ActionFile
  if (action.runs.using !== 'composite') throw new Error('not a composite action')
  const temp = mkdtempSync(path.join(os.tmpdir(), 'phasegate-runner-'))
  const stepOutputs: Record<string, Record<string, string>> = {}

  const inputs: Record<string, string> = {}
  for (const [name, spec] of Object.entries(action.inputs)) {
    const given = context.inputs[name]
    if (given === undefined && spec.required) throw new Error(`input ${name} is required`)
    inputs[name] =
      given ??
      expand(spec.default ?? '', {
        github: {action_path: context.actionPath, token: context.token},
        inputs: {},
        steps: {},
      })
  }
  for (const name of Object.keys(context.inputs))
    if (!(name in action.inputs)) throw new Error(`unexpected input ${name}`)
  const scope = () => ({github: {action_path: context.actionPath, token: context.token}, inputs, steps: stepOutputs})

  const steps: StepRun[] = []
  let failed: StepRun | undefined
  for (const [index, step] of action.runs.steps.entries()) {
    // This harness runs shell steps only; a `uses:` or `if:` would need the runner's expression engine.
    if (step.uses || step.if || step.shell !== 'bash' || !step.run)
      throw new Error(`step ${index} is not a plain bash run step`)
    const id = step.id ?? `step${index}`
    const script = path.join(temp, `${id}.sh`)
    const output = path.join(temp, `${id}.output`)
    writeFileSync(script, expand(step.run, scope()))
    writeFileSync(output, '')
    const env: NodeJS.ProcessEnv = {
      HOME: process.env.HOME,
      PATH: process.env.PATH,
      ...context.env,
      CI: 'true',
      GITHUB_ACTION_PATH: context.actionPath,
      GITHUB_ACTIONS: 'true',
      GITHUB_OUTPUT: output,
      GITHUB_WORKSPACE: context.workspace,
      RUNNER_TEMP: temp,
      ...Object.fromEntries(
        Object.entries(step.env ?? {}).map(([key, value]) => [key, expand(String(value), scope())]),
      ),
    }
    const cwd = path.resolve(context.workspace, expand(step['working-directory'] ?? '.', scope()))
    const run = {id, ...(await bash(script, cwd, env))}
    steps.push(run)
    stepOutputs[id] = {outputs: readOutputs(output)} as never
    if (run.code !== 0) {
      failed = run
      break
    }
  }
  const outputs = Object.fromEntries(
    Object.entries(action.outputs).map(([name, spec]) => [name, expand(spec.value, scope())]),
  )
  return {cleanup: () => rmSync(temp, {force: true, recursive: true}), failed, outputs, steps}
}

/** `${{ a.b.c }}` for plain property paths, the only expressions the action may use; anything else is an error. */
export function expand(text: string, scope: Record<string, unknown>): string {
  return text.replace(/\$\{\{\s*([^}]*?)\s*\}\}/g, (_, expression: string) => {
    if (!/^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/.test(expression))
      throw new Error(`unsupported expression: ${expression}`)
    let value: unknown = scope
    for (const key of expression.split('.'))
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined
    // The runner expands a missing output or property to an empty string.
    return value === undefined || value === null ? '' : String(value)
  })
}

/** GITHUB_OUTPUT lines: `name=value` and `name<<DELIMITER` … `DELIMITER`. */
function readOutputs(file: string): Record<string, string> {
  const lines = readFileSync(file, 'utf8').split('\n')
  const outputs: Record<string, string> = {}
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const end = lines.indexOf(heredoc[2]!, i + 1)
      if (end < 0) throw new Error(`unterminated ${heredoc[1]} in GITHUB_OUTPUT`)
      outputs[heredoc[1]!] = lines.slice(i + 1, end).join('\n')
      i = end
    } else if (line.includes('=')) outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
  }
  return outputs
}

export function bash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{code: number | null; stdout: string; stderr: string}> {
  return new Promise((resolve, reject) => {
    // Its own process group, so a timeout takes the CLI it started down with it.
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', script], {
      cwd,
      detached: true,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => (stderr += chunk))
    // Bounded: a hung step is killed so the test fails instead of hanging.
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, stderr, stdout})
    })
  })
}
