// The seed reports' targets that gates/ measures with demo scripts, each run as its gate file defines it but
// bounded (fewer iterations, rounds, workflows, starts or runs) against a real demo: each one measures.
// Whether it PASSes depends on the machine; that every expectation gets a measured value does not.
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {expandServiceRefs} from '../../src/config/interpolate.js'
import {loadGate} from '../../src/config/load.js'
import {evaluateTarget} from '../../src/engine/index.js'
import {command} from '../../src/validators/command.js'
import {collectEvidence} from '../../src/validators/runner.js'
import {runContext} from '../helpers/evidence.js'
import {type Demo, ensureDemoBuilt, startDemo, stopAllDemos} from './demo/demo.js'
import {ROOT, startGate} from './helpers.js'
import {survivors, watchDescendants} from './plugins/helpers.js'

let demo: Demo
beforeAll(async () => {
  await ensureDemoBuilt()
  demo = await startDemo()
}, 60_000)
afterAll(() => stopAllDemos())

/**
 * Collects one target of a shipped gate with its own options, services pointed at the test's demo, and
 * `bound` applied to its options; returns its verdict as `gate check` would judge it.
 */
async function measureTarget(
  gateName: string,
  id: string,
  bound: (options: Record<string, unknown>) => Record<string, unknown>,
) {
  const gate = loadGate(path.join(ROOT, 'gates', `${gateName}.yaml`), {cwd: ROOT, env: {}})
  const target = gate.targets.find((candidate) => candidate.id === id)!
  expect(target.validator).toBe('command')
  const services = {demo: {name: 'demo', pid: demo.pid, url: demo.url}}
  const options = bound(expandServiceRefs(target.with, services) as Record<string, unknown>)
  const collected = await collectEvidence(
    command,
    options,
    runContext({gateDir: gate.dir, services, timeoutMs: 90_000}),
  )
  const settings = {...gate.decision, resamples: 200}
  return evaluateTarget(settings, {...target, collected, expectations: target.expect})
}

/** Every expectation of the target got a measured value: nothing was left without data. */
function expectMeasured(verdict: Awaited<ReturnType<typeof measureTarget>>): void {
  expect(verdict.status, verdict.reason).not.toBe('NO_DATA')
  expect(verdict.evidence?.kind).toBe('measured')
  for (const expectation of verdict.expectations)
    expect(expectation.value, expectation.expression).toEqual(expect.any(Number))
  expect(verdict.expectations.find(({expression}) => expression === 'failures == 0')?.value).toBe(0)
}

describe('seed targets measured with demo scripts, bounded', () => {
  it('003: process start-up, each start timed until the server answers /health', async () => {
    const verdict = await measureTarget('storage', 'process-startup', (options) => ({
      ...options,
      run: String(options.run).replace('--starts 10', '--starts 2'),
      runs: 1,
    }))
    expectMeasured(verdict)
    expect(verdict.evidence?.metrics.find(({name}) => name === 'startup_time')).toMatchObject({n: 2})
  }, 120_000)

  it('000: orchestration steps, each step of each workflow timed', async () => {
    const verdict = await measureTarget('memory-growth', 'orchestration-steps', (options) => ({
      ...options,
      run: String(options.run).replace('--workflows 8 --tasks 5', '--workflows 2 --tasks 3'),
      runs: 1,
      warmup: 0,
    }))
    expectMeasured(verdict)
    const n = (metric: string) => verdict.evidence?.metrics.find(({name}) => name === metric)?.n
    expect([n('create_time'), n('submit_time'), n('complete_time'), n('teardown_time')]).toEqual([2, 6, 2, 2])
  }, 120_000)

  it('002: memory per execution in a batch of 5 parallel, read from the demo server', async () => {
    // 60 sessions, not the gate's 20: on a busy machine marks arrive in bursts and are read once per burst
    // (MemorySeries), and 20 sessions at 5 a time then left fewer readings than a slope needs.
    const verdict = await measureTarget('load-batches', 'memory-batch-5', (options) => {
      const run = String(options.run).replace('--sessions 20 ', '--sessions 60 ')
      expect(run).toContain('--sessions 60 --concurrency 5')
      return {...options, run, warmup: 0}
    })
    expectMeasured(verdict)
    expect(verdict.evidence?.metrics.find(({name}) => name === 'memory_per_instance')).toMatchObject({n: 1})
  }, 120_000)
})

describe('gate check orchestration (004), bounded by its args', () => {
  it('measures iterations, V2 against V1 side by side and the dashboard, both configurations started', async () => {
    const bounded = ['--arg', 'iterations=10', '--arg', 'rounds=2']
    const {child, done} = startGate(['check', 'orchestration', ...bounded, '--json', '--progress', 'plain'], {
      cwd: ROOT,
      timeoutMs: 150_000,
    })
    const watch = watchDescendants(child.pid!)
    const result = await done
    const started = watch.stop()

    expect(result.code, result.stderr).toSatisfy((code: number) => [0, 1, 3].includes(code))
    const {targets} = JSON.parse(result.stdout) as {
      targets: Array<{
        id: string
        status: string
        reason?: string
        evidence: {metrics: Array<{name: string; n: number}>}
        expectations: Array<{expression: string; value: number | null}>
      }>
    }
    expect(targets.map(({id}) => id)).toEqual(['state-query-iterations', 'v2-vs-v1-sessions', 'dashboard-refresh'])
    for (const target of targets) {
      expect(target.status, target.reason).not.toBe('NO_DATA')
      for (const expectation of target.expectations)
        expect(expectation.value, `${target.id}: ${expectation.expression}`).toEqual(expect.any(Number))
    }
    const n = (id: string, metric: string) =>
      targets.find((target) => target.id === id)?.evidence.metrics.find(({name}) => name === metric)?.n
    expect(n('state-query-iterations', 'iteration_time')).toBe(10)
    // One speed-up per round, from 5 sessions on each side.
    expect([n('v2-vs-v1-sessions', 'speedup'), n('v2-vs-v1-sessions', 'v1_session_time')]).toEqual([2, 10])
    expect(n('v2-vs-v1-sessions', 'v2_session_time')).toBe(10)

    // Both configurations ran, and the run was quiet about them.
    const servers = started.filter(({cmdline}) => cmdline.includes('demo/dist/server.js'))
    expect(servers.some(({cmdline}) => cmdline.includes('--added-latency 30'))).toBe(true)
    expect(servers.some(({cmdline}) => !cmdline.includes('--added-latency'))).toBe(true)
    expect(result.stderr).not.toMatch(/^\s*\[v[12]\]/m)
    expect(survivors(started)).toEqual([])
  }, 160_000)
})
