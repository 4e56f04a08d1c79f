// Retries and rate limits of the GitHub client, in process against the local GitHub stand-in: how many
// attempts, how long between them, and what the user is told. The CLI tests cover the same client end to end.
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {postComment} from '../../../src/github/index.js'
import {GitHubError} from '../../../src/github/errors.js'
import {loadResults} from '../../../src/results/store.js'
import {error, FakeGitHub, REPOSITORY} from './github-api.js'
import {actionsEnv, FIXTURE, PR, scratch, TOKEN} from './helpers.js'

const COMMENTS = /^\/repos\/octo-org\/octo-repo\/issues\/7\/comments$/
const SECONDARY_LIMIT = 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.'

describe('GitHub client retries and rate limits', () => {
  let api: FakeGitHub
  let work: ReturnType<typeof scratch>
  let warnings: string[]
  const results = loadResults(FIXTURE('proceed'), process.cwd()).results
  // The identity lookup (GET /user) comes before the comments and is no retry.
  const requests = (method: string) => api.requests.filter((r) => r.method === method && r.path !== '/user')

  /** Posts the comment; the outcome, or the GitHubError it failed with, plus everything it logged. */
  async function post(): Promise<{ok: boolean; message: string}> {
    try {
      const posted = await postComment(results, {
        env: actionsEnv(api.url, work.eventFile),
        userAgent: 'phasegate-test',
        warn: (m) => warnings.push(m),
      })
      return {message: JSON.stringify(posted), ok: true}
    } catch (thrown) {
      expect(thrown).toBeInstanceOf(GitHubError)
      return {message: (thrown as Error).message, ok: false}
    } finally {
      expect(warnings.join('\n')).not.toContain(TOKEN)
    }
  }

  beforeAll(async () => {
    api = await FakeGitHub.start(TOKEN)
    work = scratch()
  })
  afterAll(async () => {
    await api?.close()
    work?.cleanup()
  })
  beforeEach(() => {
    api.reset()
    warnings = []
  })

  it('retries a 500 and succeeds when GitHub recovers', async () => {
    api.script('GET', COMMENTS, error(500, 'Server Error'))
    expect(await post()).toMatchObject({ok: true})
    expect(requests('GET')).toHaveLength(2)
    expect(api.list(REPOSITORY, PR)).toHaveLength(1)
  })

  it("waits as long as a 503's Retry-After asks before retrying", async () => {
    // plugin-retry alone would wait 1 s before the first retry; the client honours the server's 2 s.
    api.script('GET', COMMENTS, error(503, 'Service Unavailable', {'retry-after': '2'}))
    expect(await post()).toMatchObject({ok: true})
    const [failed, retried] = requests('GET')
    expect(retried!.at - failed!.at).toBeGreaterThanOrEqual(1900)
  })

  it('gives up on a server that keeps failing after three retries', async () => {
    api.script('GET', COMMENTS, ...Array.from({length: 10}, () => error(502, 'Bad Gateway', {'retry-after': '0'})))
    const outcome = await post()
    expect(outcome.ok).toBe(false)
    expect(requests('GET')).toHaveLength(4)
    expect(outcome.message).toMatch(
      new RegExp(
        String.raw`^GitHub at http:\/\/127\.0\.0\.1:\d+ failed while posting the comment on octo-org\/octo-repo#7, ` +
          String.raw`also on every retry \(502: Bad Gateway`,
      ),
    )
  })

  it('does not wait for a Retry-After longer than a minute', async () => {
    api.script('GET', COMMENTS, error(503, 'Service Unavailable', {'retry-after': '3600'}))
    expect((await post()).ok).toBe(false)
    expect(requests('GET')).toHaveLength(1)
  })

  it('waits out a secondary rate limit (429 with Retry-After), then posts', async () => {
    api.script('POST', COMMENTS, error(429, SECONDARY_LIMIT, {'retry-after': '1'}))
    expect(await post()).toMatchObject({ok: true})
    expect(requests('POST')).toHaveLength(2)
    expect(requests('POST')[1]!.at - requests('POST')[0]!.at).toBeGreaterThanOrEqual(900)
    expect(warnings).toEqual([
      expect.stringMatching(/^GitHub secondary rate limit on POST .*retrying in 1 s \(retry 1 of 2\)$/),
    ])
  })

  it('stops after two rate-limit retries', async () => {
    api.script('GET', COMMENTS, ...Array.from({length: 10}, () => error(429, SECONDARY_LIMIT, {'retry-after': '1'})))
    const outcome = await post()
    expect(outcome.ok).toBe(false)
    expect(requests('GET')).toHaveLength(3)
    expect(outcome.message).toMatch(
      /rate limit stopped posting the comment on octo-org\/octo-repo#7 \(429: You have exceeded a secondary rate limit/,
    )
    expect(warnings.at(-1)).toMatch(/not retrying/)
  })

  it('waits for a primary rate limit to reset, or fails at once when the reset is far away', async () => {
    const resetIn = (seconds: number) => String(Math.floor(Date.now() / 1000) + seconds)
    api.script(
      'GET',
      COMMENTS,
      error(403, 'API rate limit exceeded for installation ID 1.', {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': resetIn(1),
      }),
    )
    expect(await post()).toMatchObject({ok: true})
    expect(requests('GET')).toHaveLength(2)
    expect(warnings[0]).toMatch(/^GitHub rate limit on GET .*retrying in [1-3] s/)

    api.reset()
    api.script(
      'GET',
      COMMENTS,
      error(403, 'API rate limit exceeded for installation ID 1.', {
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': resetIn(3600),
      }),
    )
    const outcome = await post()
    expect(outcome.ok).toBe(false)
    expect(requests('GET')).toHaveLength(1)
    expect(outcome.message).toMatch(/rate limit stopped posting the comment .*run again later/)
  })
})
