import {describe, expect, it} from 'vitest'

import {ROOT, startGate} from './helpers.js'
import {ensureDemoBuilt} from './demo/demo.js'
import {survivors, watchDescendants} from './plugins/helpers.js'

describe('gate check phase-2', () => {
  it('starts the demo, measures all five Phase 2 targets live, decides, and leaves no process behind', async () => {
    await ensureDemoBuilt()
    const {child, done} = startGate(['check', 'phase-2', '--json'], {cwd: ROOT, timeoutMs: 280_000})
    const watch = watchDescendants(child.pid!)
    const result = await done
    const started = watch.stop()

    expect(result.code, result.stderr).toSatisfy((code: number) => [0, 1, 3].includes(code))
    const run = JSON.parse(result.stdout)
    expect(run.gate.name).toBe('phase-2')
    expect(run.targets.map((target: {id: string}) => target.id)).toEqual(['fleet-allocation', 'dashboard-refresh', 'wasm-op-latency', 'wasm-speedup', 'swarm-failover', 'cache-hit-rate'])
    for (const target of run.targets) {
      expect(target.status, `${target.id}: ${target.reason}`).not.toBe('NO_DATA')
      expect(target.evidence.kind).toBe('measured')
      // Every expectation was measured: a value or an estimate, never left unknown.
      for (const verdict of target.expectations) expect(verdict.value, `${target.id}: ${verdict.expression}`).toBeTypeOf('number')
    }

    // The report explains each one: the deciding rule, and the speed-up the demo's kernel really reaches.
    expect(run.decision.rule).toBeTypeOf('number')
    const speedup = run.targets.find((target: {id: string}) => target.id === 'wasm-speedup').expectations[0]
    expect(speedup.value).toBeGreaterThan(0)

    // The watch saw what the gate started — the demo and its swarm leaders — and none of it outlives the run.
    expect(started.some(({cmdline}) => cmdline.includes('demo/dist/server.js'))).toBe(true)
    expect(started.filter(({cmdline}) => cmdline.includes('demo/dist/swarm-leader.js')).length).toBeGreaterThanOrEqual(100)
    expect(survivors(started)).toEqual([])
  }, 300_000)
})
