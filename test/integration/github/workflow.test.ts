// docs/workflows/pull-request.yml run step by step (workflow-runner.ts) on fresh "runners" (a new project folder each
// time, no .gate/), with the real CLI, the local GitHub stand-in for the comment and a local folder as the Actions
// cache: the default branch's pushes save the baseline there and a pull request restores the newest and compares.
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, makeProject} from '../helpers.js'
import {FakeGitHub, REPOSITORY} from './github-api.js'
import {actionsEnv, PR, TOKEN} from './helpers.js'
import {type JobStep, runJob} from './workflow-runner.js'

// Named phase-2 as the workflow expects; measuring `node -e 0` keeps each run to a second or two.
const GATE = `version: 1
title: Phase 2 (stand-in)
targets:
  - id: node-starts
    validator: command
    with: {run: "node -e 0", runs: 5, warmup: 1}
    expect:
      - max(duration) < 1m
      - median(duration) <= baseline * 3
    required: true
`
const BASELINE = '.gate/baseline/phase-2.json'

type Results = {
  targets: Array<{expectations: Array<{expression: string; status: string; reason?: string; baseline?: object}>}>
}

describe('docs/workflows/pull-request.yml', () => {
  let api: FakeGitHub
  let scratch: string
  let cacheDir: string
  let runId = 1000
  const projects: Array<{cleanup(): void}> = []

  beforeAll(async () => {
    api = await FakeGitHub.start(TOKEN)
    scratch = mkdtempSync(path.join(os.tmpdir(), 'phasegate-workflow-'))
    cacheDir = path.join(scratch, 'cache')
  })
  afterAll(async () => {
    await api?.close()
    for (const project of projects) project.cleanup()
    rmSync(scratch, {force: true, recursive: true})
  })

  /** One run of the job on a fresh runner, for a push to main or for the pull request. */
  async function job(event: 'pull_request' | 'push') {
    const project = makeProject({'phase-2': GATE})
    projects.push(project)
    const eventFile = path.join(scratch, `event-${++runId}.json`)
    const payload =
      event === 'push'
        ? {ref: 'refs/heads/main', repository: {default_branch: 'main'}}
        : {number: PR, pull_request: {head: {repo: {full_name: REPOSITORY}, sha: 'c0ffee'}, number: PR}}
    writeFileSync(eventFile, JSON.stringify(payload))
    const run = await runJob({
      actionPath: ROOT,
      cacheDir,
      env: {
        ...actionsEnv(api.url, eventFile),
        GITHUB_EVENT_NAME: event,
        GITHUB_REF: event === 'push' ? 'refs/heads/main' : `refs/pull/${PR}/merge`,
        GITHUB_STEP_SUMMARY: path.join(scratch, 'summary.md'),
      },
      github: {
        event: payload,
        event_name: event,
        ref: event === 'push' ? 'refs/heads/main' : `refs/pull/${PR}/merge`,
        repository: REPOSITORY,
        run_attempt: '1',
        run_id: String(runId),
      },
      job: 'gate',
      skip: (step) => step.run === 'npm ci',
      token: TOKEN,
      workflow: path.join(ROOT, 'docs/workflows/pull-request.yml'),
      workspace: project.dir,
    })
    const step = (name: string): JobStep => run.steps.find((s) => s.name.startsWith(name))!
    // RUNNER_TEMP, where the results output points, is gone with the job: the run's own copy is in .gate/.
    const results = JSON.parse(readFileSync(path.join(project.dir, '.gate', 'latest.json'), 'utf8')) as Results
    const relative = results.targets[0]!.expectations.find((e) => e.expression.includes('baseline'))!
    return {dir: project.dir, relative, run, step}
  }

  it(
    'the first PR before any main run is NO_DATA with the bootstrap step; each main push saves; a PR ' + 'compares',
    async () => {
      // Before main has run: nothing to restore, and the relative expectation says what to do, never a silent pass.
      const early = await job('pull_request')
      expect(early.step('Restore').stdout).toMatch(/Cache not found/)
      expect(early.relative).toMatchObject({status: 'NO_DATA'})
      expect(early.relative.reason).toMatch(/no baseline file at \.gate\/baseline\/phase-2\.json: .*default branch/)
      expect(early.step('Save the baseline').status).toBe('skipped')

      // The first push to main: no baseline yet either, but it saves one of its own run (a set of 1, of up to 5).
      const first = await job('push')
      expect(first.step('gate').outputs.baseline).toBe(BASELINE)
      expect(first.step('Save the baseline')).toMatchObject({status: 'success'})
      const saved = JSON.parse(
        readFileSync(path.join(cacheDir, `phasegate-baseline-${runId}-1`, 'phase-2.json'), 'utf8'),
      )
      expect(saved).toMatchObject({gate: 'phase-2', kind: 'phasegate-baseline', set: true})
      expect(saved.runs).toHaveLength(1)

      // The first PR after it restores that file and compares: one run has no spread yet, and it says how many more.
      const pr = await job('pull_request')
      expect(pr.step('Restore').stdout).toContain(`Cache restored from key: phasegate-baseline-${runId - 1}-1`)
      expect(pr.relative).toMatchObject({
        baseline: {model: 'run-spread', name: 'main', runs: 1},
        status: 'INCONCLUSIVE',
      })
      expect(pr.relative.reason).toContain('pin 2 more')
      expect(pr.step('Save the baseline').status).toBe('skipped')
      expect(existsSync(path.join(pr.dir, '.gate', 'history.db'))).toBe(true)

      // Two more pushes: each restores the newest file, adds its run, and saves under a new key.
      await job('push')
      const third = await job('push')
      const newest = JSON.parse(readFileSync(path.join(third.dir, BASELINE), 'utf8'))
      expect(newest.runs).toHaveLength(3)

      // Now a pull request is judged against the spread of the 3 main runs.
      const compared = await job('pull_request')
      expect(compared.relative.baseline).toMatchObject({model: 'run-spread', runs: 3})
      expect(compared.relative.reason).toMatch(/spread over 3 of the 3 pinned runs/)
      expect(['PASS', 'FAIL', 'INCONCLUSIVE']).toContain(compared.relative.status)
      expect(api.list(REPOSITORY, PR)).toHaveLength(1)
    },
    300_000,
  )
})
