import {mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {expect} from 'vitest'

import {type CliResult, ROOT, runGate} from '../helpers.js'
import {REPOSITORY} from './github-api.js'

/** A token shaped like an installation token; any output, log or file that contains it has leaked it. */
export const TOKEN = 'ghs_phasegateTest0Token0That0Must0Never0Leak'
export const HEAD_SHA = 'c0ffee0000000000000000000000000000000001'
export const PR = 7

export const FIXTURE = (name: string) => path.join(ROOT, 'test', 'fixtures', 'results', `${name}.json`)

/** A scratch directory with a pull_request event payload, like the one a runner writes. */
export function scratch(): {dir: string; eventFile: string; cleanup(): void} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-github-'))
  const eventFile = path.join(dir, 'event.json')
  writeFileSync(
    eventFile,
    JSON.stringify({action: 'synchronize', number: PR, pull_request: {head: {sha: HEAD_SHA}, number: PR}}),
  )
  return {cleanup: () => rmSync(dir, {force: true, recursive: true}), dir, eventFile}
}

/** The variables a runner sets for a pull_request job, pointed at the local API. */
export function actionsEnv(apiUrl: string, eventFile: string): NodeJS.ProcessEnv {
  return {
    GITHUB_ACTIONS: '',
    GITHUB_API_URL: apiUrl,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: eventFile,
    GITHUB_REPOSITORY: REPOSITORY,
    GITHUB_SHA: 'f00d000000000000000000000000000000000002',
    GITHUB_STEP_SUMMARY: '',
    GITHUB_TOKEN: TOKEN,
    GITHUB_WORKSPACE: '',
  }
}

/** Runs the real CLI and fails the test if the token shows up in anything it printed. */
export async function gate(args: string[], opts: {cwd: string; env: NodeJS.ProcessEnv}): Promise<CliResult> {
  const result = await runGate(args, {...opts, timeoutMs: 60_000})
  expect(result.stdout, 'the token leaked to stdout').not.toContain(TOKEN)
  expect(result.stderr, 'the token leaked to stderr').not.toContain(TOKEN)
  return result
}

/** Every file under `dir` (results, reports, summaries): none may hold the token. */
export function filesHolding(dir: string, secret: string): string[] {
  const found: string[] = []
  const walk = (at: string) => {
    for (const entry of readdirSync(at)) {
      const file = path.join(at, entry)
      if (statSync(file).isDirectory()) walk(file)
      else if (readFileSync(file, 'utf8').includes(secret)) found.push(file)
    }
  }
  walk(dir)
  return found
}
