// `gate comment` end to end: the real CLI against a local server that behaves like the GitHub REST API.
import {writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {commentMarker} from '../../../src/github/comment-body.js'
import {error, FakeGitHub, REPOSITORY} from './github-api.js'
import {actionsEnv, FIXTURE, filesHolding, gate, PR, scratch, TOKEN} from './helpers.js'

const MARKER = commentMarker('phase-2')
const COMMENTS = /^\/repos\/octo-org\/octo-repo\/issues\/7\/comments$/

describe('gate comment', () => {
  let api: FakeGitHub
  let work: ReturnType<typeof scratch>
  let env: NodeJS.ProcessEnv
  const comment = (args: string[], extra: NodeJS.ProcessEnv = {}) =>
    gate(['comment', ...args], {cwd: work.dir, env: {...env, ...extra}})
  const requests = (method: string) => api.requests.filter((r) => r.method === method)
  const onPullRequest = () => api.list(REPOSITORY, PR)

  beforeAll(async () => {
    api = await FakeGitHub.start(TOKEN)
    work = scratch()
    env = actionsEnv(api.url, work.eventFile)
  })
  afterAll(async () => {
    await api?.close()
    work?.cleanup()
  })
  beforeEach(() => api.reset())

  it('creates the comment on the first run and edits that same comment on the next', async () => {
    api.seed(PR, ['LGTM', 'Could you rebase?'])

    const first = await comment([FIXTURE('proceed'), '--json'])
    expect(first.code, first.stderr).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({action: 'created', pr: PR, repository: REPOSITORY})
    expect(requests('POST')).toHaveLength(1)
    expect(onPullRequest()).toHaveLength(3)
    const ours = onPullRequest()[2]!
    expect(ours.body.startsWith(`${MARKER}\n`)).toBe(true)
    expect(ours.body).toMatch(/✅ PROCEED/)
    // Octokit sends the token only in the Authorization header.
    expect(api.requests.every((r) => r.headers.authorization === `token ${TOKEN}`)).toBe(true)

    const second = await comment([FIXTURE('block-required-fail')])
    expect(second.code, second.stderr).toBe(0)
    expect(second.stderr).toMatch(new RegExp(`updated comment ${ours.id} on ${REPOSITORY}#${PR}`))
    expect(requests('POST')).toHaveLength(1)
    expect(requests('PATCH').map((r) => r.path)).toEqual([`/repos/${REPOSITORY}/issues/comments/${ours.id}`])
    expect(onPullRequest().map((c) => c.body.slice(0, 20))).toEqual(['LGTM', 'Could you rebase?', MARKER.slice(0, 20)])
    expect(onPullRequest()[2]!.body).toMatch(/⛔ BLOCK/)
    expect(onPullRequest()[2]!.body).not.toMatch(/✅ PROCEED/)

    const again = await comment([FIXTURE('block-required-fail')])
    expect(again.code).toBe(0)
    expect(again.stderr).toMatch(/unchanged comment/)
    expect(requests('PATCH')).toHaveLength(1)
  })

  it('finds its marker on page 3 of the conversation and reads no further', async () => {
    api.seed(PR, [
      `${commentMarker('phase-2-extra')}\nanother gate`,
      `quoting: ${MARKER}`,
      ...Array.from({length: 228}, (_, i) => `comment ${i}`),
    ])
    const [mine] = api.seed(PR, [`${MARKER}\nthe last run's comment`], 'github-actions[bot]')
    api.seed(
      PR,
      Array.from({length: 250}, (_, i) => `later ${i}`),
    )

    const r = await comment([FIXTURE('proceed')])
    expect(r.code, r.stderr).toBe(0)
    expect(
      requests('GET')
        .filter((q) => COMMENTS.test(q.path))
        .map((q) => q.query.get('page') ?? '1'),
    ).toEqual(['1', '2', '3'])
    expect(requests('PATCH').map((q) => q.path)).toEqual([`/repos/${REPOSITORY}/issues/comments/${mine!.id}`])
    expect(requests('POST')).toEqual([])
    expect(onPullRequest()).toHaveLength(481)
    expect(onPullRequest().filter((c) => c.body.startsWith(MARKER))).toHaveLength(1)
  })

  it(
    "a marker comment another user wrote is left alone: an Actions token edits only github-actions[bot]'s " + 'own',
    async () => {
      const [hijack] = api.seed(PR, [`${MARKER}\nplanted by someone else`], 'mallory')
      const [ours] = api.seed(PR, [`${MARKER}\nthe last run's comment`], 'github-actions[bot]')
      const r = await comment([FIXTURE('proceed')])
      expect(r.code, r.stderr).toBe(0)
      expect(requests('PATCH').map((q) => q.path)).toEqual([`/repos/${REPOSITORY}/issues/comments/${ours!.id}`])
      expect(onPullRequest().find((c) => c.id === hijack!.id)!.body).toBe(`${MARKER}\nplanted by someone else`)

      api.reset()
      api.seed(PR, [`${MARKER}\nplanted by someone else`], 'mallory')
      const created = await comment([FIXTURE('proceed'), '--json'])
      expect(created.code, created.stderr).toBe(0)
      expect(JSON.parse(created.stdout).action).toBe('created')
      expect(requests('PATCH')).toEqual([])
    },
  )

  it('a 403 says which permissions the token needs, exits 2 and is not retried', async () => {
    api.script('POST', COMMENTS, error(403, 'Resource not accessible by integration'))
    const r = await comment([FIXTURE('proceed')])
    expect(r.code).toBe(2)
    expect(requests('POST')).toHaveLength(1)
    expect(r.stderr).toMatch(
      new RegExp(
        String.raw`GitHub denied posting the comment on octo-org\/octo-repo#7 \(403: Resource not accessible by ` +
          String.raw`integration - https:\/\/docs\.github\.com\/rest\)`,
      ),
    )
    expect(r.stderr).toMatch(/permissions: pull-requests: write \(and issues: write\)/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('a 401 blames the token without printing it, even when the server echoes it back', async () => {
    api.script('GET', COMMENTS, error(401, `Bad credentials: ${TOKEN}`))
    const r = await comment([FIXTURE('proceed')])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      new RegExp(
        String.raw`GitHub refused the token \(401: Bad credentials: \*\*\* - ` +
          String.raw`https:\/\/docs\.github\.com\/rest\).*GITHUB_TOKEN is missing, expired`,
      ),
    )
  })

  it('an html_url that echoes the token is printed with *** in its place, in text and in --json', async () => {
    const echoed = (id: number) => ({
      body: {body: 'x', html_url: `https://github.test/pull/7?token=${TOKEN}#issuecomment-${id}`, id},
      status: 201,
    })
    api.script('POST', COMMENTS, echoed(1), echoed(2))
    // gate() fails the test if the token shows on stdout or stderr.
    const text = await comment([FIXTURE('proceed')])
    expect(text.code, text.stderr).toBe(0)
    expect(text.stderr).toContain(
      'created comment 1 on octo-org/octo-repo#7: https://github.test/pull/7?token=***#issuecomment-1',
    )
    const json = await comment([FIXTURE('proceed'), '--json'])
    expect(json.code, json.stderr).toBe(0)
    expect(JSON.parse(json.stdout).url).toBe('https://github.test/pull/7?token=***#issuecomment-2')
  })

  it("a 404 names the repository, the pull request and the token's access", async () => {
    const r = await comment([FIXTURE('proceed')], {GITHUB_REPOSITORY: 'octo-org/private'})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      new RegExp(
        String.raw`404 \(Not Found - https:\/\/docs\.github\.com\/rest\) while posting the comment on ` +
          String.raw`octo-org\/private#7: the repository or pull request does not exist, or the token cannot see it`,
      ),
    )
  })

  it('--dry-run prints the body it would post and talks to nobody', async () => {
    const r = await comment([FIXTURE('hostile'), '--dry-run'], {GITHUB_TOKEN: ''})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.startsWith(`${commentMarker('evil<gate>&"x"')}\n`)).toBe(true)
    expect(r.stdout).not.toMatch(/<script|<img|(?<!\\)\[link|@(?!&#8203;)/)
    expect(api.requests).toEqual([])

    // What it prints is exactly what it posts.
    const posted = await comment([FIXTURE('hostile')])
    expect(posted.code, posted.stderr).toBe(0)
    expect(onPullRequest()[0]!.body).toBe(r.stdout)
  })

  it('without a pull request it says how to name one; --skip-without-pr makes that a no-op', async () => {
    const push = path.join(work.dir, 'push.json')
    writeFileSync(push, JSON.stringify({after: 'f00d', ref: 'refs/heads/main'}))
    const pushEnv = {GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: push}
    const r = await comment([FIXTURE('proceed')], pushEnv)
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/No pull request to comment on: the push event names none\. Pass --pr N/)

    const skipped = await comment([FIXTURE('proceed'), '--skip-without-pr'], pushEnv)
    expect(skipped.code).toBe(0)
    expect(skipped.stderr).toMatch(/nothing posted/)

    const named = await comment([FIXTURE('proceed'), '--pr', String(PR)], pushEnv)
    expect(named.code, named.stderr).toBe(0)
    expect(onPullRequest()).toHaveLength(1)
  })

  it('without GITHUB_TOKEN it says how to provide one', async () => {
    const r = await comment([FIXTURE('proceed')], {GITHUB_TOKEN: ''})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(
      /GITHUB_TOKEN is not set: in a workflow step set `env: GITHUB_TOKEN: \$\{\{ secrets.GITHUB_TOKEN \}\}`/,
    )
    expect(api.requests).toEqual([])
  })

  it('leaves the token in no file it wrote', () => {
    expect(filesHolding(work.dir, TOKEN)).toEqual([])
  })
})

describe("gate comment with a user's token", () => {
  let api: FakeGitHub
  let work: ReturnType<typeof scratch>
  beforeAll(async () => {
    api = await FakeGitHub.start(TOKEN, 'octocat')
    work = scratch()
  })
  afterAll(async () => {
    await api?.close()
    work?.cleanup()
  })

  it(
    'edits the marker comment that user wrote (GET /user), not an older one by github-actions[bot] or anyone ' + 'else',
    async () => {
      api.seed(PR, [`${MARKER}\nby the bot`], 'github-actions[bot]')
      api.seed(PR, [`${MARKER}\nplanted`], 'mallory')
      const [own] = api.seed(PR, [`${MARKER}\nthe last run's comment`], 'octocat')
      const r = await gate(['comment', FIXTURE('proceed')], {cwd: work.dir, env: actionsEnv(api.url, work.eventFile)})
      expect(r.code, r.stderr).toBe(0)
      expect(api.requests.filter((q) => q.method === 'PATCH').map((q) => q.path)).toEqual([
        `/repos/${REPOSITORY}/issues/comments/${own!.id}`,
      ])
      expect(api.list(REPOSITORY, PR).map((c) => c.body.split('\n')[1])).toEqual([
        'by the bot',
        'planted',
        expect.not.stringContaining('the last run'),
      ])
    },
  )
})
