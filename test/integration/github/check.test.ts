// `gate check --github` end to end: step summary, annotations on the gate file's lines, and a check run
// created on the local GitHub stand-in.
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {commentMarker} from '../../../src/github/comment-body.js'
import {makeProject} from '../helpers.js'
import {error, FakeGitHub} from './github-api.js'
import {actionsEnv, filesHolding, gate, HEAD_SHA, scratch, TOKEN} from './helpers.js'
import {parseWorkflowCommand} from '../../unit/github/runner-commands.js'

/**
 * A required target that FAILs (no process starts in 1 µs), a claim (INCONCLUSIVE) and a missing artifact (NO_DATA).
 */
const TINY = `version: 1
title: Tiny — command, claim and artifact targets
decision: {min_consensus: 0.5, confidence: 0.95, seed: 1}
targets:
  - id: startup
    title: Node starts in under a microsecond
    validator: command
    with: {run: "node -e 0", runs: 2, warmup: 0}
    expect: [max(duration) < 1us]
    required: true

  - id: vendor
    title: "Vendor says: fast, @team"
    validator: claim
    with: {metric: latency, value: 850ms, source: "vendor report"}
    expect: [latency < 1s]

  - id: missing
    title: "Artifact: a file, that is missing"
    validator: artifact
    with: {file: missing.json, format: json, path: x, metric: x}
    expect: [x < 1]
`
/** Only a claim, required: INCONCLUSIVE by rule 2, in no time. */
const QUICK = `version: 1
title: Quick
targets:
  - id: vendor
    validator: claim
    with: {metric: latency, value: 850ms, source: "vendor report"}
    expect: [latency < 1s]
    required: true
`

/** 1-based line of `text` in the gate file: where an annotation must point. */
const lineOf = (yaml: string, text: string) => yaml.split('\n').findIndex((line) => line.includes(text)) + 1

describe('gate check --github', () => {
  let api: FakeGitHub
  let project: ReturnType<typeof makeProject>
  let work: ReturnType<typeof scratch>
  let summary: string
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    api = await FakeGitHub.start(TOKEN)
    project = makeProject({quick: QUICK, tiny: TINY})
    work = scratch()
    summary = path.join(work.dir, 'step-summary.md')
    env = {
      ...actionsEnv(api.url, work.eventFile),
      GITHUB_ACTIONS: 'true',
      GITHUB_STEP_SUMMARY: summary,
      GITHUB_WORKSPACE: project.dir,
    }
  })
  afterAll(async () => {
    await api?.close()
    project?.cleanup()
    work?.cleanup()
  })
  beforeEach(() => {
    api.reset()
    writeFileSync(summary, '## An earlier step\n\n')
  })

  it(
    'in GitHub Actions: appends the report to the step summary, annotates the targets that missed, creates the ' +
      'check run',
    async () => {
      const r = await gate(['check', 'tiny', '--check-run', '--format', 'checklist'], {cwd: project.dir, env})
      // A release step: BLOCK fails it, and the checklist is what it prints.
      expect(r.code, r.stderr).toBe(1)
      expect(r.stdout.split('\n')[0]).toBe('## Release checklist: Tiny — command, claim and artifact targets')
      expect(r.stdout.split('\n').filter((line) => line.startsWith('- ['))).toEqual([
        // Escaped only where Markdown would act, so the log reads it as written.
        expect.stringMatching(
          new RegExp(
            String.raw`^- \[ \] Node starts in under a microsecond: max\(duration\) < 1 µs — measured .*, ` +
              String.raw`confidence 0\.000 \(FAIL, required\)$`,
          ),
        ),
        '- [ ] Vendor says: fast, @\u200bteam: latency < 1 s — measured 850 ms, confidence 0.650 (INCONCLUSIVE)',
        expect.stringMatching(/^- \[ \] Artifact: a file, that is missing — no data: .* \(NO_DATA\)$/),
      ])
      expect(r.stdout).toContain('**Decision:** ⛔ **BLOCK**, decided by rule 1')

      const written = readFileSync(summary, 'utf8')
      expect(
        written.startsWith('## An earlier step\n\n# Gate report: Tiny — command, claim and artifact targets\n'),
      ).toBe(true)
      expect(written).toMatch(/\*\*Decision:\*\* ⛔ \*\*BLOCK\*\*, decided by rule 1/)

      const commands = r.stderr
        .split('\n')
        .filter((line) => line.startsWith('::'))
        .map(parseWorkflowCommand)
      expect(commands).toEqual([
        {
          command: 'error',
          message: expect.stringMatching(
            /^Node starts in under a microsecond: FAIL, max\(duration\) .* vs < 1 µs \(confidence 0\.000, required\)$/,
          ),
          properties: {
            file: 'gates/tiny.yaml',
            line: String(lineOf(TINY, 'id: startup')),
            title: 'phasegate tiny: startup FAIL',
          },
        },
        {
          command: 'warning',
          message: 'Vendor says: fast, @team: INCONCLUSIVE, latency 850 ms vs < 1 s (confidence 0.650)',
          properties: {
            file: 'gates/tiny.yaml',
            line: String(lineOf(TINY, 'id: vendor')),
            title: 'phasegate tiny: vendor INCONCLUSIVE',
          },
        },
        {
          command: 'error',
          message: expect.stringMatching(/^Artifact: a file, that is missing: NO_DATA, no data: .*missing\.json/),
          properties: {
            file: 'gates/tiny.yaml',
            line: String(lineOf(TINY, 'id: missing')),
            title: 'phasegate tiny: missing NO_DATA',
          },
        },
      ])
      // stdout is the checklist: nothing on it a runner could read as a command.
      expect(r.stdout.split('\n').filter((line) => /^\s*::/.test(line))).toEqual([])

      expect(api.checkRuns).toHaveLength(1)
      const run = api.checkRuns[0]
      expect(run).toMatchObject({
        conclusion: 'failure',
        head_sha: HEAD_SHA,
        name: 'phasegate: tiny',
        status: 'completed',
      })
      expect(run.output.title).toMatch(/^BLOCK — consensus 0\.\d+ \(minimum 0\.50\)$/)
      expect(r.stderr).toContain(`check run: ${run.html_url}`)
      // The summary is the pull-request comment for the same run.
      const dryRun = await gate(['comment', '--dry-run'], {cwd: project.dir, env})
      expect(run.output.summary).toBe(dryRun.stdout)
      expect(run.output.summary.startsWith(commentMarker('tiny'))).toBe(true)

      expect(filesHolding(project.dir, TOKEN)).toEqual([])
      expect(readFileSync(summary, 'utf8')).not.toContain(TOKEN)
    },
  )

  it(
    'a check run GitHub refuses is a warning that names checks: write; the exit code stays the ' + "decision's",
    async () => {
      api.script('POST', /\/check-runs$/, error(403, 'Resource not accessible by integration'))
      const r = await gate(['check', 'quick', '--check-run'], {cwd: project.dir, env})
      expect(r.code, r.stderr).toBe(3)
      const warning = r.stderr
        .split('\n')
        .filter((line) => line.startsWith('::warning title=phasegate::'))
        .map(parseWorkflowCommand)
      expect(warning).toEqual([
        {
          command: 'warning',
          message: expect.stringMatching(
            new RegExp(
              String.raw`^no check run: GitHub denied creating the check run on octo-org/octo-repo@c0ffee000000 ` +
                String.raw`\(403: .*permissions: checks: write`,
            ),
          ),
          properties: {title: 'phasegate'},
        },
      ])
      expect(readFileSync(summary, 'utf8')).toMatch(/# Gate report: Quick/)
    },
  )

  it('a check run whose html_url echoes the token is printed with *** in its place', async () => {
    api.script('POST', /\/check-runs$/, {
      body: {html_url: `https://github.test/runs/1?token=${TOKEN}`, id: 1},
      status: 201,
    })
    // gate() fails the test if the token shows on stdout or stderr.
    const r = await gate(['check', 'quick', '--check-run'], {cwd: project.dir, env})
    expect(r.code, r.stderr).toBe(3)
    expect(r.stderr).toContain('check run: https://github.test/runs/1?token=***')
  })

  it('--no-github, or no GITHUB_ACTIONS, writes neither summary nor annotations', async () => {
    for (const run of [
      {args: ['--no-github'], env},
      {args: [], env: {...env, GITHUB_ACTIONS: ''}},
    ]) {
      const r = await gate(['check', 'quick', ...run.args], {cwd: project.dir, env: run.env})
      expect(r.code, r.stderr).toBe(3)
      expect(r.stderr).not.toMatch(/^::/m)
      expect(readFileSync(summary, 'utf8')).toBe('## An earlier step\n\n')
    }
    expect(api.requests).toEqual([])
  })
})
