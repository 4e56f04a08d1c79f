import {Redis} from 'ioredis'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeCacheValidator} from '../../../plugins/cache/src/cache.js'
import {evaluateGate} from '../../../src/engine/index.js'
import type {Evidence, ExpectationVerdict} from '../../../src/engine/types.js'
import * as api from '../../../src/index.js'
import {collectEvidence} from '../../../src/validators/runner.js'
import {closedPortUrl} from '../../fixtures/load-servers/servers.js'
import {measure, runContext, samplesOf, valueOf} from '../../helpers/evidence.js'
import {client, type Demo, ensureDemoBuilt, startDemo, stopAllDemos} from '../demo/demo.js'
import {PROMETHEUS, type PrometheusServer, startPrometheus} from '../servers/prometheus.js'
import {REDIS_SERVER, type RedisServer, startRedis} from '../servers/redis.js'
import {parseExpectation} from '../../../src/engine/expectation.js'

const cache = makeCacheValidator(api)

/** The engine's verdicts for these expectations on this evidence: its Wilson interval and P(holds). */
function verdicts(evidence: Evidence, expectations: string[]): ExpectationVerdict[] {
  const {targets} = evaluateGate({confidence: 0.95, minConsensus: 0.85, resamples: 2000, seed: 1}, [
    {
      collected: {evidence},
      expectations: expectations.map((text) => parseExpectation(text)),
      id: 'cache-hit-rate',
      level: 'error',
      required: true,
      title: 'Cache hit rate',
      validator: 'cache',
      weight: 1,
    },
  ])
  return targets[0]!.expectations
}

function proportion(evidence: Evidence): {events: number; trials: number} {
  const metric = evidence.metrics.hit_rate
  if (metric?.type !== 'proportion') throw new Error(`expected a proportion, got ${JSON.stringify(metric)}`)
  return metric
}

/**
 * The workload's reads as the cache marked them (Redis: a value came back; the demo: x-cache), from the evidence's
 * note.
 */
function ownMarks(evidence: Evidence): {hits: number; misses: number} {
  const note = evidence.notes?.find((text) => text.startsWith('the workload sent'))
  const match = /reads \((\d+) hits, (\d+) misses by the cache’s own mark\)/.exec(note ?? '')
  if (!match) throw new Error(`no workload note in ${JSON.stringify(evidence.notes)}`)
  return {hits: Number(match[1]), misses: Number(match[2])}
}

describe.skipIf(!REDIS_SERVER)('cache validator against a real Redis', () => {
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

  it(
    'measures a hit rate fixed by construction inside its interval: 800 of 1000 keys preloaded, read uniformly, ' +
      'never filled',
    async () => {
      const evidence = await measure(cache, {
        redis: redis.url,
        workload: {concurrency: 4, keys: 1000, on_miss: 'none', operations: 4000, preload: 800, skew: 0},
      })
      const {events, trials} = proportion(evidence)
      expect(trials).toBe(4000)
      expect(valueOf(evidence.metrics.hits)).toBe(events)
      expect(valueOf(evidence.metrics.misses)).toBe(trials - events)
      // The counters moved by exactly what the workload saw: nothing else used the server.
      expect(evidence.notes).toContain(
        `the workload sent 4000 operations: 4000 reads (${events} hits, ${trials - events} misses by the cache’s own ` +
          `mark), 0 writes, 0 fills after a miss, 0 failed`,
      )
      expect(evidence.notes).toContain(
        'the 800 preloaded keys draw 80% of the reads: the hit rate by construction when nothing is filled, written ' +
          'or evicted',
      )
      const [holds, fails] = verdicts(evidence, ['hit_rate >= 70%', 'hit_rate >= 90%'])
      expect(holds!.interval95![0]).toBeLessThanOrEqual(0.8)
      expect(holds!.interval95![1]).toBeGreaterThanOrEqual(0.8)
      expect(holds!.status).toBe('PASS')
      expect(fails!.status).toBe('FAIL')
      expect(samplesOf(evidence.metrics.get_latency)).toHaveLength(4000)
      expect(evidence.metrics.error_rate).toEqual({events: 0, trials: 4000, type: 'proportion'})
      // What the workload wrote is gone again.
      expect(await probe.dbsize()).toBe(0)
    },
  )

  it('fills on a miss (cache-aside): each key misses once, on its first read, and hits after', async () => {
    const evidence = await measure(cache, {
      redis: redis.url,
      workload: {concurrency: 1, keys: 50, operations: 1000, skew: 0},
    })
    const {events, trials} = proportion(evidence)
    const misses = trials - events
    expect(trials).toBe(1000)
    // 1000 uniform reads over 50 keys touch every key (the chance that one is never drawn is below 1e-7).
    expect(misses).toBe(50)
    expect(evidence.notes).toContain(
      `the workload sent 1000 operations: 1000 reads (950 hits, 50 misses by the cache’s own mark), 0 writes, 50 ` +
        `fills after a miss, 0 failed`,
    )
  })

  it('lowers the hit rate when writes invalidate what reads filled', async () => {
    const readOnly = proportion(
      await measure(cache, {redis: redis.url, workload: {concurrency: 2, keys: 100, operations: 2000, skew: 0.5}}),
    )
    const mixed = await measure(cache, {
      redis: redis.url,
      workload: {concurrency: 2, keys: 100, operations: 2000, reads: 0.5, skew: 0.5},
    })
    const withWrites = proportion(mixed)
    expect(withWrites.trials).toBeLessThan(2000)
    expect(withWrites.events / withWrites.trials).toBeLessThan(readOnly.events / readOnly.trials)
    // Half the 2000 operations were writes (DEL), within a few standard errors.
    expect(Math.abs(2000 - withWrites.trials - 1000)).toBeLessThan(150)
  })

  it('counts someone else’s traffic when it only observes the window', async () => {
    await probe.set('seen', '1')
    let sent = false
    const evidence = await measure(
      cache,
      {redis: redis.url, window: '1500ms'},
      {
        async progress() {
          if (sent) return
          sent = true
          for (let i = 0; i < 30; i++) await probe.get(i % 3 === 0 ? 'unseen' : 'seen')
        },
      },
    )
    expect(sent).toBe(true)
    expect(evidence.metrics.hit_rate).toEqual({events: 20, trials: 30, type: 'proportion'})
    expect(evidence.metrics.get_latency).toBeUndefined()
    await probe.del('seen')
  })

  it('is NO_DATA with a clear reason when nothing looks anything up in the window', async () => {
    const outcome = await collectEvidence(cache, {redis: redis.url, window: '300ms'}, runContext())
    expect(outcome).toEqual({
      noData: expect.stringMatching(
        new RegExp(
          `^validator cache failed: no cache lookups in the \\d+ ms window: the hits and misses counters of Redis ` +
            `INFO stats at redis://127\\.0\\.0\\.1:${redis.port} did not move .*measure while traffic runs, or give ` +
            `a \`workload\`$`,
        ),
      ),
    })
  })

  it('is NO_DATA, not a rate, when the counters are reset during the window', async () => {
    for (let i = 0; i < 5; i++) await probe.get('before-the-window')
    const outcome = await collectEvidence(
      cache,
      {redis: redis.url, window: '1s'},
      runContext({
        async progress() {
          await probe.config('RESETSTAT')
        },
      }),
    )
    expect(outcome).toEqual({
      noData: expect.stringMatching(
        new RegExp(
          String.raw`: the (hits|misses) counter went down from \d+ to 0 during the window; the counters were ` +
            String.raw`reset \(a restart or a stats reset\), so measure again$`,
        ),
      ),
    })
  })

  it('is NO_DATA naming the address when Redis is unreachable', async () => {
    const port = new URL(await closedPortUrl()).port
    const outcome = await collectEvidence(
      cache,
      {redis: `redis://user:pw@127.0.0.1:${port}/1`, timeout: '2s', window: '1s'},
      runContext(),
    )
    expect(outcome).toEqual({
      noData: expect.stringMatching(
        new RegExp(
          `^validator cache failed: cannot connect to Redis at redis://127\\.0\\.0\\.1:${port}/1: .*ECONNREFUSED`,
        ),
      ),
    })
    expect(JSON.stringify(outcome)).not.toContain('pw@')
  })

  it('closes its connections and removes its keys when the run is interrupted', async () => {
    const clientsBefore = Number(/connected_clients:(\d+)/.exec(await probe.info('clients'))?.[1])
    const controller = new AbortController()
    const outcome = await collectEvidence(
      cache,
      {redis: redis.url, workload: {concurrency: 4, duration: '20s', keys: 200, preload: 100}},
      runContext({
        progress({message}) {
          if (message?.includes('reads')) controller.abort()
        },
        signal: controller.signal,
      }),
    )
    expect(outcome).toEqual({noData: 'interrupted'})
    // The runner answers at once; the validator's cleanup finishes behind it.
    const deadline = Date.now() + 10_000
    let clients = Number.NaN
    let keys = -1
    while (Date.now() < deadline) {
      clients = Number(/connected_clients:(\d+)/.exec(await probe.info('clients'))?.[1])
      keys = await probe.dbsize()
      if (clients === clientsBefore && keys === 0) break
      await new Promise((resolve) => setTimeout(resolve, 100))
    }

    expect({clients, keys}).toEqual({clients: clientsBefore, keys: 0})
  })
})

describe('cache validator against the demo’s HTTP cache', () => {
  let demo: Demo
  beforeAll(async () => {
    await ensureDemoBuilt()
    // A small LRU, so key popularity decides what stays cached.
    demo = await startDemo(['--cache-size', '50'])
  })
  afterAll(async () => {
    const {survivors} = await demo.stop()
    expect(survivors).toEqual([])
    await stopAllDemos()
  })

  it('reads the counters from GET /cache and counts someone else’s reads', async () => {
    const http = client(demo.url)
    await http.put('/cache/items/a', {v: 1})
    let sent = false
    const evidence = await measure(
      cache,
      {url: `${demo.url}/cache`, window: '1500ms'},
      {
        async progress() {
          if (sent) return
          sent = true
          // A miss that fills the LRU from the store, 9 hits, and 5 misses of an item nobody stored.
          for (let i = 0; i < 10; i++) await http.get('/cache/items/a')
          for (let i = 0; i < 5; i++) await http.get('/cache/items/nothing-here')
        },
      },
    )
    expect(evidence.metrics.hit_rate).toEqual({events: 9, trials: 15, type: 'proportion'})
    expect(evidence.source).toMatch(/^cache: JSON stats at http:\/\/127\.0\.0\.1:\d+\/cache, observing/)
  })

  it('hits more often under a more skewed workload against the same small LRU', async () => {
    const rateAt = async (skew: number): Promise<{evidence: Evidence; verdict: ExpectationVerdict}> => {
      const evidence = await measure(cache, {
        url: `${demo.url}/cache`,
        // Own keys per run, so one run does not leave the LRU warm for the next.
        workload: {concurrency: 4, key_prefix: `skew-${skew}-`, keys: 1000, operations: 3000, skew},
      })
      return {evidence, verdict: verdicts(evidence, ['hit_rate >= 90%'])[0]!}
    }

    const mild = await rateAt(0.6)
    const steep = await rateAt(1.2)
    for (const {evidence} of [mild, steep]) {
      expect(proportion(evidence).trials).toBe(3000)
      expect(evidence.metrics.error_rate).toEqual({events: 0, trials: 3000, type: 'proportion'})
      expect(samplesOf(evidence.metrics.get_latency)).toHaveLength(3000)
      // The demo's x-cache marks agree with its counters: the rate is the workload's, nobody else's.
      expect(ownMarks(evidence)).toEqual({
        hits: proportion(evidence).events,
        misses: 3000 - proportion(evidence).events,
      })
    }

    expect(steep.verdict.interval95![0]).toBeGreaterThan(mild.verdict.interval95![1])
  })

  it('is NO_DATA naming the option when the stats JSON has no such counter', async () => {
    const outcome = await collectEvidence(
      cache,
      {hits_path: 'stats.hits', url: `${demo.url}/cache`, window: '200ms'},
      runContext(),
    )
    expect(outcome).toEqual({
      noData: expect.stringMatching(
        new RegExp(
          String.raw`^validator cache failed: GET http:\/\/127\.0\.0\.1:\d+\/cache: hits_path "stats\.hits" is ` +
            String.raw`missing, not a counter; the body is \{"capacity":50`,
        ),
      ),
    })
  })
})

describe.skipIf(!PROMETHEUS)('cache validator reading the demo’s counters from a real Prometheus', () => {
  let demo: Demo
  let prometheus: PrometheusServer
  beforeAll(async () => {
    await ensureDemoBuilt()
    demo = await startDemo(['--cache-size', '50'])
    prometheus = await startPrometheus({demo: demo.url})
    await prometheus.waitForTargets()
  })
  afterAll(async () => {
    await prometheus?.stop()
    if (demo) expect((await demo.stop()).survivors).toEqual([])
    await stopAllDemos()
  })

  it('counts exactly the workload’s lookups when it waits a scrape before each reading', async () => {
    const evidence = await measure(cache, {
      prometheus: {
        hits: 'sum(demo_cache_hits_total)',
        misses: 'sum(demo_cache_misses_total)',
        settle: '2500ms',
        url: prometheus.url,
      },
      workload: {
        concurrency: 2,
        items: `${demo.url}/cache/items/{key}`,
        keys: 200,
        operations: 1000,
        preload: 20,
        skew: 1,
      },
    })
    const {events, trials} = proportion(evidence)
    expect(trials).toBe(1000)
    // The demo marks each read HIT or MISS; Prometheus's counters moved by exactly those.
    expect(ownMarks(evidence)).toEqual({hits: events, misses: trials - events})
    expect(evidence.source).toMatch(
      /^cache: Prometheus at http:\/\/127\.0\.0\.1:\d+, under a workload of 1000 operations over 200 keys/,
    )
  })

  it('is NO_DATA asking for sum(...) when a query answers several series', async () => {
    const outcome = await collectEvidence(
      cache,
      {
        prometheus: {
          hits: '{__name__=~"demo_cache_(hits|misses)_total"}',
          misses: 'demo_cache_misses_total',
          url: prometheus.url,
        },
        window: '200ms',
      },
      runContext(),
    )
    expect(outcome).toEqual({
      noData: expect.stringMatching(
        new RegExp(
          String.raw`prometheus\.hits "\{__name__=~.*" returned 2 series \(demo_cache_(hits|misses)_total\{.*\); ` +
            String.raw`wrap it in sum\(\.\.\.\) to count every one$`,
        ),
      ),
    })
  })

  it('is NO_DATA naming the query when it answers no series', async () => {
    const outcome = await collectEvidence(
      cache,
      {
        prometheus: {hits: 'no_such_metric_total', misses: 'demo_cache_misses_total', url: prometheus.url},
        window: '200ms',
      },
      runContext(),
    )
    expect(outcome).toEqual({
      noData: expect.stringMatching(
        new RegExp(
          String.raw`prometheus\.hits "no_such_metric_total" returned no series; check the metric name and that ` +
            String.raw`Prometheus scrapes the cache$`,
        ),
      ),
    })
  })
})
