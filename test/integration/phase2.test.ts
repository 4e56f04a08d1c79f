import {randomBytes} from 'node:crypto'
import {mkdtempSync, readFileSync, readdirSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {describe, expect, it} from 'vitest'

import {ROOT, runGate, startGate} from './helpers.js'
import {ensureDemoBuilt} from './demo/demo.js'
import {survivors, watchDescendants} from './plugins/helpers.js'

const TARGETS = [
  'fleet-allocation',
  'dashboard-refresh',
  'wasm-op-latency',
  'wasm-speedup',
  'swarm-failover',
  'cache-hit-rate',
]
const RELATIVE = 'median(failover_time) <= baseline * 1.5'
// A baseline name of this test's own, so it neither reads nor pins the developer's `main`.
const BASELINE = `test-${randomBytes(4).toString('hex')}`
// A cache that holds the demo's hot keys: with it, an unchanged demo reaches the consensus (see gates/phase-2.yaml).
const ENOUGH_CACHE = ['--arg', 'cache_size=4000']
// Runs pinned as the baseline set: the relative expectation is judged against how much they differ from run to run.
const PINNED = 5
// This file's complete runs of the unchanged demo, oldest first: the first test's run counts among them.
const unchangedRuns: string[] = []

type Run = {
  id: string
  decision: {outcome: string; rule: number; deciding: string[]}
  targets: Array<{
    id: string
    status: string
    reason?: string
    evidence: {kind: string} | null
    expectations: Array<{
      expression: string
      status: string
      value: number | null
      reason?: string
      baseline?: {change: number; changeInterval95: [number, number]; model: string; runs?: number}
    }>
  }>
}

const relative = (run: Run) =>
  run.targets.find((t) => t.id === 'swarm-failover')!.expectations.find((e) => e.expression === RELATIVE)!

describe('gate check phase-2', () => {
  it(
    'starts the demo, measures all five Phase 2 targets live, decides, and leaves no process behind; with no ' +
      'baseline yet the relative expectation is NO_DATA',
    async () => {
      await ensureDemoBuilt()
      const {child, done} = startGate(['check', 'phase-2', '--json', '--baseline', BASELINE], {
        cwd: ROOT,
        timeoutMs: 280_000,
      })
      const watch = watchDescendants(child.pid!)
      const result = await done
      const started = watch.stop()

      expect(result.code, result.stderr).toBe(1)
      // A quiet run: the demo's own lines go to its log file, not to the terminal.
      expect(result.stderr).not.toMatch(/^\s*\[demo\]/m)
      expect(result.stderr).toMatch(
        /services ready: demo at http:\S+; their output goes to \.gate\/runs\/\S+\.services\.log/,
      )
      const run = JSON.parse(result.stdout) as Run & {gate: {name: string}}
      unchangedRuns.push(run.id)
      expect(run.gate.name).toBe('phase-2')
      expect(run.targets.map((target) => target.id)).toEqual(TARGETS)
      for (const target of run.targets) {
        expect(target.evidence?.kind, target.id).toBe('measured')
        // Every absolute expectation was measured: a value or an estimate, never left unknown.
        for (const verdict of target.expectations.filter((e) => e.expression !== RELATIVE))
          expect(verdict.value, `${target.id}: ${verdict.expression}`).toBeTypeOf('number')
      }

      // A first run never passes a relative check silently: NO_DATA, BLOCK by rule 1, and the command that fixes it.
      // (Other targets may miss too on a loaded CI machine; the baseline's part is what is asserted.)
      expect(relative(run).status).toBe('NO_DATA')
      expect(run.decision).toMatchObject({outcome: 'BLOCK', rule: 1})
      expect(run.decision.deciding).toContain('swarm-failover')
      expect(run.targets.find((t) => t.id === 'swarm-failover')!.reason).toContain(
        `gate baseline save phase-2 --name ${BASELINE}`,
      )

      // The watch saw what the gate started — the demo and its swarm leaders — and none of it outlives the run.
      expect(started.some(({cmdline}) => cmdline.includes('demo/dist/server.js'))).toBe(true)
      expect(
        started.filter(({cmdline}) => cmdline.includes('demo/dist/swarm-leader.js')).length,
      ).toBeGreaterThanOrEqual(100)
      expect(survivors(started)).toEqual([])
    },
    300_000,
  )

  it(
    'against a pinned set of runs, an unchanged demo is not flagged on a busy machine and a slowed one BLOCKs on ' +
      'the relative expectation, with the shift and its interval in the report',
    async () => {
      await ensureDemoBuilt()
      while (unchangedRuns.length < PINNED) {
        const reference = await runGate(['check', 'phase-2', ...ENOUGH_CACHE, '--baseline', BASELINE, '--json'], {
          cwd: ROOT,
          timeoutMs: 600_000,
        })
        expect(reference.stdout, reference.stderr).toMatch(/^\{/)
        unchangedRuns.push((JSON.parse(reference.stdout) as Run).id)
      }
      const pins = unchangedRuns.slice(-PINNED).flatMap((id) => ['--from', id])
      const saved = await runGate(['baseline', 'save', 'phase-2', '--name', BASELINE, ...pins], {cwd: ROOT})
      expect(saved.code, saved.stderr).toBe(0)
      expect(saved.stdout).toContain(`${PINNED} runs, the newest run`)

      const unchanged = await runGate(['check', 'phase-2', ...ENOUGH_CACHE, '--baseline', BASELINE, '--json'], {
        cwd: ROOT,
        timeoutMs: 600_000,
      })
      const same = JSON.parse(unchanged.stdout) as Run
      // Judged against the spread of the pinned runs, never their samples alone: an unchanged demo is never FAIL.
      // On a busy machine the runs differ more, so it may be INCONCLUSIVE (measure again), which is not a flag.
      expect(relative(same).baseline).toMatchObject({model: 'run-spread', runs: PINNED})
      expect(['PASS', 'INCONCLUSIVE'], JSON.stringify(relative(same))).toContain(relative(same).status)
      expect(same.targets.find((t) => t.id === 'swarm-failover')!.status).not.toBe('FAIL')
      if (same.targets.every((t) => t.status === 'PASS' || t.id === 'wasm-speedup'))
        expect(unchanged.code, JSON.stringify(same.decision)).toBe(0)

      // The demo's swarms wait 1 s more before electing a new leader: failover p95 goes from ~0.3 s to ~1.3 s, still
      // under the absolute 5 s.
      const out = mkdtempSync(path.join(os.tmpdir(), 'phasegate-slowed-'))
      const slowed = await runGate(
        ['check', 'phase-2', ...ENOUGH_CACHE, '--baseline', BASELINE, '--format', 'md', '--out', out],
        {cwd: ROOT, env: {DEMO_FAILOVER_DELAY: '1000'}, timeoutMs: 600_000},
      )
      expect(slowed.code, slowed.stderr).toBe(1)
      const latest = JSON.parse(readFileSync(path.join(ROOT, '.gate', 'latest.json'), 'utf8')) as Run
      expect(latest.decision).toMatchObject({outcome: 'BLOCK', rule: 1})
      expect(latest.decision.deciding).toContain('swarm-failover')
      const failover = latest.targets.find((t) => t.id === 'swarm-failover')!
      expect(failover.expectations.find((e) => e.expression === 'p95(failover_time) < 5s')?.status).toBe('PASS')
      const shift = relative(latest)
      expect(shift.status, JSON.stringify(shift)).toBe('FAIL')
      expect(shift.baseline?.model).toBe('run-spread')
      // The interval is a prediction over runs: wide on a busy machine, but clear of no change.
      expect(shift.baseline?.changeInterval95[0]).toBeGreaterThan(0)
      const report = readFileSync(
        path.join(
          out,
          readdirSync(out).find((f) => f.endsWith('.md'))!,
        ),
        'utf8',
      )
      expect(report).toContain('Change vs baseline')
      expect(report).toMatch(
        new RegExp(
          `\\| median\\(failover\\\\_time\\) \\| ${BASELINE} \\(run phase-2-[0-9TZ]+\\) \\| .+ \\| \\+\\d+\\.\\d% ` +
            `\\| ` +
            `\\\\\\[\\+\\d+\\.\\d%, \\+\\d+\\.\\d%\\\\\\] \\|`,
        ),
      )
    },
    3_000_000,
  )
})
