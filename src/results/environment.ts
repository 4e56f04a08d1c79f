import {execFile, execFileSync} from 'node:child_process'
import os from 'node:os'

import type {RunResults} from './types.js'

type Environment = RunResults['environment']
type GitState = Environment['git']

const GIT_TIMEOUT_MS = 5000
const GIT_QUERIES = [
  ['rev-parse', 'HEAD'],
  ['rev-parse', '--abbrev-ref', 'HEAD'],
  ['status', '--porcelain', '--untracked-files=no'],
] as const

/** Where the run happened, so a reader can judge whether two runs are comparable. */
export function describeEnvironment(cwd: string, env: NodeJS.ProcessEnv): Environment {
  return environmentWith(gitStateOf(GIT_QUERIES.map((args) => gitSync(cwd, args))), env)
}

/**
 * The environment read while the run goes on: git's three queries run in the background from the start, so their
 * ~15 ms each is not added to a short run. `now()` answers at once whenever it is asked (an interrupted run asks
 * early): git's answers once they are in, otherwise they are read synchronously.
 */
export function readEnvironment(cwd: string, env: NodeJS.ProcessEnv): {ready: Promise<void>; now(): Environment} {
  let git: GitState | undefined
  const ready = Promise.all(GIT_QUERIES.map((args) => gitAsync(cwd, args))).then((answers) => {
    git = gitStateOf(answers)
  })
  return {now: () => (git === undefined ? describeEnvironment(cwd, env) : environmentWith(git, env)), ready}
}

function environmentWith(git: GitState, env: NodeJS.ProcessEnv): Environment {
  const cpus = os.cpus()
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpu: {model: cpus[0]?.model.trim() ?? 'unknown', count: cpus.length},
    memoryBytes: os.totalmem(),
    git,
    ci: env.CI === 'true' || env.CI === '1',
  }
}

/** The commit, branch and dirtiness from the answers to GIT_QUERIES; null when this is no repository. */
function gitStateOf([commit, branch, status]: ReadonlyArray<string | null>): GitState {
  if (!commit) return null
  return {commit, branch: branch && branch !== 'HEAD' ? branch : null, dirty: status !== null && status!.length > 0}
}

/** Runs git quietly; null when git is missing or this is not a repository. */
function gitSync(cwd: string, args: readonly string[]): string | null {
  try {
    const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'ignore']
    return execFileSync('git', args, {cwd, encoding: 'utf8', stdio, timeout: GIT_TIMEOUT_MS}).trim()
  } catch {
    return null
  }
}

function gitAsync(cwd: string, args: readonly string[]): Promise<string | null> {
  return new Promise((resolve) => {
    const child = execFile('git', args, {cwd, encoding: 'utf8', timeout: GIT_TIMEOUT_MS}, (error, stdout) =>
      resolve(error ? null : stdout.trim()),
    )
    child.stdin?.end()
  })
}
