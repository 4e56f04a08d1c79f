import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import WebSocket from 'ws'

import {client, dashboardMessages, demoFor, ensureDemoBuilt, scrape, stopAllDemos, waitFor} from './demo.js'

beforeAll(ensureDemoBuilt, 120_000)
afterAll(stopAllDemos)

describe('demo: health, routing and the listening line', () => {
  const demo = demoFor()

  it('prints exactly one stdout line, the loopback URL it listens on', async () => {
    expect(demo().url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    await client(demo().url).get('/health')
    expect(demo().stdout()).toBe(`listening on ${demo().url}\n`)
  })

  it('answers /health with {"status":"ok"}', async () => {
    const response = await client(demo().url).get('/health')
    expect(response.status).toBe(200)
    expect(response.body).toEqual({status: 'ok'})
  })

  it('answers unknown paths with 404, wrong methods with 405, bad JSON with 400 — all as JSON errors', async () => {
    const api = client(demo().url)
    const missing = await api.get('/nope')
    expect(missing.status).toBe(404)
    expect(missing.body.error).toMatch(/nope/)
    const wrongMethod = await api.put('/health', {})
    expect(wrongMethod.status).toBe(405)
    expect(wrongMethod.headers.get('allow')).toBe('GET')
    const badJson = await api.post('/fleet/allocations', '{not json')
    expect(badJson.status).toBe(400)
    expect(badJson.body.error).toMatch(/JSON/)
  })
})

describe('demo: fleet allocator', () => {
  const demo = demoFor(['--pool-size', '20'])

  it('spreads work: successive allocate/release cycles use every agent before reusing one', async () => {
    const api = client(demo().url)
    const agents = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const allocation = await api.post('/fleet/allocations')
      expect(allocation.status).toBe(201)
      agents.add(allocation.body.agentId)
      expect((await api.delete(`/fleet/allocations/${allocation.body.allocationId}`)).status).toBe(204)
    }

    expect(agents.size).toBe(20)
  })

  it('allocates until the pool is exhausted (503), and can allocate again after a release', async () => {
    const api = client(demo().url)
    const allocations = []
    for (let i = 0; i < 20; i++) {
      const response = await api.post('/fleet/allocations')
      expect(response.status).toBe(201)
      expect(response.body).toEqual({
        agentId: expect.any(String),
        allocatedAt: expect.any(Number),
        allocationId: expect.any(String),
      })
      allocations.push(response.body)
    }

    expect(new Set(allocations.map((a) => a.agentId)).size).toBe(20)
    const exhausted = await api.post('/fleet/allocations')
    expect(exhausted.status).toBe(503)
    expect(exhausted.body).toEqual({error: 'pool exhausted'})
    expect((await api.get('/fleet')).body).toMatchObject({allocated: 20, available: 0, poolSize: 20})

    const released = allocations.pop()!
    expect((await api.delete(`/fleet/allocations/${released.allocationId}`)).status).toBe(204)
    expect((await api.delete(`/fleet/allocations/${released.allocationId}`)).status).toBe(404)
    expect((await api.get('/fleet')).body).toMatchObject({allocated: 19, available: 1, poolSize: 20})
    const again = await api.post('/fleet/allocations')
    expect(again.status).toBe(201)
    expect(again.body.agentId).toBe(released.agentId)

    for (const {allocationId} of [...allocations, again.body])
      expect((await api.delete(`/fleet/allocations/${allocationId}`)).status).toBe(204)
    expect((await api.get('/fleet')).body).toMatchObject({allocated: 0, available: 20, poolSize: 20})
  })

  it('matches capabilities: every agent has cpu, an unknown capability is a 400 naming the known ones', async () => {
    const api = client(demo().url)
    const cpu = await api.post('/fleet/allocations', {capability: 'cpu'})
    expect(cpu.status).toBe(201)
    expect((await api.delete(`/fleet/allocations/${cpu.body.allocationId}`)).status).toBe(204)
    const unknown = await api.post('/fleet/allocations', {capability: 'teleport'})
    expect(unknown.status).toBe(400)
    expect(unknown.body.capabilities).toContain('gpu')
    const fleet = (await api.get('/fleet')).body
    expect(fleet.capabilities.cpu).toEqual({agents: 20, available: 20})
  })
})

describe('demo: dashboard', () => {
  const demo = demoFor(['--pool-size', '20', '--update-interval', '50'])

  it('serves a snapshot computed from live state, with a growing seq', async () => {
    const api = client(demo().url)
    const before = Date.now()
    const first = (await api.get('/dashboard/snapshot')).body
    expect(first.generatedAt).toBeGreaterThanOrEqual(before - 1000)
    expect(first).toMatchObject({
      cache: {hits: expect.any(Number), misses: expect.any(Number)},
      fleet: {allocated: 0, available: 20, poolSize: 20},
      seq: expect.any(Number),
      swarms: {failovers: 0, healthy: 0, total: 0},
    })

    const allocation = await api.post('/fleet/allocations')
    const second = (await api.get('/dashboard/snapshot')).body
    expect(second.seq).toBeGreaterThan(first.seq)
    expect(second.fleet.allocated).toBe(1)
    await api.delete(`/fleet/allocations/${allocation.body.allocationId}`)
  })

  it('pushes updates over the WebSocket with increasing seq and server time', async () => {
    const messages = await dashboardMessages(demo().url, 4)
    for (const {data} of messages) {
      expect(data).toMatchObject({
        fleet: {poolSize: 20},
        serverTime: expect.any(Number),
        swarms: {total: 0},
        type: 'update',
      })
      expect(data.cache).toBeDefined()
    }

    for (let i = 1; i < messages.length; i++) {
      expect(messages[i]!.data.seq).toBeGreaterThan(messages[i - 1]!.data.seq)
      expect(messages[i]!.data.serverTime).toBeGreaterThanOrEqual(messages[i - 1]!.data.serverTime)
    }
  })

  it('counts its subscribers on /metrics', async () => {
    const subscriber = new WebSocket(`${demo().url.replace('http', 'ws')}/dashboard/ws`)
    try {
      await new Promise((resolve, reject) => subscriber.once('message', resolve).once('error', reject))
      expect((await scrape(demo().url)).samples.get('demo_dashboard_subscribers')).toBe(1)
      expect((await scrape(demo().url)).samples.get('demo_dashboard_updates_total')).toBeGreaterThanOrEqual(1)
    } finally {
      subscriber.terminate()
    }

    expect(
      await waitFor(async () => (await scrape(demo().url)).samples.get('demo_dashboard_subscribers') === 0, 5000),
    ).toBe(true)
  })
})

describe('demo: cache', () => {
  const demo = demoFor(['--cache-size', '3'])

  it('misses first, then hits, with x-cache headers and counters that agree on /cache and /metrics', async () => {
    const api = client(demo().url)
    expect((await api.put('/cache/items/alpha', {n: 1})).status).toBe(204)
    const miss = await api.get('/cache/items/alpha')
    expect(miss.status).toBe(200)
    expect(miss.headers.get('x-cache')).toBe('MISS')
    expect(miss.body).toEqual({key: 'alpha', value: {n: 1}})
    const hit = await api.get('/cache/items/alpha')
    expect(hit.headers.get('x-cache')).toBe('HIT')
    expect(hit.body).toEqual({key: 'alpha', value: {n: 1}})
    const absent = await api.get('/cache/items/nothing-here')
    expect(absent.status).toBe(404)
    expect(absent.headers.get('x-cache')).toBe('MISS')

    expect((await api.get('/cache')).body).toMatchObject({capacity: 3, hitRate: 1 / 3, hits: 1, misses: 2})
    const {samples} = await scrape(demo().url)
    expect(samples.get('demo_cache_hits_total')).toBe(1)
    expect(samples.get('demo_cache_misses_total')).toBe(2)
  })

  it('evicts the least recently used entry when full, and a write invalidates the cached copy', async () => {
    const api = client(demo().url)
    for (const key of ['a', 'b', 'c']) {
      await api.put(`/cache/items/${key}`, {v: key})
      expect((await api.get(`/cache/items/${key}`)).headers.get('x-cache')).toBe('MISS')
    }

    // a is now the most recent; b the least
    expect((await api.get('/cache/items/a')).headers.get('x-cache')).toBe('HIT')
    await api.put('/cache/items/d', {v: 'd'})
    await api.get('/cache/items/d') // fills the cache over capacity: b goes
    expect((await api.get('/cache/items/a')).headers.get('x-cache')).toBe('HIT')
    expect((await api.get('/cache/items/b')).headers.get('x-cache')).toBe('MISS')

    expect((await api.put('/cache/items/a', {v: 'a2'})).status).toBe(204)
    const rewritten = await api.get('/cache/items/a')
    expect(rewritten.headers.get('x-cache')).toBe('MISS')
    expect(rewritten.body.value).toEqual({v: 'a2'})
    expect((await api.get('/cache')).body.entries).toBeLessThanOrEqual(3)
  })
})

describe('demo: /metrics', () => {
  const demo = demoFor(['--pool-size', '20'])

  it('is valid Prometheus text with every documented metric, and counters never go down', async () => {
    const api = client(demo().url)
    const first = await scrape(demo().url)
    expect(first.contentType).toMatch(/^text\/plain; version=0\.0\.4/)
    for (const name of [
      'demo_fleet_allocations_total',
      'demo_fleet_allocated',
      'demo_fleet_allocation_duration_seconds_count',
      'demo_dashboard_subscribers',
      'demo_swarms',
      'demo_swarms_healthy',
      'demo_swarm_failovers_total',
      'demo_cache_hits_total',
      'demo_cache_misses_total',
      'process_resident_memory_bytes',
    ]) {
      expect(first.samples.has(name), name).toBe(true)
    }

    expect(first.text).toMatch(/^# TYPE demo_fleet_allocation_duration_seconds histogram$/m)
    expect(first.samples.get('process_resident_memory_bytes')).toBeGreaterThan(0)

    const held = []
    for (let i = 0; i < 3; i++) held.push((await api.post('/fleet/allocations')).body.allocationId)
    await api.put('/cache/items/k', 1)
    await api.get('/cache/items/k')
    await api.get('/cache/items/k')
    const second = await scrape(demo().url)
    expect(second.samples.get('demo_fleet_allocated')).toBe(3)
    expect(second.samples.get('demo_fleet_allocation_duration_seconds_count')).toBe(
      first.samples.get('demo_fleet_allocation_duration_seconds_count')! + 3,
    )

    for (const id of held) await api.delete(`/fleet/allocations/${id}`)
    const third = await scrape(demo().url)
    expect(third.samples.get('demo_fleet_allocated')).toBe(0)
    const counters = [...first.text.matchAll(/^# TYPE (\S+) counter$/gm)].map((m) => m[1]!)
    expect(counters.length).toBeGreaterThan(5)
    for (const name of counters) {
      expect(second.samples.get(name)!, name).toBeGreaterThanOrEqual(first.samples.get(name)!)
      expect(third.samples.get(name)!, name).toBeGreaterThanOrEqual(second.samples.get(name)!)
    }

    expect(third.samples.get('demo_fleet_allocations_total')).toBe(3)
    expect(third.samples.get('demo_cache_hits_total')).toBe(1)
  })
})
