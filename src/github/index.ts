// What the commands call: post the pull-request comment (`gate comment`), and publish a finished run to
// GitHub Actions (`gate check --github`: step summary, annotations, optional check run).
import {createRedactor} from '../redact.js'
import type {RunResults} from '../results/types.js'
import {targetAnnotations} from './annotations.js'
import {CHECK_RUN_SUMMARY_LIMIT, commentMarker, renderComment} from './comment-body.js'
import {type CommentOutcome, movedOn, upsertComment} from './comments.js'
import {createCheckRun} from './check-run.js'
import {createGitHubClient} from './client.js'
import {
  findPullRequest,
  headShaFrom,
  noPullRequest,
  pullRequestFrom,
  pullRequestFromFile,
  targetFrom,
  workflowRunHeadSha,
} from './context.js'
import {gitHubFailure} from './errors.js'
import {appendStepSummary} from './step-summary.js'
import {annotation} from './workflow-commands.js'

export {commentMarker, renderComment} from './comment-body.js'
export {GitHubError} from './errors.js'

export interface CommentOptions {
  env: NodeJS.ProcessEnv
  /** --pr; otherwise the pull request of GITHUB_EVENT_PATH. */
  pr?: number
  /** --pr-file: the number the pull_request job wrote into the results artifact (fork pull requests). */
  prFile?: string
  /** --repo; otherwise GITHUB_REPOSITORY. */
  repo?: string
  /** --skip-without-pr: an event without a pull request (push, schedule) posts nothing and is no error. */
  skipWithoutPr?: boolean
  userAgent: string
  warn(message: string): void
}

export interface PostedComment extends CommentOutcome {
  repository: string
  pr: number
}

/** Posts or updates this gate's one comment on the pull request; throws GitHubError (exit 2) with what to fix. */
export async function postComment(
  results: RunResults,
  options: CommentOptions,
): Promise<PostedComment | {skipped: string}> {
  const named = options.pr ?? (options.prFile === undefined ? undefined : pullRequestFromFile(options.prFile))
  if (options.skipWithoutPr && findPullRequest(named, options.env) === undefined)
    return {skipped: `no pull request to comment on: ${noPullRequest(options.env)}`}
  const pr = pullRequestFrom(named, options.env)
  const target = targetFrom(options.env, options.repo)
  const {owner, repo} = target
  const client = await createGitHubClient({...target, userAgent: options.userAgent, warn: options.warn})
  // A number from an artifact is only as trustworthy as the fork's job that wrote it: check it against the run.
  const measured = options.prFile === undefined ? undefined : workflowRunHeadSha(options.env)
  try {
    const moved = measured && (await movedOn(client, {owner, pr, repo}, measured))
    if (moved) return {skipped: moved}
    const outcome = await upsertComment(
      client,
      {issue: pr, owner, repo},
      commentMarker(results.gate.name),
      renderComment(results),
    )
    // What the API answers is printed: an html_url that echoes the token must not show it.
    return createRedactor([target.token]).deep({...outcome, pr, repository: `${owner}/${repo}`})
  } catch (error) {
    throw gitHubFailure(
      error,
      {
        apiUrl: target.apiUrl,
        doing: `posting the comment on ${owner}/${repo}#${pr}`,
        permission: 'pull-requests: write (and issues: write)',
      },
      target.token,
    )
  }
}

export interface PublishOptions {
  /** --github: step summary and annotations. */
  github: boolean
  /** --check-run: also create a Check Run. */
  checkRun: boolean
  cwd: string
  env: NodeJS.ProcessEnv
  userAgent: string
  /** stderr: annotations and notes go there, so stdout stays the report or the JSON. */
  write(line: string): void
}

/**
 * Publishes a finished run to GitHub Actions. A problem here is reported (as an annotation too) but never
 * changes the run's exit code: that is the gate's decision, and the results are already saved.
 */
export async function publishRun(results: RunResults, options: PublishOptions): Promise<void> {
  const {env, write} = options
  const problem = (message: string) =>
    write(options.github ? annotation('warning', message, {title: 'phasegate'}) : `warning: ${message}`)
  if (options.github) {
    for (const line of targetAnnotations(results, {cwd: options.cwd, workspace: env.GITHUB_WORKSPACE})) write(line)
    if (env.GITHUB_STEP_SUMMARY) {
      try {
        appendStepSummary(env.GITHUB_STEP_SUMMARY, results)
      } catch (error) {
        problem(`could not append the report to GITHUB_STEP_SUMMARY: ${(error as Error).message}`)
      }
    } else write('note: GITHUB_STEP_SUMMARY is not set, so no step summary was written')
  }
  if (!options.checkRun) return
  try {
    write(`check run: ${(await publishCheckRun(results, options)).url}`)
  } catch (error) {
    problem(`no check run: ${(error as Error).message}`)
  }
}

/** Creates the run's Check Run on the commit under test; throws UserError (GitHubError) with what to fix. */
async function publishCheckRun(results: RunResults, options: PublishOptions): Promise<{url: string}> {
  const target = targetFrom(options.env)
  const {owner, repo} = target
  const headSha = headShaFrom(options.env)
  const client = await createGitHubClient({
    ...target,
    userAgent: options.userAgent,
    warn: (m) => options.write(`warning: ${m}`),
  })
  try {
    return createRedactor([target.token]).deep(
      await createCheckRun(client, {headSha, owner, repo}, results, renderComment(results, CHECK_RUN_SUMMARY_LIMIT)),
    )
  } catch (error) {
    throw gitHubFailure(
      error,
      {
        apiUrl: target.apiUrl,
        doing: `creating the check run on ${owner}/${repo}@${headSha.slice(0, 12)}`,
        permission: 'checks: write',
      },
      target.token,
    )
  }
}
