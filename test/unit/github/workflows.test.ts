// The example workflows in docs/ use the action and the gates as they are: a renamed input or gate fails here.
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {loadGate} from '../../../src/config/load.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const read = (file: string) => parse(readFileSync(path.join(ROOT, file), 'utf8'))
const action = read('action.yml') as {
  inputs: Record<string, {required?: boolean; default?: string}>
  outputs: Record<string, unknown>
}

type Step = {uses?: string; with?: Record<string, unknown>; run?: string; shell?: string}
const steps = (workflow: {jobs: Record<string, {steps: Step[]}>}) =>
  Object.values(workflow.jobs).flatMap((job) => job.steps)

describe('docs/workflows', () => {
  it('action.yml has the inputs and outputs the workflows rely on', () => {
    expect(Object.keys(action.inputs)).toEqual(expect.arrayContaining(['gate', 'comment', 'fail-on']))
    expect(action.inputs.gate!.required).toBe(true)
    expect(Object.keys(action.outputs).sort()).toEqual(['baseline', 'consensus', 'decision', 'results'])
  })

  it('pull-request.yml passes only inputs the action declares, names a shipped gate and can write the comment', () => {
    const workflow = read('docs/workflows/pull-request.yml')
    const uses = steps(workflow).filter((step) => step.uses === './')
    expect(uses).toHaveLength(1)
    for (const key of Object.keys(uses[0]!.with ?? {})) expect(Object.keys(action.inputs)).toContain(key)
    expect(() => loadGate(String(uses[0]!.with!.gate), {cwd: ROOT, env: {}})).not.toThrow()
    expect(workflow.permissions).toMatchObject({'pull-requests': 'write'})
    expect(workflow.concurrency).toBeDefined()
  })

  it('release.yml runs the release gate with the checklist under pipefail, and gates/release.yaml is valid', () => {
    const run = steps(read('docs/workflows/release.yml')).find((step) => step.run?.includes('check release'))!
    expect(run.run).toMatch(/check release --format checklist \| tee /)
    expect(run.shell).toBe('bash')
    const gate = loadGate('release', {cwd: ROOT, env: {}})
    expect(gate.targets.map((t) => t.id)).toEqual([
      'fleet-allocation',
      'dashboard-refresh',
      'swarm-failover',
      'cli-help',
    ])
  })
})
