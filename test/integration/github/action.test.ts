// action.yml's shell steps run the way the runner runs them (composite-action.ts), with the real CLI,
// tiny gates (claim and command validators) and the local GitHub stand-in for the comment.
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {afterAll, beforeAll, beforeEach, describe, expect, it} from 'vitest'

import {commentMarker} from '../../../src/github/comment-body.js'
import {makeProject, ROOT} from '../helpers.js'
import {type ActionRun, runCompositeAction} from './composite-action.js'
import {FakeGitHub, REPOSITORY} from './github-api.js'
import {actionsEnv, filesHolding, PR, scratch, TOKEN} from './helpers.js'

const GATES = {
  // A required command target that passes: PROCEED.
  ship: `version: 1
title: Ship
targets:
  - id: node-runs
    validator: command
    with: {run: "node -e 0", runs: 2, warmup: 0}
    expect: [max(duration) < 1m, failures == 0]
    required: true
`,
  // Only a claim (confidence 0.65) against a minimum of 0.9: BLOCK by rule 3.
  hold: `version: 1
title: Hold
decision: {min_consensus: 0.9}
targets:
  - id: vendor
    validator: claim
    with: {metric: latency, value: 850ms, source: vendor report}
    expect: [latency < 1s]
`,
  // A required claim: INCONCLUSIVE by rule 2. Its source comes from an arg.
  unsure: `version: 1
title: Unsure
args:
  source: {default: vendor report}
targets:
  - id: vendor
    validator: claim
    with: {metric: latency, value: 850ms, source: "\${args.source}"}
    expect: [latency < 1s]
    required: true
`,
}

describe('action.yml', () => {
  let api: FakeGitHub
  let project: ReturnType<typeof makeProject>
  let work: ReturnType<typeof scratch>
  let summary: string
  const runs: ActionRun[] = []

  async function action(inputs: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<ActionRun> {
    const run = await runCompositeAction({
      actionPath: ROOT,
      env: {...actionsEnv(api.url, work.eventFile), GITHUB_STEP_SUMMARY: summary, GITHUB_TOKEN: '', ...env},
      inputs,
      token: TOKEN,
      workspace: project.dir,
    })
    runs.push(run)
    for (const step of run.steps) {
      expect(step.stdout, `${step.id} printed the token`).not.toContain(TOKEN)
      expect(step.stderr, `${step.id} printed the token`).not.toContain(TOKEN)
    }
    return run
  }
  const results = (run: ActionRun) => JSON.parse(readFileSync(run.outputs.results!, 'utf8'))
  const comments = () => api.list(REPOSITORY, PR)

  beforeAll(async () => {
    // Without the bundle action.yml takes its source-checkout path: `npm ci` here, under the running tests.
    if (!existsSync(path.join(ROOT, 'dist/bundle/start.js'))) {
      throw new Error('dist/bundle/start.js is missing: run `npm run compile` before these tests')
    }

    api = await FakeGitHub.start(TOKEN)
    project = makeProject(GATES)
    work = scratch()
    summary = path.join(work.dir, 'summary.md')
  })
  afterAll(async () => {
    for (const run of runs) run.cleanup()
    await api?.close()
    project?.cleanup()
    work?.cleanup()
  })
  beforeEach(() => {
    api.reset()
    writeFileSync(summary, '')
  })

  it('PROCEED: outputs the decision, consensus and results file, comments once, writes the step summary', async () => {
    const run = await action({gate: 'ship'})
    expect(run.failed).toBeUndefined()
    expect(run.outputs).toEqual({
      baseline: '',
      consensus: '1',
      decision: 'PROCEED',
      results: expect.stringMatching(/ship-.*\.json$/),
    })
    expect(results(run)).toMatchObject({decision: {outcome: 'PROCEED'}, gate: {name: 'ship'}})
    expect(comments()).toHaveLength(1)
    expect(comments()[0]!.body.startsWith(`${commentMarker('ship')}\n### ✅ PROCEED · Ship`)).toBe(true)
    expect(readFileSync(summary, 'utf8')).toMatch(/^# Gate report: Ship\n/)
    expect(run.steps.at(-1)!.stdout).toContain('phasegate: PROCEED')
  })

  it(
    'BLOCK fails the step with fail-on block and passes with never; the comment is posted and then edited either ' +
      'way',
    async () => {
      const blocked = await action({gate: 'hold'})
      expect(blocked.failed).toMatchObject({code: 1, id: 'decide'})
      expect(blocked.failed!.stdout).toContain('::error title=phasegate::the gate decided BLOCK')
      expect(blocked.outputs).toMatchObject({decision: 'BLOCK', consensus: expect.stringMatching(/^0\.6\d*$/)})
      expect(comments()).toHaveLength(1)

      const tolerated = await action({'fail-on': 'never', gate: 'hold'})
      expect(tolerated.failed).toBeUndefined()
      expect(tolerated.outputs.decision).toBe('BLOCK')
      expect(comments()).toHaveLength(1)
      expect(api.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1)
    },
  )

  it(
    'INCONCLUSIVE fails only with fail-on inconclusive; args reach the gate; a push event gets no ' + 'comment',
    async () => {
      const strict = await action({args: "source=the action's arg\n\n", 'fail-on': 'inconclusive', gate: 'unsure'})
      expect(strict.failed).toMatchObject({code: 3, id: 'decide'})
      expect(strict.outputs.decision).toBe('INCONCLUSIVE')
      expect(results(strict).targets[0].evidence.source).toBe("the action's arg")

      expect(comments()).toHaveLength(1)

      api.reset()
      const push = path.join(work.dir, 'push.json')
      writeFileSync(push, JSON.stringify({ref: 'refs/heads/main'}))
      const lenient = await action({gate: 'unsure'}, {GITHUB_EVENT_NAME: 'push', GITHUB_EVENT_PATH: push})
      expect(lenient.failed).toBeUndefined()
      expect(lenient.outputs.decision).toBe('INCONCLUSIVE')
      expect(lenient.steps.find((s) => s.id === 'comment')!.stderr).toMatch(
        /no pull request to comment on: the push event names none; nothing posted/,
      )
      expect(api.requests).toEqual([])
    },
  )

  it('a gate that cannot run fails with exit 2 and no decision; a bad fail-on fails before anything runs', async () => {
    const missing = await action({gate: 'nonexistent'})
    expect(missing.failed).toMatchObject({code: 2, id: 'decide'})
    expect(missing.outputs).toEqual({baseline: '', consensus: '', decision: '', results: ''})
    expect(missing.steps.find((s) => s.id === 'check')!.stderr).toMatch(/no gate named "nonexistent"/)

    const typo = await action({'fail-on': 'blocked', gate: 'ship'})
    expect(typo.failed).toMatchObject({code: 2, id: 'setup'})
    expect(typo.failed!.stdout).toContain('the fail-on input must be block, inconclusive or never')
    expect(typo.steps).toHaveLength(1)
    expect(api.requests).toEqual([])
  })

  it('leaves the token in no file of the project or the step summary', () => {
    expect(filesHolding(project.dir, TOKEN)).toEqual([])
    expect(filesHolding(work.dir, TOKEN)).toEqual([])
  })
})
