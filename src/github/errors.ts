import {UserError} from '../errors.js'
import {createRedactor} from '../redact.js'

/** What was being done and which permission it needs, for a message the user can act on. */
export interface Operation {
  /** "updating the comment on octo-org/octo-repo#7" */
  doing: string
  /** "pull-requests: write (and issues: write)" */
  permission: string
  apiUrl: string
}

/** A GitHub call that failed in a way the user fixes (token, permission, repository, network): exit 2. */
export class GitHubError extends UserError {
  readonly status: number
  constructor(message: string, status: number) {
    super(message)
    this.name = 'GitHubError'
    this.status = status
  }
}

/** Turns what Octokit threw into a GitHubError that says what to do; the token never appears in it. */
export function gitHubFailure(error: unknown, operation: Operation, token: string): GitHubError {
  const {status, detail} = describe(error)
  const said = createRedactor([token]).text(detail)
  const message = (() => {
    switch (status) {
      case 401:
        return (
          `GitHub refused the token (401: ${said}) while ${operation.doing}. GITHUB_TOKEN is missing, expired, ` +
          `revoked or not a token for ${operation.apiUrl}.`
        )
      case 403:
        return rateLimited(said)
          ? `GitHub's rate limit stopped ${operation.doing} (403: ${said}), and waiting was not worth it; run again ` +
              `later.`
          : `GitHub denied ${operation.doing} (403: ${said}). The token lacks permission: give the job ` +
              `\`permissions: ${operation.permission}\` (a fine-grained token needs the same). On pull requests ` +
              `from forks GITHUB_TOKEN is read-only: publish from a workflow_run job instead.`
      case 404:
        return (
          `GitHub answered 404 (${said}) while ${operation.doing}: the repository or pull request does not ` +
          `exist, or the token cannot see it. Check GITHUB_REPOSITORY / --repo and --pr, and that the token has ` +
          `access to the repository with ${operation.permission}.`
        )
      case 429:
        return `GitHub's rate limit stopped ${operation.doing} (429: ${said}) after the retries; run again later.`
      default:
        if (status >= 500 || status === 0)
          return (
            `GitHub at ${operation.apiUrl} failed while ${operation.doing}, also on every retry ` +
            `(${status || 'no response'}: ${said}).`
          )
        return `GitHub refused ${operation.doing} (${status}: ${said}).`
    }
  })()
  return new GitHubError(message, status)
}

function rateLimited(message: string): boolean {
  return /rate limit/i.test(message)
}

function describe(error: unknown): {status: number; detail: string} {
  const e = error as {status?: unknown; message?: unknown; cause?: {message?: unknown}}
  const status = typeof e?.status === 'number' ? e.status : 0
  const message = typeof e?.message === 'string' && e.message ? e.message : String(error)
  // fetch failures keep the reason (ECONNREFUSED, timeout) in `cause`.
  const cause =
    typeof e?.cause?.message === 'string' && !message.includes(e.cause.message) ? ` (${e.cause.message})` : ''
  return {detail: `${message}${cause}`.replace(/\s+/g, ' ').slice(0, 500), status}
}
