// The fork pull-request path of docs/workflows end to end: the pull_request job's step that fills the artifact,
// the artifact carried to the workflow_run job as upload/download-artifact would, and that job's comment step,
// each run as the runner runs it (composite-action.ts), against the local GitHub stand-in.
import {cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {parse} from 'yaml'
import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {commentMarker} from '../../../src/github/comment-body.js'
import {ROOT} from '../helpers.js'
import {bash, expand} from './composite-action.js'
import {FakeGitHub, REPOSITORY} from './github-api.js'
import {actionsEnv, FIXTURE, HEAD_SHA, PR, TOKEN} from './helpers.js'

interface WorkflowStep {
  name?: string
  uses?: string
  run?: string
  env?: Record<string, string>
  with?: Record<string, string>
}

interface Workflow {
  name: string
  on: {workflow_run?: {workflows: string[]; types: string[]}}
  jobs: Record<string, {steps: WorkflowStep[]}>
}

const workflow = (file: string) => parse(readFileSync(path.join(ROOT, 'docs', 'workflows', file), 'utf8')) as Workflow
const PULL_REQUEST = workflow('pull-request.yml')
const COMMENT = workflow('pull-request-comment.yml')
const step = (wf: Workflow, job: string, match: (s: WorkflowStep) => boolean | undefined) => {
  const found = wf.jobs[job]!.steps.find(match)
  if (!found) throw new Error(`${wf.name}: job ${job} has no such step`)
  return found
}

describe('a pull request from a fork, commented by the workflow_run job', () => {
  let api: FakeGitHub
  let temp: string
  /** The pull_request job's runner, the artifact store and the workflow_run job's runner. */
  let dirs: {prRunner: string; store: string; commentRunner: string; workspace: string}

  beforeAll(async () => {
    api = await FakeGitHub.start(TOKEN)
  })
  afterAll(async () => {
    await api?.close()
  })
  beforeEach(() => {
    api.reset()
    temp = mkdtempSync(path.join(os.tmpdir(), 'phasegate-fork-'))
    dirs = {
      commentRunner: path.join(temp, 'comment-runner'),
      prRunner: path.join(temp, 'pr-runner'),
      store: path.join(temp, 'artifacts'),
      workspace: path.join(temp, 'workspace'),
    }
    for (const dir of Object.values(dirs)) mkdirSync(dir)
    return () => rmSync(temp, {force: true, recursive: true})
  })

  /** Runs one `run:` step with its env expanded in `scope`, as the runner does. */
  async function runStep(s: WorkflowStep, scope: Record<string, unknown>, cwd: string, env: NodeJS.ProcessEnv) {
    const script = path.join(temp, `step-${Math.random().toString(36).slice(2)}.sh`)
    writeFileSync(script, expand(s.run!, scope))
    const stepEnv = Object.fromEntries(Object.entries(s.env ?? {}).map(([k, v]) => [k, expand(String(v), scope)]))
    return bash(script, cwd, {HOME: process.env.HOME, NO_COLOR: '1', PATH: process.env.PATH, ...env, ...stepEnv})
  }

  /** The pull_request job after `gate check` wrote its results: the artifact step, then upload-artifact. */
  async function pullRequestJob(): Promise<void> {
    const results = path.join(dirs.prRunner, 'phase-2-20261206T080000Z.json')
    cpSync(FIXTURE('proceed'), results)
    const scope = {
      github: {event: {pull_request: {number: PR}}},
      runner: {temp: dirs.prRunner},
      steps: {gate: {outputs: {results}}},
    }
    const fill = step(PULL_REQUEST, 'gate', (s) => s.name?.includes('pull request number'))
    const filled = await runStep(fill, scope, dirs.workspace, {})
    expect(filled.code, filled.stderr).toBe(0)
    const upload = step(PULL_REQUEST, 'gate', (s) => s.uses?.startsWith('actions/upload-artifact'))
    cpSync(expand(upload.with!.path!, scope), path.join(dirs.store, upload.with!.name!), {recursive: true})
  }

  /** The workflow_run job on the base repository's checkout (ROOT): download-artifact, then the comment step. */
  async function commentJob(event: object) {
    const eventFile = path.join(temp, 'workflow_run.json')
    writeFileSync(eventFile, JSON.stringify(event))
    const scope = {github: {event, token: TOKEN}, runner: {temp: dirs.commentRunner}}
    const download = step(COMMENT, 'comment', (s) => s.uses?.startsWith('actions/download-artifact'))
    cpSync(path.join(dirs.store, download.with!.name!), expand(download.with!.path!, scope), {recursive: true})
    const post = step(COMMENT, 'comment', (s) => s.run?.includes('comment'))
    return runStep(post, scope, ROOT, {
      ...actionsEnv(api.url, eventFile),
      GITHUB_EVENT_NAME: 'workflow_run',
      GITHUB_TOKEN: '',
    })
  }

  const workflowRun = (headSha = HEAD_SHA) => ({
    action: 'completed',
    workflow_run: {
      conclusion: 'success',
      event: 'pull_request',
      head_repository: {full_name: 'fork-owner/octo-repo'},
      head_sha: headSha,
      id: 4242,
      // What GitHub sends for a pull request from a fork.
      pull_requests: [],
    },
  })

  it('the workflow_run job listens to the pull_request workflow and downloads the artifact it uploads', () => {
    expect(COMMENT.on.workflow_run).toEqual({types: ['completed'], workflows: [PULL_REQUEST.name]})
    const upload = step(PULL_REQUEST, 'gate', (s) => s.uses?.startsWith('actions/upload-artifact'))
    const download = step(COMMENT, 'comment', (s) => s.uses?.startsWith('actions/download-artifact'))
    expect(download.with).toMatchObject({name: upload.with!.name, 'run-id': '${{ github.event.workflow_run.id }}'})
  })

  it('posts the comment on the pull request named in the artifact, after checking its head is the run', async () => {
    api.pulls.set(PR, HEAD_SHA)
    await pullRequestJob()
    const artifact = readdirSync(path.join(dirs.store, 'phasegate-results')).sort()
    expect(artifact).toEqual(['phase-2-20261206T080000Z.json', 'pull-request'])

    const posted = await commentJob(workflowRun())
    expect(posted.code, posted.stderr).toBe(0)
    expect(posted.stderr).toMatch(new RegExp(`created comment \\d+ on ${REPOSITORY}#${PR}`))
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toContain(`GET /repos/${REPOSITORY}/pulls/${PR}`)
    const [comment] = api.list(REPOSITORY, PR)
    expect(comment!.body.startsWith(`${commentMarker('phase-2')}\n`)).toBe(true)
    expect(comment!.user.login).toBe('github-actions[bot]')
    expect(`${posted.stdout}${posted.stderr}`).not.toContain(TOKEN)
  })

  it('posts nothing when the pull request moved on (or the number names another): says why, exits 0', async () => {
    api.pulls.set(PR, 'beef000000000000000000000000000000000003')
    await pullRequestJob()
    const skipped = await commentJob(workflowRun())
    expect(skipped.code, skipped.stderr).toBe(0)
    expect(skipped.stderr).toContain(
      `pull request #${PR}'s head is beef00000000, not ${HEAD_SHA.slice(0, 12)}, the commit the workflow run measured`,
    )
    expect(skipped.stderr).toContain('nothing posted')
    expect(api.requests.filter((r) => r.method !== 'GET')).toEqual([])
  })

  it('an artifact whose number is no number is refused, naming the file; GitHub is not asked', async () => {
    await pullRequestJob()
    writeFileSync(path.join(dirs.store, 'phasegate-results', 'pull-request'), '7; echo pwned\n')
    const refused = await commentJob(workflowRun())
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/--pr-file \S+\/pull-request holds "7; echo pwned", not a pull request number/)
    expect(refused.stderr).not.toMatch(/\n\s+at /)
    expect(api.requests).toEqual([])
  })
})
