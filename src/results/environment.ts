import {execFileSync} from 'node:child_process'
import os from 'node:os'

import type {RunResults} from './types.js'

/** Where the run happened, so a reader can judge whether two runs are comparable. */
export function describeEnvironment(cwd: string, env: NodeJS.ProcessEnv): RunResults['environment'] {
  const cpus = os.cpus()
  return {
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
    arch: process.arch,
    cpu: {model: cpus[0]?.model.trim() ?? 'unknown', count: cpus.length},
    memoryBytes: os.totalmem(),
    git: gitState(cwd),
    ci: env.CI === 'true' || env.CI === '1',
  }
}

function gitState(cwd: string): RunResults['environment']['git'] {
  const commit = git(cwd, ['rev-parse', 'HEAD'])
  if (!commit) return null
  const branch = git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD'])
  const status = git(cwd, ['status', '--porcelain', '--untracked-files=no'])
  return {commit, branch: branch && branch !== 'HEAD' ? branch : null, dirty: status !== null && status.length > 0}
}

/** Runs git quietly; null when git is missing or this is not a repository. */
function git(cwd: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000}).trim()
  } catch {
    return null
  }
}
