import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {evaluateGate} from '../../../src/engine/index.js'
import {collectEvidence} from '../../../src/validators/runner.js'
import {closedPortUrl} from '../../fixtures/load-servers/servers.js'
import {measure, runContext, samplesOf, valueOf} from '../../helpers/evidence.js'
import {client, type Demo, ensureDemoBuilt, startDemo, stopAllDemos, waitFor} from '../demo/demo.js'
import {fleet} from './helpers.js'
import {parseExpectation} from '../../../src/engine/expectation.js'

const allocated = async (demo: Demo): Promise<number> => (await client(demo.url).get('/fleet')).body.allocated

describe('fleet validator against the demo', () => {
  let demo: Demo
  beforeAll(async () => {
    await ensureDemoBuilt()
    demo = await startDemo()
  })
  afterAll(async () => {
    const {survivors} = await demo.stop()
    expect(survivors).toEqual([])
    await stopAllDemos()
  })

  it('holds one agent per allocating agent at once, and releases everything it allocated', async () => {
    const before = await allocated(demo)
    const evidence = await measure(fleet, {agents: 50, duration: '2s', hold: '100ms', ramp: '200ms', url: demo.url})
    expect(evidence.kind).toBe('measured')
    expect(valueOf(evidence.metrics.allocated_agents)).toBe(50)
    expect(evidence.metrics.error_rate).toMatchObject({events: 0, type: 'proportion'})
    const latency = samplesOf(evidence.metrics.allocation_latency)
    // Every agent allocated at least once, and then kept churning.
    expect(latency.length).toBeGreaterThan(50)
    expect(valueOf(evidence.metrics.throughput)).toBeGreaterThan(0)
    expect(evidence.notes).toContain(
      'at the peak the allocator counted 50 allocations more than before the run, for the 50 this run held',
    )
    expect(await allocated(demo)).toBe(before)
  })

  it('counts refused allocations as errors when the pool is smaller than the agents', async () => {
    const small = await startDemo(['--pool-size', '20'])
    try {
      const evidence = await measure(fleet, {agents: 50, duration: '2s', hold: '200ms', ramp: '0s', url: small.url})
      const errors = evidence.metrics.error_rate
      expect(errors?.type === 'proportion' && errors.events).toBeGreaterThan(0)
      expect(valueOf(evidence.metrics.allocated_agents)).toBe(20)
      expect(evidence.notes?.join('\n')).toMatch(/only 20 of 50 agents held an allocation at once/)
      expect(evidence.notes?.join('\n')).toMatch(/failed allocations: \d+ status \(503 .*pool exhausted/)
      expect(await allocated(small)).toBe(0)
    } finally {
      expect((await small.stop()).survivors).toEqual([])
    }
  })

  it('releases everything it allocated when the run is interrupted', async () => {
    const controller = new AbortController()
    let heldAtAbort = 0
    const outcome = await collectEvidence(
      fleet,
      {agents: 50, duration: '20s', hold: '100ms', ramp: '0s', url: demo.url},
      runContext({
        progress({message}) {
          heldAtAbort = Number(/^(\d+) held/.exec(message ?? '')?.[1])
          controller.abort()
        },
        signal: controller.signal,
      }),
    )
    expect(outcome).toEqual({noData: 'interrupted'})
    expect(heldAtAbort).toBeGreaterThan(0)
    // The runner answers at once; the validator's releases finish behind it.
    expect(await waitFor(async () => (await allocated(demo)) === 0, 15_000)).toBe(true)
  })

  it('FAILs the seed target through the engine when every allocation takes 300 ms', async () => {
    const slow = await startDemo(['--added-latency', '300'])
    try {
      const collected = await collectEvidence(
        fleet,
        {agents: 50, duration: '2s', hold: '100ms', ramp: '200ms', url: slow.url},
        runContext(),
      )
      expect('evidence' in collected).toBe(true)
      const {decision, targets} = evaluateGate({confidence: 0.95, minConsensus: 0.85, resamples: 2000, seed: 1}, [
        {
          collected,
          expectations: ['p95(allocation_latency) < 100ms', 'allocated_agents >= 50', 'error_rate < 1%'].map((text) =>
            parseExpectation(text),
          ),
          id: 'fleet-allocation',
          level: 'error',
          required: true,
          title: 'Fleet manager — allocation under 100 ms',
          validator: 'fleet',
          weight: 3,
        },
      ])
      expect(targets[0]?.status).toBe('FAIL')
      expect(targets[0]?.expectations.find((e) => e.expression.startsWith('p95'))).toMatchObject({status: 'FAIL'})
      expect(targets[0]?.expectations.find((e) => e.expression.startsWith('allocated_agents'))).toMatchObject({
        status: 'PASS',
      })
      expect(decision).toMatchObject({deciding: ['fleet-allocation'], outcome: 'BLOCK', rule: 1})
      expect(await allocated(slow)).toBe(0)
    } finally {
      expect((await slow.stop()).survivors).toEqual([])
    }
  })

  it('is NO_DATA, not a crash, when nothing listens at the URL', async () => {
    const outcome = await collectEvidence(fleet, {agents: 5, duration: '1s', url: await closedPortUrl()}, runContext())
    expect(outcome).toEqual({
      noData: expect.stringMatching(/^validator fleet failed: cannot read the fleet at \/fleet: ECONNREFUSED/),
    })
  })
})
