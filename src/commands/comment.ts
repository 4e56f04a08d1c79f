import {Args, Flags} from '@oclif/core'
import path from 'node:path'

import {GateCommand} from '../base-command.js'
import {postComment, type PostedComment, renderComment} from '../github/index.js'
import {loadResults} from '../results/store.js'

export default class Comment extends GateCommand {
  static override summary = 'Post a saved run to its pull request as one comment per gate, updated in place.'
  static override description =
    `Renders the run (decision, consensus, the deciding rule, one row per target, the ` +
    `full report collapsed) and posts it to the pull request. The comment starts with a hidden marker, <!-- ` +
    `phasegate:GATE -->: later runs of the same gate find it, on any page of the conversation, and edit it instead ` +
    `of adding another — only a comment the token's own identity wrote (GET /user; github-actions[bot] for ` +
    `GITHUB_TOKEN), so a marker someone else planted is never edited.\n\n` +
    'Needs GITHUB_TOKEN with pull-requests: write (and issues: write), GITHUB_REPOSITORY (or --repo), and the ' +
    'pull request from GITHUB_EVENT_PATH (or --pr). GITHUB_API_URL points at GitHub Enterprise Server. Exit 0 ' +
    'when the comment is posted, 2 when GitHub refuses (the message says which permission or setting to fix).'
  static override examples = [
    {description: 'In a pull-request workflow, after `gate check`', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Comment a given run on pull request 42',
      command: '<%= config.bin %> <%= command.id %> phase-2-20261123T174132Z --pr 42 --repo octo-org/octo-repo',
    },
    {
      description: 'In a workflow_run job, with the results artifact of a pull request from a fork',
      command:
        '<%= config.bin %> <%= command.id %> artifact/phase-2-20261123T174132Z.json --pr-file artifact/pull-request',
    },
    {
      description: 'Print the comment body instead of posting it',
      command: '<%= config.bin %> <%= command.id %> --dry-run',
    },
  ]
  static override enableJsonFlag = true
  static override args = {
    run: Args.string({description: 'Run id, results file, or "latest".', default: 'latest'}),
  }
  static override flags = {
    'dry-run': Flags.boolean({description: 'Print the comment body to stdout; talk to nobody.'}),
    pr: Flags.integer({description: 'Pull request number (default: the one in $GITHUB_EVENT_PATH).', min: 1}),
    'pr-file': Flags.file({
      description:
        'File holding the pull request number, written into the results artifact by the pull_request job. For ' +
        "workflow_run jobs, whose event names no pull request from a fork; checked against the run's head commit.",
      exclusive: ['pr'],
    }),
    repo: Flags.string({description: 'Repository as owner/name.', env: 'GITHUB_REPOSITORY'}),
    'skip-without-pr': Flags.boolean({
      description: 'When the event names no pull request (push, schedule), post nothing and exit 0.',
    }),
  }

  async run(): Promise<PostedComment | {body: string} | {skipped: string}> {
    const {args, flags} = await this.parse(Comment)
    const {results} = loadResults(args.run, path.resolve(flags.cwd))
    if (flags['dry-run']) {
      const body = renderComment(results)
      if (!this.jsonEnabled()) process.stdout.write(body)
      return {body}
    }
    const warn = (message: string) => process.stderr.write(`warning: ${message}\n`)
    const posted = await postComment(results, {
      env: process.env,
      pr: flags.pr,
      prFile: flags['pr-file'],
      repo: flags.repo,
      skipWithoutPr: flags['skip-without-pr'],
      userAgent: `phasegate/${this.config.version}`,
      warn,
    })
    if (!this.jsonEnabled())
      process.stderr.write(
        'skipped' in posted
          ? `${posted.skipped}; nothing posted\n`
          : `${posted.action} comment ${posted.id} on ${posted.repository}#${posted.pr}: ${posted.url}\n`,
      )
    return posted
  }
}
