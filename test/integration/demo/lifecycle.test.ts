import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import WebSocket from 'ws'

import {
  childPids,
  client,
  dashboardMessages,
  ensureDemoBuilt,
  gone,
  runDemo,
  scrape,
  startDemo,
  stopAllDemos,
  waitFor,
} from './demo.js'

beforeAll(ensureDemoBuilt, 120_000)
afterAll(stopAllDemos)

describe('demo: shutdown', () => {
  it('on SIGTERM stops every swarm leader, closes subscribers, and exits 0', async () => {
    const demo = await startDemo()
    const api = client(demo.url)
    const created = await Promise.all([1, 2, 3].map(() => api.post('/swarms')))
    expect(created.map((r) => r.status)).toEqual([201, 201, 201])
    // A replaced leader too: the supervisor must track its children, not only the current leaders.
    await api.post(`/swarms/${created[0]!.body.id}/faults`, {kind: 'kill-leader'})
    await waitFor(async () => (await api.get(`/swarms/${created[0]!.body.id}`)).body.healthy)
    const leaders = childPids(demo.pid)
    expect(leaders).toHaveLength(3)
    const subscriber = new WebSocket(`${demo.url.replace('http', 'ws')}/dashboard/ws`)
    const closed = new Promise<number>((resolve) => subscriber.once('close', resolve))
    await new Promise((resolve) => subscriber.once('open', resolve))

    const result = await demo.stop('SIGTERM')
    expect(result).toEqual({code: 0, signal: null, survivors: []})
    expect(gone(demo.pid)).toBe(true)
    for (const pid of leaders) expect(gone(pid), `leader ${pid}`).toBe(true)
    expect(await closed).toBe(1001)
    expect(demo.stderr()).toMatch(/received SIGTERM/)
  })

  it('on SIGINT exits 0 too', async () => {
    const demo = await startDemo()
    await client(demo.url).post('/swarms')
    const result = await demo.stop('SIGINT')
    expect(result).toEqual({code: 0, signal: null, survivors: []})
  })
})

describe('demo: configuration', () => {
  it('refuses a bad flag value or an unknown flag with exit code 2 and says why', async () => {
    const bad = await runDemo(['--pool-size', 'lots'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/--pool-size must be a whole number/)
    expect(bad.stdout).toBe('')
    const unknown = await runDemo(['--pool', '5'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/--pool/)
  })

  it('listens only on loopback unless --host says otherwise: a non-loopback DEMO_HOST is refused', async () => {
    const refused = await runDemo([], {DEMO_HOST: '10.1.2.3'})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toMatch(/not a loopback address/)
  })

  it('reads DEMO_* variables, and a flag wins over its variable', async () => {
    const fromEnv = await startDemo([], {DEMO_POOL_SIZE: '7'})
    expect((await client(fromEnv.url).get('/fleet')).body.poolSize).toBe(7)
    const fromFlag = await startDemo(['--pool-size', '9'], {DEMO_POOL_SIZE: '7'})
    expect((await client(fromFlag.url).get('/fleet')).body.poolSize).toBe(9)
    await Promise.all([fromEnv.stop(), fromFlag.stop()])
  })
})

describe('demo: flags that degrade it on purpose', () => {
  it('--added-latency 200 makes each allocation take at least 200 ms, and the server histogram agrees', async () => {
    const demo = await startDemo(['--added-latency', '200'])
    const api = client(demo.url)
    const allocation = await api.post('/fleet/allocations')
    expect(allocation.status).toBe(201)
    // Node timers count whole milliseconds, so a 200 ms wait may measure a fraction of a millisecond short.
    expect(allocation.ms).toBeGreaterThanOrEqual(199)
    expect((await api.get('/dashboard/snapshot')).ms).toBeGreaterThanOrEqual(199)
    const {samples} = await scrape(demo.url)
    expect(samples.get('demo_fleet_allocation_duration_seconds_count')).toBe(1)
    expect(samples.get('demo_fleet_allocation_duration_seconds_bucket{le="0.1"}')).toBe(0)
    const [update] = await dashboardMessages(demo.url, 1)
    expect(update!.receivedAt - update!.data.serverTime).toBeGreaterThanOrEqual(199)
    await demo.stop()
  })

  it('--failover-delay 1500 holds a swarm leaderless for at least that long after a kill', async () => {
    const demo = await startDemo(['--failover-delay', '1500'])
    const api = client(demo.url)
    const {id} = (await api.post('/swarms')).body
    const killedAt = performance.now()
    expect((await api.post(`/swarms/${id}/faults`, {kind: 'kill-leader'})).status).toBe(202)
    expect(await waitFor(async () => (await api.get(`/swarms/${id}`)).body.healthy)).toBe(true)
    expect(performance.now() - killedAt).toBeGreaterThanOrEqual(1500)
    const {samples} = await scrape(demo.url)
    expect(samples.get('demo_swarm_failover_duration_seconds_count')).toBe(1)
    expect(samples.get('demo_swarm_failover_duration_seconds_bucket{le="1"}')).toBe(0)
    expect((await demo.stop()).survivors).toEqual([])
  })

  it('--update-interval sets the dashboard push cadence', async () => {
    const demo = await startDemo(['--update-interval', '1000'])
    const messages = await dashboardMessages(demo.url, 3)
    for (let i = 1; i < messages.length; i++) {
      expect(messages[i]!.data.serverTime - messages[i - 1]!.data.serverTime).toBeGreaterThanOrEqual(990)
    }

    await demo.stop()
  })
})
