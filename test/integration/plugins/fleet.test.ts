import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {evaluateGate} from '../../../src/engine/index.js'
import {collectEvidence} from '../../../src/validators/runner.js'
import {closedPortUrl} from '../../fixtures/load-servers/servers.js'
import {measure, runContext, samplesOf, valueOf} from '../../helpers/evidence.js'
import {client, type Demo, ensureDemoBuilt, startDemo, stopAllDemos, waitFor} from '../demo/demo.js'
import {type LeaseAllocator, startLeaseAllocator} from '../../fixtures/servers/lease-allocator.js'
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
      expect(evidence.notes?.join('\n')).toMatch(/failed allocations: [\d,]+ status \(503 .*pool exhausted/)
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
      noData: expect.stringMatching(
        /^validator fleet failed: cannot read the fleet's count: GET http:\/\/127\.0\.0\.1:\d+\/fleet: ECONNREFUSED/,
      ),
    })
  })
})

describe('fleet validator against an allocator shaped unlike the demo, through a protocol written as data', () => {
  const token = 'fleet-test-token'
  const protocol = {
    allocate: {
      agent: 'data.agent.id',
      allocation: 'data.lease.id',
      exhausted: [429],
      request: {
        body: {requester: 'phasegate-{agent}'},
        headers: {authorization: `Bearer ${token}`},
        method: 'POST',
        url: '{url}/api/v2/agents/spawn',
      },
    },
    count: {
      allocated: 'stats.inUse',
      pool_size: 'stats.capacity',
      request: {headers: {authorization: `Bearer ${token}`}, method: 'GET', url: '{url}/api/v2/pool'},
    },
    release: {
      gone: [410],
      request: {
        headers: {authorization: `Bearer ${token}`},
        method: 'POST',
        url: '{url}/api/v2/leases/{allocationId}/release',
      },
    },
  }
  let allocator: LeaseAllocator
  beforeAll(async () => {
    allocator = await startLeaseAllocator({capacity: 100, token})
  })
  afterAll(async () => {
    await allocator.close()
  })

  it('reads the nested ids, holds every agent at once, and releases every lease', async () => {
    const evidence = await measure(fleet, {agents: 40, duration: '2s', hold: '100ms', protocol, url: allocator.url})
    expect(valueOf(evidence.metrics.allocated_agents)).toBe(40)
    expect(evidence.metrics.error_rate).toMatchObject({events: 0, type: 'proportion'})
    expect(samplesOf(evidence.metrics.allocation_latency).length).toBeGreaterThan(40)
    expect(evidence.notes).toContain(
      'at the peak the allocator counted 40 allocations more than before the run, for the 40 this run held',
    )
    expect(evidence.source).toBe(`fleet: 40 agents against POST ${allocator.url}/api/v2/agents/spawn`)
    expect(allocator.leased).toBe(0)
  })

  it('counts 429 answers as allocations refused by an exhausted pool', async () => {
    const small = await startLeaseAllocator({capacity: 10, token})
    try {
      const evidence = await measure(fleet, {agents: 25, duration: '2s', hold: '200ms', protocol, url: small.url})
      expect(valueOf(evidence.metrics.allocated_agents)).toBe(10)
      const errors = evidence.metrics.error_rate
      expect(errors?.type === 'proportion' && errors.events).toBeGreaterThan(0)
      expect(evidence.notes?.join('\n')).toMatch(
        /\d+ allocations were refused because the pool was exhausted \(429 \{"message":"no agent left"/,
      )
      expect(evidence.notes?.join('\n')).toMatch(
        /only 10 of 25 agents held an allocation at once by half-time \(the pool has 10 agents, 0 allocated before/,
      )
      expect(small.leased).toBe(0)
    } finally {
      await small.close()
    }
  })

  it('counts an answer without an id at the protocol’s path as a failed allocation it cannot release', async () => {
    const wrong = {...protocol, allocate: {...protocol.allocate, agent: 'data.agentId'}}
    const leaky = await startLeaseAllocator({capacity: 10, token})
    try {
      const evidence = await measure(fleet, {agents: 2, duration: '1s', hold: '100ms', protocol: wrong, url: leaky.url})
      const notes = evidence.notes?.join('\n')
      expect(notes).toMatch(/\d+ body \(200 without an id at data\.agentId and data\.lease\.id: \{"data":/)
      // Each lease the allocator still holds is one the validator was told it could not release.
      expect(notes).toContain(`${leaky.leased} allocations came back without an id and could not be released`)
      const errors = evidence.metrics.error_rate
      expect(errors?.type === 'proportion' && errors.events === errors.trials).toBe(true)
    } finally {
      await leaky.close()
    }
  })

  it('rejects a request that uses a placeholder it cannot know, before sending anything', async () => {
    const typo = {...protocol, release: {request: {method: 'DELETE', url: '{url}/api/v2/leases/{leaseId}'}}}
    const outcome = await collectEvidence(fleet, {agents: 3, protocol: typo, url: allocator.url}, runContext())
    expect(outcome).toEqual({
      noData:
        'validator fleet rejected its options: option "protocol.release.request.url" is not valid: ' +
        '"{url}/api/v2/leases/{leaseId}"',
    })
    expect(allocator.leased).toBe(0)
  })
})
