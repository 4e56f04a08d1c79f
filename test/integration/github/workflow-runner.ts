// Runs one job of a workflow file the way the runner does, step by step, for the steps phasegate's workflows use:
// `run` steps under bash, `uses: ./` through the composite-action harness, actions/cache restore and save against a
// local cache folder (restore-keys pick the newest entry whose key starts with them, as the Actions cache does),
// and `if:` / `${{ }}` expressions with the operators these files use (== != && || ! and always()).
// Checkout, setup-node and upload-artifact need nothing here; `skip` names run steps the test provides for (npm ci).
import {spawnSync} from 'node:child_process'
import {cpSync, existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {parse} from 'yaml'

import {runCompositeAction} from './composite-action.js'

const ORDER = 'saved-keys.json'

interface WorkflowStep {
  id?: string
  name?: string
  if?: string
  uses?: string
  run?: string
  with?: Record<string, unknown>
  env?: Record<string, unknown>
}

export interface JobContext {
  workflow: string
  job: string
  /** The checked-out repository (GITHUB_WORKSPACE); also $GITHUB_ACTION_PATH for `uses: ./`. */
  workspace: string
  /** Where the action for `uses: ./` lives (this repository's root). */
  actionPath: string
  /** The Actions cache: one folder per key, created in order. */
  cacheDir: string
  /** The `github` context: event_name, ref, run_id, run_attempt, repository, event. */
  github: Record<string, unknown>
  /** The job's runner variables (GITHUB_API_URL, GITHUB_EVENT_PATH, …). */
  env: NodeJS.ProcessEnv
  token: string
  skip?: (step: WorkflowStep) => boolean
}

export interface JobStep {
  name: string
  status: 'failure' | 'skipped' | 'success'
  outputs: Record<string, string>
  stdout: string
  stderr: string
}

export async function runJob(context: JobContext): Promise<{failed: boolean; steps: JobStep[]}> {
  const workflow = parse(readFileSync(context.workflow, 'utf8')) as {jobs: Record<string, {steps: WorkflowStep[]}>}
  const steps: JobStep[] = []
  const outputs: Record<string, {outputs: Record<string, string>}> = {}
  let failed = false
  for (const [index, step] of workflow.jobs[context.job]!.steps.entries()) {
    const scope = {github: context.github, steps: outputs}
    const name = step.name ?? step.id ?? step.uses ?? step.run ?? `step ${index}`
    const condition = step.if ?? 'success()'
    const runs = truthy(evaluate(condition.replace(/^\$\{\{(.*)\}\}$/s, '$1'), scope, failed))
    if (!runs || (step.run !== undefined && context.skip?.(step))) {
      steps.push({name, outputs: {}, status: 'skipped', stderr: '', stdout: ''})
      continue
    }

    const inputs = Object.fromEntries(
      Object.entries(step.with ?? {}).map(([key, value]) => [key, expand(String(value), scope, failed)]),
    )
    const done = await runStep(step, inputs, context, scope, failed)
    steps.push({name, ...done})
    if (step.id) outputs[step.id] = {outputs: done.outputs}
    if (done.status === 'failure') failed = true
  }

  return {failed, steps}
}

async function runStep(
  step: WorkflowStep,
  inputs: Record<string, string>,
  context: JobContext,
  scope: Record<string, unknown>,
  failed: boolean,
): Promise<Omit<JobStep, 'name'>> {
  const ok = (outputs: Record<string, string> = {}, stdout = '') => ({
    outputs,
    status: 'success' as const,
    stderr: '',
    stdout,
  })
  const uses = step.uses?.replace(/@.*$/, '')
  if (uses === 'actions/checkout' || uses === 'actions/setup-node' || uses === 'actions/upload-artifact') return ok()
  if (uses === 'actions/cache/restore') {
    const prefixes = [inputs.key!, ...(inputs['restore-keys'] ?? '').split('\n')].filter((key) => key.trim() !== '')
    const entries = savedKeys(context.cacheDir)
    const exact = entries.find((entry) => entry === inputs.key)
    const newest = entries.filter((entry) => prefixes.some((prefix) => entry.startsWith(prefix.trim()))).reverse()
    const hit = exact ?? newest[0]
    if (hit === undefined) return ok({'cache-hit': 'false'}, `Cache not found for input keys: ${prefixes.join(', ')}`)
    cpSync(path.join(context.cacheDir, hit), path.join(context.workspace, inputs.path!), {recursive: true})
    return ok({'cache-hit': String(hit === inputs.key), 'cache-matched-key': hit}, `Cache restored from key: ${hit}`)
  }

  if (uses === 'actions/cache/save') {
    const entry = path.join(context.cacheDir, inputs.key!)
    // A cache entry is immutable: saving an existing key fails, as it does there.
    if (existsSync(entry)) return {outputs: {}, status: 'failure', stderr: `key ${inputs.key} exists`, stdout: ''}
    mkdirSync(context.cacheDir, {recursive: true})
    cpSync(path.join(context.workspace, inputs.path!), entry, {recursive: true})
    writeFileSync(path.join(context.cacheDir, ORDER), JSON.stringify([...savedKeys(context.cacheDir), inputs.key]))
    return ok({}, `Cache saved with key: ${inputs.key}`)
  }

  if (step.uses === './') {
    const run = await runCompositeAction({
      actionPath: context.actionPath,
      env: context.env,
      inputs,
      token: context.token,
      workspace: context.workspace,
    })
    try {
      const stdout = run.steps.map((s) => s.stdout).join('')
      const stderr = run.steps.map((s) => s.stderr).join('')
      return {outputs: run.outputs, status: run.failed ? 'failure' : 'success', stderr, stdout}
    } finally {
      run.cleanup()
    }
  }

  if (step.run !== undefined) {
    const env = Object.fromEntries(
      Object.entries(step.env ?? {}).map(([key, value]) => [key, expand(String(value), scope, failed)]),
    )
    const result = spawnSync(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', expand(step.run, scope, failed)],
      {
        cwd: context.workspace,
        encoding: 'utf8',
        env: {HOME: process.env.HOME, PATH: process.env.PATH, ...context.env, ...env},
        timeout: 60_000,
      },
    )
    return {
      outputs: {},
      status: result.status === 0 ? 'success' : 'failure',
      stderr: result.stderr,
      stdout: result.stdout,
    }
  }

  throw new Error(`this harness does not run ${step.uses ?? 'a step without run or uses'}`)
}

/** The cache's keys in the order they were saved (a file beside the entries). */
function savedKeys(cacheDir: string): string[] {
  const order = path.join(cacheDir, ORDER)
  return existsSync(order) ? (JSON.parse(readFileSync(order, 'utf8')) as string[]) : []
}

/** `${{ expression }}` anywhere in a text, each replaced by its value as a string. */
function expand(text: string, scope: Record<string, unknown>, failed: boolean): string {
  return text.replace(/\$\{\{(.*?)\}\}/gs, (_, expression: string) => {
    const value = evaluate(expression, scope, failed)
    return value === undefined || value === null ? '' : String(value)
  })
}

function truthy(value: unknown): boolean {
  return value !== '' && value !== false && value !== 0 && value !== null && value !== undefined
}

/** The expression language as far as these workflows use it; anything else throws, so a new construct is noticed. */
function evaluate(expression: string, scope: Record<string, unknown>, failed: boolean): unknown {
  const tokens = expression.match(/'(?:[^']|'')*'|==|!=|&&|\|\||!|\(|\)|[A-Za-z_][\w.-]*(?:\(\))?|\S/g) ?? []
  let at = 0
  const peek = () => tokens[at]
  const next = () => tokens[at++]
  const primary = (): unknown => {
    const token = next()
    if (token === undefined) throw new Error(`unexpected end of ${expression}`)
    if (token === '(') {
      const value = or()
      if (next() !== ')') throw new Error(`expected ) in ${expression}`)
      return value
    }
    if (token === '!') return !truthy(primary())
    if (token.startsWith("'")) return token.slice(1, -1).replaceAll("''", "'")
    if (token === 'always()') return true
    if (token === 'success()') return !failed
    if (token === 'failure()') return failed
    if (token === 'true' || token === 'false') return token === 'true'
    if (!/^[A-Za-z_][\w.-]*$/.test(token)) throw new Error(`unsupported token ${token} in ${expression}`)
    let value: unknown = scope
    for (const key of token.split('.'))
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[key] : undefined
    return value ?? ''
  }
  const comparison = (): unknown => {
    let left = primary()
    while (peek() === '==' || peek() === '!=') {
      const equal = next() === '=='
      const right = primary()
      // The runner compares strings case-insensitively.
      const same = String(left).toLowerCase() === String(right).toLowerCase()
      left = equal ? same : !same
    }
    return left
  }
  const and = (): unknown => {
    let left = comparison()
    while (peek() === '&&') {
      next()
      const right = comparison()
      left = truthy(left) ? right : left
    }
    return left
  }
  const or = (): unknown => {
    let left = and()
    while (peek() === '||') {
      next()
      const right = and()
      left = truthy(left) ? left : right
    }
    return left
  }
  const value = or()
  if (at !== tokens.length) throw new Error(`unexpected ${tokens[at]} in ${expression}`)
  return value
}
