import type {GitHubClient} from './client.js'
import type {Repository} from './context.js'

export interface CommentOutcome {
  action: 'created' | 'updated' | 'unchanged'
  id: number
  url: string
}

/** Who GITHUB_TOKEN (an Actions installation token) posts as; such a token may not read GET /user. */
export const ACTIONS_BOT = 'github-actions[bot]'

/**
 * One comment per marker on an issue or pull request: the oldest comment whose body starts with `marker` and that
 * the token's own identity wrote is edited in place, found by reading the comments page by page (oldest first)
 * until it appears; without one, a new comment is created. Anyone can write the marker: only our own is edited.
 */
export async function upsertComment(
  client: GitHubClient,
  where: Repository & {issue: number},
  marker: string,
  body: string,
): Promise<CommentOutcome> {
  const author = await authenticatedLogin(client)
  const params = {issue_number: where.issue, owner: where.owner, per_page: 100, repo: where.repo}
  for await (const page of client.paginate.iterator(
    'GET /repos/{owner}/{repo}/issues/{issue_number}/comments',
    params,
  )) {
    const found = page.data.find((comment) => comment.body?.startsWith(marker) && comment.user?.login === author)
    if (!found) continue
    if (found.body === body) return {action: 'unchanged', id: Number(found.id), url: found.html_url}
    const {data} = await client.request('PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}', {
      body,
      comment_id: Number(found.id),
      owner: where.owner,
      repo: where.repo,
    })
    return {action: 'updated', id: Number(data.id), url: data.html_url}
  }
  const {data} = await client.request('POST /repos/{owner}/{repo}/issues/{issue_number}/comments', {
    body,
    issue_number: where.issue,
    owner: where.owner,
    repo: where.repo,
  })
  return {action: 'created', id: Number(data.id), url: data.html_url}
}

/**
 * Why the pull request's head is not the commit a workflow run measured (undefined when it is): it moved on since,
 * and a newer run will comment, or the number names another pull request.
 */
export async function movedOn(
  client: GitHubClient,
  where: Repository & {pr: number},
  measured: string,
): Promise<string | undefined> {
  const {data} = await client.request('GET /repos/{owner}/{repo}/pulls/{pull_number}', {
    owner: where.owner,
    pull_number: where.pr,
    repo: where.repo,
  })
  if (data.head.sha === measured) return undefined
  return (
    `pull request #${where.pr}'s head is ${data.head.sha.slice(0, 12)}, not ${measured.slice(0, 12)}, the commit ` +
    'the workflow run measured: the pull request moved on (its newer run comments) or the number names another'
  )
}

/**
 * The login the token acts as: GET /user for a user token; an installation token is refused there (403) and posts as
 * github-actions[bot].
 */
async function authenticatedLogin(client: GitHubClient): Promise<string> {
  try {
    return (await client.request('GET /user')).data.login
  } catch (error) {
    if ((error as {status?: unknown}).status === 403) return ACTIONS_BOT
    throw error
  }
}
