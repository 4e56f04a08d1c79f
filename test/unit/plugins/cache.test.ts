import {describe, expect, it} from 'vitest'

import {makeCacheValidator, planOf} from '../../../plugins/cache/src/cache.js'
import {countersDelta, parseInfo} from '../../../plugins/cache/src/counters.js'
import {ZipfSampler} from '../../../plugins/cache/src/zipf.js'
import {hashSeed, Random} from '../../../src/engine/random.js'
import {redisAddress} from '../../../src/redis.js'

const seededUniform = (seed: string): (() => number) => {
  const random = new Random(hashSeed(seed))
  return () => random.uniform()
}
import * as api from '../../../src/index.js'
import {metricSpecs, resolveOptions} from '../../../src/validators/options.js'

const cache = makeCacheValidator(api)
const problemsOf = (options: unknown): string[] => resolveOptions(cache, options).problems.map(({message}) => message)
const resolved = (options: unknown): Record<string, unknown> => {
  const {options: filled, problems} = resolveOptions(cache, options)
  expect(problems).toEqual([])
  return filled
}

const planFor = (options: unknown): ReturnType<typeof planOf> => planOf(api, resolved(options) as never)

describe('cache: Zipf sampler', () => {
  it('draws the same ranks from the same seed, and other ranks from another', () => {
    const draw = (seed: string): number[] => {
      const sampler = new ZipfSampler(1000, 0.99, seededUniform(seed))
      return Array.from({length: 50}, () => sampler.next())
    }

    expect(draw('1:t')).toEqual(draw('1:t'))
    expect(draw('1:t')).not.toEqual(draw('2:t'))
  })

  it('is uniform at skew 0: every rank within a few standard errors of 1/keys', () => {
    const sampler = new ZipfSampler(10, 0, seededUniform('uniform'))
    const counts = new Array<number>(10).fill(0)
    const draws = 100_000
    for (let i = 0; i < draws; i++) counts[sampler.next()]!++
    // Binomial(100000, 0.1): sd ≈ 95, so 5 sd is about 475.
    for (const count of counts) expect(Math.abs(count - draws / 10)).toBeLessThan(475)
    expect(sampler.probability(3)).toBeCloseTo(0.1, 12)
  })

  it('follows 1/(k+1)^s: at s = 1 over 100 keys the top rank gets 1/H(100) of the draws', () => {
    const sampler = new ZipfSampler(100, 1, seededUniform('zipf'))
    let harmonic = 0
    for (let k = 1; k <= 100; k++) harmonic += 1 / k
    expect(sampler.probability(0)).toBeCloseTo(1 / harmonic, 12)
    expect(sampler.probability(9)).toBeCloseTo(1 / (10 * harmonic), 12)
    expect(sampler.massOfTop(100)).toBe(1)
    const draws = 100_000
    let top = 0
    let tenth = 0
    for (let i = 0; i < draws; i++) {
      const rank = sampler.next()
      if (rank === 0) top++
      if (rank === 9) tenth++
    }

    // p0 ≈ 0.193 (sd of the count ≈ 125), p9 ≈ 0.0193 (sd ≈ 43).
    expect(Math.abs(top - draws / harmonic)).toBeLessThan(625)
    expect(Math.abs(tenth - draws / (10 * harmonic))).toBeLessThan(215)
  })

  it('puts more of the traffic on the hottest keys as the skew grows', () => {
    const share = (skew: number): number => new ZipfSampler(1000, skew, seededUniform('x')).massOfTop(50)
    expect(share(0)).toBeCloseTo(0.05, 12)
    expect(share(0.5)).toBeGreaterThan(share(0))
    expect(share(1.2)).toBeGreaterThan(share(0.5))
    const sum = (n: number, s: number): number =>
      Array.from({length: n}, (_, k) => (k + 1) ** -s).reduce((a, b) => a + b)
    expect(share(1.2)).toBeCloseTo(sum(50, 1.2) / sum(1000, 1.2), 12)
  })

  it('refuses a key count or skew it cannot sample', () => {
    expect(() => new ZipfSampler(0, 1, Math.random)).toThrow(/keys must be a whole number from 1/)
    expect(() => new ZipfSampler(10, -1, Math.random)).toThrow(/skew must be a finite number ≥ 0/)
  })
})

describe('cache: counters', () => {
  it('counts the lookups between two readings', () => {
    expect(countersDelta({hits: 10, misses: 5}, {hits: 18, misses: 7}, 'X')).toEqual({hits: 8, misses: 2})
  })

  it('refuses a counter that went down: the cache was reset', () => {
    expect(() => countersDelta({hits: 10, misses: 5}, {hits: 2, misses: 7}, 'Redis INFO stats at redis://h:1')).toThrow(
      'Redis INFO stats at redis://h:1: the hits counter went down from 10 to 2 during the window; the counters ' +
        'were reset (a restart or a stats reset), so measure again',
    )
  })

  it('refuses a restart even when the counters grew past their old values', () => {
    expect(() => countersDelta({epoch: 'a', hits: 1, misses: 1}, {epoch: 'b', hits: 50, misses: 9}, 'R')).toThrow(
      /R restarted during the window \(its run id changed from a to b\)/,
    )
  })

  it('refuses counters that moved by a fraction of a lookup', () => {
    expect(() => countersDelta({hits: 1, misses: 1}, {hits: 1.5, misses: 1}, 'S')).toThrow(
      /hits counter moved by 0.5, not a whole number/,
    )
  })

  it('reads INFO fields and skips section headers', () => {
    const info = parseInfo('# Server\r\nrun_id:abc\r\n\r\n# Stats\r\nkeyspace_hits:12\r\nkeyspace_misses:3\r\n')
    expect(info.get('run_id')).toBe('abc')
    expect(info.get('keyspace_hits')).toBe('12')
    expect(info.has('# Stats')).toBe(false)
  })

  it('shows a Redis address without its password', () => {
    expect(redisAddress('redis://user:s3cret@127.0.0.1:6380/2')).toBe('redis://127.0.0.1:6380/2')
    expect(redisAddress('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379')
  })
})

describe('cache: options', () => {
  it('fills in the defaults of the window and the workload', () => {
    const plan = planFor({redis: 'redis://127.0.0.1:6379', workload: {}})
    expect(plan).toMatchObject({
      settleMs: 0,
      source: {redis: 'redis://127.0.0.1:6379'},
      timeoutMs: 5000,
      windowMs: 10_000,
    })
    expect(plan.workload).toEqual({
      concurrency: 8,
      durationMs: 10_000,
      fill: true,
      headers: {},
      keyPrefix: 'phasegate-cache-',
      keys: 1000,
      preload: 0,
      reads: 1,
      skew: 0.99,
      target: {redis: 'redis://127.0.0.1:6379'},
      timeoutMs: 5000,
      valueSize: 100,
    })
  })

  it('drives the HTTP items next to a stats URL, and reads hits and misses by default', () => {
    const plan = planFor({url: 'http://127.0.0.1:3000/cache/', workload: {operations: 10}})
    expect(plan.source).toEqual({hits: 'hits', misses: 'misses', url: 'http://127.0.0.1:3000/cache/'})
    expect(plan.workload).toMatchObject({operations: 10, target: {items: 'http://127.0.0.1:3000/cache/items/{key}'}})
  })

  it('reports get_latency and error_rate only with a workload', () => {
    const names = (options: unknown): string[] => metricSpecs(cache, resolved(options)).map((spec) => spec.name)
    expect(names({redis: 'redis://127.0.0.1:6379'})).toEqual(['hit_rate', 'hits', 'misses'])
    expect(names({redis: 'redis://127.0.0.1:6379', workload: {}})).toEqual([
      'hit_rate',
      'hits',
      'misses',
      'get_latency',
      'error_rate',
    ])
  })

  it.each([
    [{}, 'give the counters’ source: one of `redis`, `url` or `prometheus`'],
    [
      {redis: 'redis://127.0.0.1:1', url: 'http://127.0.0.1:1/cache'},
      'give one source of counters, not `redis` and `url`',
    ],
    [
      {hits_path: 'a.hits', redis: 'redis://127.0.0.1:1'},
      '`hits_path` and `misses_path` read the JSON of `url`; with another source leave them out',
    ],
    [
      {redis: 'redis://127.0.0.1:1', workload: {duration: '1s', operations: 5}},
      'give `workload.operations` or `workload.duration`, not both',
    ],
    [
      {redis: 'redis://127.0.0.1:1', workload: {keys: 10, preload: 11}},
      'workload.preload (11) cannot exceed workload.keys (10)',
    ],
    [
      {prometheus: {hits: 'h', misses: 'm', url: 'http://127.0.0.1:9090'}, workload: {}},
      'with `prometheus`, say what the workload drives: `workload.redis` (a Redis URL) or `workload.items` (an item ' +
        'URL with {key})',
    ],
    [
      {redis: 'redis://127.0.0.1:1', window: '0s'},
      '`window` must be longer than 0s: nothing can be counted in no time',
    ],
  ])('refuses options that do not fit together: %j', (options, message) => {
    expect(() => planFor(options)).toThrow(message)
  })

  it('checks each option by its schema before anything runs', () => {
    expect(problemsOf({redis: 'http://127.0.0.1:6379'})).toEqual([
      'option "redis" is not valid: "http://127.0.0.1:6379"',
    ])
    expect(problemsOf({redis: 'redis://127.0.0.1:6379', workload: {skew: -1}})).toEqual([
      'option "workload.skew" must be >= 0',
    ])
    expect(problemsOf({redis: 'redis://127.0.0.1:6379', workload: {on_miss: 'set'}})).toEqual([
      'option "workload.on_miss" is "set"; it must be one of: fill, none',
    ])
    expect(problemsOf({url: 'http://127.0.0.1:1/cache', workload: {items: 'http://127.0.0.1:1/cache/items'}})).toEqual([
      'option "workload.items" is not valid: "http://127.0.0.1:1/cache/items"',
    ])
    expect(problemsOf({redis: 'redis://127.0.0.1:6379', windw: '1s'})[0]).toBe(
      'unknown option "windw" for validator "cache"',
    )
  })
})
