import {existsSync, realpathSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {childProcess} from '../lazy.js'
import type {RunResults} from './types.js'

type Environment = RunResults['environment']
type GitState = Environment['git']

const GIT_TIMEOUT_MS = 5000
/** One git call answers all three (commit, branch, dirtiness): each spawn forks this whole process, ~10 ms. */
const GIT_STATUS = ['status', '--porcelain=v2', '--branch', '--untracked-files=no'] as const

/** Where the run happened, so a reader can judge whether two runs are comparable. */
export function describeEnvironment(cwd: string, env: NodeJS.ProcessEnv): Environment {
  return environmentWith(gitStateOf(insideRepository(cwd) ? gitSync(cwd) : null), env)
}

/**
 * The environment read while the run goes on: git runs in the background from the start, so its ~15 ms is not
 * added to a short run. `now()` answers at once whenever it is asked (an interrupted run asks
 * early): git's answers once they are in, otherwise they are read synchronously.
 */
export function readEnvironment(cwd: string, env: NodeJS.ProcessEnv): {ready: Promise<void>; now(): Environment} {
  let git: GitState | undefined
  const ready = (insideRepository(cwd) ? gitAsync(cwd) : Promise.resolve(null)).then((status) => {
    git = gitStateOf(status)
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

/**
 * Whether git could find a repository from cwd: a `.git` (folder, or file for a worktree) there or above, or GIT_DIR
 * naming one. Outside any, git is not started at all: it would only say so, after a fork of this process (~10 ms).
 */
function insideRepository(cwd: string): boolean {
  if (process.env.GIT_DIR) return true
  // From the real folder, as git walks: a link into a repository's subfolder is inside it, wherever the link is.
  let start: string
  try {
    start = realpathSync(cwd)
  } catch {
    return true // git says what is wrong with the folder
  }
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, '.git'))) return true
    if (path.dirname(dir) === dir) return false
  }
}

/**
 * The commit, branch and dirtiness from `git status --porcelain=v2 --branch`: "# branch.oid SHA", "# branch.head NAME"
 * (or "(detached)"), then a line per changed tracked file. Null when this is no repository or has no commit yet.
 */
function gitStateOf(status: string | null): GitState {
  if (status === null) return null
  const lines = status.split('\n')
  const header = (key: string) => lines.find((line) => line.startsWith(`# branch.${key} `))?.slice(key.length + 10)
  const commit = header('oid')
  if (commit === undefined || !/^[0-9a-f]{40,64}$/.test(commit)) return null
  const branch = header('head')
  const dirty = lines.some((line) => line !== '' && !line.startsWith('#'))
  return {commit, branch: branch === undefined || branch === '(detached)' ? null : branch, dirty}
}

/** Runs git status quietly; null when git is missing or this is not a repository. */
function gitSync(cwd: string): string | null {
  try {
    const stdio: Array<'ignore' | 'pipe'> = ['ignore', 'pipe', 'ignore']
    return childProcess().execFileSync('git', GIT_STATUS, {cwd, encoding: 'utf8', stdio, timeout: GIT_TIMEOUT_MS})
  } catch {
    return null
  }
}

function gitAsync(cwd: string): Promise<string | null> {
  return new Promise((resolve) => {
    const child = childProcess().execFile(
      'git',
      GIT_STATUS,
      {cwd, encoding: 'utf8', timeout: GIT_TIMEOUT_MS},
      (error, stdout) => resolve(error ? null : stdout),
    )
    child.stdin?.end()
  })
}
