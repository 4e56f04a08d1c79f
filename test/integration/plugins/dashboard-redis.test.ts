// Dashboard delivery over a real Redis pub/sub (redis-server on 127.0.0.1, started and stopped here).
import {setTimeout as sleep} from 'node:timers/promises'

import {Redis} from 'ioredis'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {collectEvidence} from '../../../src/validators/runner.js'
import {closedPortUrl} from '../../fixtures/load-servers/servers.js'
import {countsOf, measure, runContext, samplesOf} from '../../helpers/evidence.js'
import {REDIS_SERVER, type RedisServer, startRedis} from '../servers/redis.js'
import {dashboard} from './helpers.js'

/** Waits (bounded) until an asynchronous check holds; returns whether it did. */
async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await check()) return true
    await sleep(50)
  }

  return check()
}

describe.skipIf(!REDIS_SERVER)('dashboard validator over a real Redis pub/sub', () => {
  let redis: RedisServer
  let probe: Redis
  beforeAll(async () => {
    redis = await startRedis()
    probe = new Redis(redis.url, {lazyConnect: true})
    await probe.connect()
  })
  afterAll(async () => {
    probe?.disconnect()
    await redis?.stop()
  })

  /** Clients connected to the server now, other than the test's own probe (and a witness, when there is one). */
  const otherClients = async (own: number): Promise<number> =>
    String(await probe.client('LIST'))
      .trim()
      .split('\n').length - own

  it('100 subscribers across 100 channels: every stamp it publishes reaches its channel’s subscriber', async () => {
    // A witness of its own on every dashboard channel sees what Redis carried, independently of the validator.
    const witness = new Redis(redis.url, {lazyConnect: true})
    await witness.connect()
    const perChannel = new Map<string, number>()
    witness.on('pmessage', (_pattern: string, channel: string) =>
      perChannel.set(channel, (perChannel.get(channel) ?? 0) + 1),
    )
    await witness.psubscribe('dashboard:*')
    try {
      const evidence = await measure(dashboard, {
        channels: 100,
        clients: 100,
        duration: '2s',
        interval: '500ms',
        latency: {from: 'stamp'},
        mode: 'redis',
        url: redis.url,
      })
      expect(evidence.source).toBe(`dashboard: 100 Redis subscribers across 100 channels at ${redis.url}`)
      const carried = [...perChannel.values()].reduce((sum, count) => sum + count, 0)
      // Each channel carried the same number of stamps, a round per interval; every one reached its subscriber.
      expect([...perChannel.keys()].sort()).toEqual(Array.from({length: 100}, (_, i) => `dashboard:${i}`).sort())
      expect(new Set(perChannel.values()).size).toBe(1)
      expect(carried).toBeGreaterThanOrEqual(100)
      expect(countsOf(evidence.metrics.error_rate)).toEqual({events: 0, trials: carried})
      expect(samplesOf(evidence.metrics.refresh_latency)).toHaveLength(carried)
      expect(evidence.notes).toContainEqual(
        expect.stringMatching(new RegExp(`${carried} stamps, ${carried} of ${carried} deliveries arrived`)),
      )
      // Every subscriber and the publisher said goodbye: only the probe and the witness are left.
      expect(await eventually(async () => (await otherClients(2)) === 0)).toBe(true)
    } finally {
      witness.disconnect()
    }
  })

  it('latency.from message: times what the application publishes from the send time it holds (µs)', async () => {
    const publishing = setInterval(() => {
      for (let channel = 0; channel < 10; channel++)
        void probe.publish(`board-${channel}`, JSON.stringify({meta: {ts: String(Date.now() * 1000)}}))
    }, 100)
    try {
      const evidence = await measure(dashboard, {
        channel: 'board-{index}',
        channels: 10,
        clients: 20,
        duration: '2s',
        interval: '1s',
        latency: {from: 'message', path: 'meta.ts', unit: 'us'},
        mode: 'redis',
        url: redis.url,
      })
      // Two subscribers per channel, each with two whole intervals that had updates.
      expect(countsOf(evidence.metrics.error_rate)).toEqual({events: 0, trials: 40})
      expect(samplesOf(evidence.metrics.refresh_latency).length).toBeGreaterThanOrEqual(40)
    } finally {
      clearInterval(publishing)
    }
  })

  it('a subscriber the server drops is a failed refresh for the rest of the run, not a crash', async () => {
    // Once all four subscribed and a few rounds of stamps went out, the server cuts every subscriber.
    const dropping = (async () => {
      const subscribed = async (): Promise<boolean> => {
        const counts = (await probe.pubsub('NUMSUB', 'dashboard:0', 'dashboard:1')) as Array<string | number>
        return Number(counts[1]) + Number(counts[3]) === 4
      }

      expect(await eventually(subscribed)).toBe(true)
      await sleep(800)
      await probe.client('KILL', 'TYPE', 'PUBSUB')
    })()
    const evidence = await measure(dashboard, {
      channels: 2,
      clients: 4,
      duration: '3s',
      interval: '250ms',
      latency: {from: 'stamp'},
      mode: 'redis',
      url: redis.url,
    })
    await dropping
    const {events, trials} = countsOf(evidence.metrics.error_rate)
    expect(events).toBeGreaterThan(0)
    expect(events).toBeLessThan(trials)
    expect(evidence.notes?.join('\n')).toMatch(
      /reset \(the connection to redis:\/\/127\.0\.0\.1:\d+ closed before the end\)/,
    )
  })
})

describe('dashboard validator, mode redis, without a server', () => {
  it('is NO_DATA naming the address when nothing listens', async () => {
    const url = (await closedPortUrl()).replace(/^http:/, 'redis:').replace(/\/$/, '')
    const outcome = await collectEvidence(
      dashboard,
      {clients: 3, duration: '5s', latency: {from: 'stamp'}, mode: 'redis', url},
      runContext(),
    )
    expect(outcome).toEqual({
      noData: expect.stringMatching(/no subscription opened \(SUBSCRIBE dashboard:0 at redis:\/\/127.*ECONNREFUSED/),
    })
  })
})
