import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {retryAfterSeconds} from '../../../src/github/client.js'
import {
  apiUrlFrom,
  findPullRequest,
  headShaFrom,
  pullRequestFrom,
  repositoryFrom,
  tokenFrom,
} from '../../../src/github/context.js'
import {gitHubFailure} from '../../../src/github/errors.js'
import {UserError} from '../../../src/errors.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-context-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

/** GITHUB_EVENT_PATH pointing at `payload`, as a runner writes it. */
function event(payload: unknown, name = 'pull_request'): NodeJS.ProcessEnv {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`)
  writeFileSync(file, typeof payload === 'string' ? payload : JSON.stringify(payload))
  return {GITHUB_EVENT_NAME: name, GITHUB_EVENT_PATH: file}
}

const SHA = (c: string) => c.repeat(40)

describe("the pull request, repository and commit from the runner's variables", () => {
  it('finds the pull request of pull_request, issue_comment and workflow_run events; --pr wins', () => {
    expect(pullRequestFrom(undefined, event({number: 7, pull_request: {number: 7}}))).toBe(7)
    expect(pullRequestFrom(undefined, event({issue: {number: 8, pull_request: {url: 'x'}}}, 'issue_comment'))).toBe(8)
    expect(pullRequestFrom(undefined, event({workflow_run: {pull_requests: [{number: 9}]}}, 'workflow_run'))).toBe(9)
    expect(pullRequestFrom(3, event({pull_request: {number: 7}}))).toBe(3)
  })

  it('an issue comment on an issue, a push or no event is no pull request, and the error says what to pass', () => {
    expect(findPullRequest(undefined, event({issue: {number: 8}}, 'issue_comment'))).toBeUndefined()
    expect(() => pullRequestFrom(undefined, event({ref: 'refs/heads/main'}, 'push'))).toThrow(
      /the push event names none\. Pass --pr N/,
    )
    expect(() => pullRequestFrom(undefined, {})).toThrow(/GITHUB_EVENT_PATH is not set/)
    expect(() => pullRequestFrom(undefined, event('{not json'))).toThrow(/is not JSON/)
    expect(() => pullRequestFrom(undefined, {GITHUB_EVENT_PATH: path.join(dir, 'absent.json')})).toThrow(UserError)
  })

  it("a check run goes on the pull request's head commit, not the merge commit in GITHUB_SHA", () => {
    expect(headShaFrom({...event({pull_request: {head: {sha: SHA('a')}, number: 1}}), GITHUB_SHA: SHA('b')})).toBe(
      SHA('a'),
    )
    expect(headShaFrom({...event({ref: 'refs/heads/main'}, 'push'), GITHUB_SHA: SHA('b')})).toBe(SHA('b'))
    expect(() => headShaFrom({})).toThrow(/No commit for the check run/)
  })

  it('checks the repository, the API URL and the token', () => {
    expect(repositoryFrom('octo-org/octo.repo_1')).toEqual({owner: 'octo-org', repo: 'octo.repo_1'})
    expect(() => repositoryFrom('octo-org')).toThrow(/is not owner\/name/)
    expect(() => repositoryFrom(undefined)).toThrow(/GITHUB_REPOSITORY/)
    expect(apiUrlFrom(undefined)).toBe('https://api.github.com')
    expect(apiUrlFrom('https://ghe.example.com/api/v3/')).toBe('https://ghe.example.com/api/v3')
    expect(() => apiUrlFrom('file:///etc/passwd')).toThrow(/http\(s\)/)
    expect(() => tokenFrom({GITHUB_TOKEN: '  '})).toThrow(/GITHUB_TOKEN is not set/)
  })
})

describe('Retry-After and redaction', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2025-10-09T09:30:00Z')
    expect(retryAfterSeconds('7', now)).toBe(7)
    expect(retryAfterSeconds('Thu, 09 Oct 2025 09:30:05 GMT', now)).toBe(5)
    expect(retryAfterSeconds('Thu, 09 Oct 2025 09:29:00 GMT', now)).toBe(0)
    expect(retryAfterSeconds('soon', now)).toBeUndefined()
    expect(retryAfterSeconds(undefined, now)).toBeUndefined()
  })

  it('keeps the token out of the message when GitHub echoes it', () => {
    const echoed = Object.assign(new Error('Bad credentials: token ghs_abc123 and again ghs_abc123'), {status: 401})
    const failure = gitHubFailure(
      echoed,
      {apiUrl: 'https://api.github.com', doing: 'posting the comment', permission: 'pull-requests: write'},
      'ghs_abc123',
    )
    expect(failure.message).toContain('Bad credentials: token *** and again ***')
    expect(failure.message).not.toContain('ghs_abc123')
  })
})
