// gates/load-batches.yaml as a user runs it on a fresh clone: the demo started by the gate, four
// batches measured, each batch's metrics and the scaling ones reaching a decision.
import {describe, expect, it} from 'vitest'

import {ensureDemoBuilt} from './demo/demo.js'
import {ROOT, startGate} from './helpers.js'
import {survivors, watchDescendants} from './plugins/helpers.js'

describe('gate check load-batches', () => {
  it('measures batches of 5, 10, 25 and 50 parallel executions and the memory each keeps, deciding each', async () => {
    await ensureDemoBuilt()
    const {child, done} = startGate(['check', 'load-batches', '--json'], {cwd: ROOT, timeoutMs: 240_000})
    const watch = watchDescendants(child.pid!)
    const result = await done
    const started = watch.stop()

    expect(result.code, result.stderr).toSatisfy((code: number) => [0, 1, 3].includes(code))
    const [target, ...memory] = JSON.parse(result.stdout).targets
    // Memory per batch: the demo server's memory per execution, one target per batch size, every session answered.
    expect(memory.map(({id}: {id: string}) => id)).toEqual([5, 10, 25, 50].map((size) => `memory-batch-${size}`))
    for (const batch of memory) {
      expect(batch.status, batch.reason).not.toBe('NO_DATA')
      for (const expectation of batch.expectations)
        expect(expectation.value, `${batch.id}: ${expectation.expression}`).toEqual(expect.any(Number))
    }
    expect(target.status, target.reason).not.toBe('NO_DATA')
    const metrics = target.evidence.metrics.map(({name}: {name: string}) => name)
    for (const level of [5, 10, 25, 50])
      expect(metrics).toEqual(
        expect.arrayContaining([`latency_at_${level}`, `throughput_at_${level}`, `error_rate_at_${level}`]),
      )

    expect(started.some(({cmdline}) => cmdline.includes('demo/dist/server.js'))).toBe(true)
    expect(survivors(started)).toEqual([])
  }, 250_000)
})
