// gates/memory-growth.yaml as a user runs it on a fresh clone: the demo started by the gate, its
// sessions driven by demo/scripts/sessions.mjs, and the demo server's memory read at each session's end.
import {describe, expect, it} from 'vitest'

import {ensureDemoBuilt} from './demo/demo.js'
import {ROOT, startGate} from './helpers.js'
import {survivors, watchDescendants} from './plugins/helpers.js'

describe('gate check memory-growth', () => {
  it('runs 10 concurrent sessions, reads memory over 100 sessions, times orchestrator steps', async () => {
    await ensureDemoBuilt()
    const {child, done} = startGate(['check', 'memory-growth', '--json'], {cwd: ROOT, timeoutMs: 240_000})
    const watch = watchDescendants(child.pid!)
    const result = await done
    const started = watch.stop()

    expect(result.code, result.stderr).toSatisfy((code: number) => [0, 1, 3].includes(code))
    const targets = JSON.parse(result.stdout).targets
    expect(targets.map(({id}: {id: string}) => id)).toEqual([
      'concurrent-sessions',
      'memory-growth',
      'orchestration-steps',
    ])
    for (const target of targets) {
      expect(target.status, target.reason).not.toBe('NO_DATA')
      // Every session of every run answered as the demo's API says: a failure here is a broken script or demo.
      expect(
        target.expectations.find(({expression}: {expression: string}) => expression === 'failures == 0')?.value,
      ).toBe(0)
    }

    const memory = targets[1]
    const perSession = memory.evidence.metrics.find(({name}: {name: string}) => name === 'memory_per_instance')
    expect(perSession).toMatchObject({n: 3, type: 'samples'})
    expect(memory.evidence.notes.filter((note: string) => note.startsWith('memory run'))).toHaveLength(3)
    expect(memory.evidence.metrics.find(({name}: {name: string}) => name === 'leak')).toMatchObject({type: 'value'})

    expect(started.some(({cmdline}) => cmdline.includes('demo/scripts/sessions.mjs'))).toBe(true)
    // The orchestrator's swarms and their leader processes are gone with the run.
    expect(started.some(({cmdline}) => cmdline.includes('demo/dist/swarm-leader.js'))).toBe(true)
    expect(survivors(started)).toEqual([])
  }, 250_000)
})
