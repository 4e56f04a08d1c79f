// Where to publish, from the variables a GitHub Actions runner sets (or the flags that override them).
import {readFileSync} from 'node:fs'

import {UserError} from '../errors.js'

export const DEFAULT_API_URL = 'https://api.github.com'

export interface Repository {
  owner: string
  repo: string
}

export interface GitHubTarget extends Repository {
  token: string
  /** REST API root: GITHUB_API_URL, for GitHub Enterprise Server; https://api.github.com otherwise. */
  apiUrl: string
}

/** Token, repository (--repo, else GITHUB_REPOSITORY) and API root: everything a call to GitHub needs. */
export function targetFrom(env: NodeJS.ProcessEnv, repo?: string): GitHubTarget {
  return {
    ...repositoryFrom(repo ?? env.GITHUB_REPOSITORY),
    apiUrl: apiUrlFrom(env.GITHUB_API_URL),
    token: tokenFrom(env),
  }
}

/** The parts of an event payload ($GITHUB_EVENT_PATH) that name a pull request and its head commit. */
interface EventPayload {
  number?: unknown
  pull_request?: {number?: unknown; head?: {sha?: unknown}}
  issue?: {number?: unknown; pull_request?: unknown}
  workflow_run?: {head_sha?: unknown; pull_requests?: Array<{number?: unknown}>}
}

const TOKEN_HELP =
  'in a workflow step set `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`; locally export a token that can write ' +
  'to the repository'

/** GITHUB_TOKEN: required for anything that talks to GitHub; it is only ever sent in the Authorization header. */
export function tokenFrom(env: NodeJS.ProcessEnv): string {
  const token = env.GITHUB_TOKEN?.trim()
  if (!token) throw new UserError(`GITHUB_TOKEN is not set: ${TOKEN_HELP}.`)
  return token
}

/** "owner/name" from --repo or GITHUB_REPOSITORY. */
export function repositoryFrom(value: string | undefined): Repository {
  if (!value)
    throw new UserError('No repository: set GITHUB_REPOSITORY=owner/name (Actions sets it) or pass --repo owner/name.')
  const match = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(value.trim())
  if (!match) throw new UserError(`--repo / GITHUB_REPOSITORY "${value}" is not owner/name, e.g. octo-org/octo-repo.`)
  return {owner: match[1]!, repo: match[2]!}
}

/** The REST API root without a trailing slash; only http(s). */
export function apiUrlFrom(value: string | undefined): string {
  const text = value?.trim() || DEFAULT_API_URL
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new UserError(
      `GITHUB_API_URL "${text}" is not a URL; leave it unset for github.com, or use e.g. ` +
        `https://github.example.com/api/v3.`,
    )
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UserError(`GITHUB_API_URL must be an http(s) URL, got ${url.protocol}`)
  return text.replace(/\/+$/, '')
}

/** The pull request to comment on: --pr, else the event that started the workflow; undefined when it names none. */
export function findPullRequest(flag: number | undefined, env: NodeJS.ProcessEnv): number | undefined {
  if (flag !== undefined) return flag
  const event = readEvent(env)
  const candidates = [
    event?.pull_request?.number,
    event?.issue?.pull_request ? event.issue.number : undefined,
    event?.workflow_run?.pull_requests?.[0]?.number,
  ]
  return candidates.find((n): n is number => Number.isInteger(n) && (n as number) > 0)
}

/**
 * The pull request number a pull_request job wrote into the results artifact: a workflow_run job needs it because
 * GitHub leaves workflow_run.pull_requests empty for pull requests from forks.
 */
export function pullRequestFromFile(file: string): number {
  const where = `--pr-file ${file}`
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new UserError(
      `${where} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): the ` +
        'pull_request job writes the number into the results artifact; see docs/workflows/pull-request.yml',
    )
  }
  if (!/^[1-9]\d{0,9}$/.test(text.trim()))
    throw new UserError(`${where} holds ${JSON.stringify(text.trim().slice(0, 40))}, not a pull request number`)
  return Number(text.trim())
}

/** The commit a workflow_run event's run measured; undefined for any other event. */
export function workflowRunHeadSha(env: NodeJS.ProcessEnv): string | undefined {
  const sha = readEvent(env)?.workflow_run?.head_sha
  return typeof sha === 'string' && /^[0-9a-f]{40}$/i.test(sha) ? sha : undefined
}

/** Like findPullRequest, for when there must be one. */
export function pullRequestFrom(flag: number | undefined, env: NodeJS.ProcessEnv): number {
  const number = findPullRequest(flag, env)
  if (number !== undefined) return number
  throw new UserError(
    `No pull request to comment on: ${noPullRequest(env)}. Pass --pr N, or run on pull_request events.`,
  )
}

/** "the push event names none", for messages. */
export function noPullRequest(env: NodeJS.ProcessEnv): string {
  return env.GITHUB_EVENT_NAME
    ? `the ${env.GITHUB_EVENT_NAME} event names none`
    : env.GITHUB_EVENT_PATH
      ? 'the event in GITHUB_EVENT_PATH names none'
      : 'GITHUB_EVENT_PATH is not set'
}

/**
 * The commit a check run belongs to: the pull request's head (GITHUB_SHA is the merge commit there), else GITHUB_SHA.
 */
export function headShaFrom(env: NodeJS.ProcessEnv): string {
  const event = readEvent(env)
  const sha = [event?.pull_request?.head?.sha, event?.workflow_run?.head_sha, env.GITHUB_SHA].find(
    (s): s is string => typeof s === 'string' && /^[0-9a-f]{40}$/i.test(s),
  )
  if (!sha)
    throw new UserError('No commit for the check run: GITHUB_SHA is not set and the event names no head commit.')
  return sha
}

function readEvent(env: NodeJS.ProcessEnv): EventPayload | undefined {
  const file = env.GITHUB_EVENT_PATH
  if (!file) return undefined
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new UserError(`GITHUB_EVENT_PATH ${file} cannot be read: ${(error as Error).message}`)
  }
  try {
    const payload: unknown = JSON.parse(text)
    return payload !== null && typeof payload === 'object' ? (payload as EventPayload) : undefined
  } catch {
    throw new UserError(`GITHUB_EVENT_PATH ${file} is not JSON.`)
  }
}
