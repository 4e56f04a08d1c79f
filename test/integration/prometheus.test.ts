// The prometheus validator against a real Prometheus that scrapes the demo every second.
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {checkExpectation, parseExpectation} from '../../src/engine/index.js'
import {metricSpecs, resolveOptions} from '../../src/validators/options.js'
import {prometheus} from '../../src/validators/prometheus.js'
import {collectEvidence} from '../../src/validators/runner.js'
import {measure, runContext, samplesOf, valueOf} from '../helpers/evidence.js'
import {closedPortUrl} from '../fixtures/load-servers/servers.js'
import {client, type Demo, ensureDemoBuilt, scrape, startDemo, stopAllDemos} from './demo/demo.js'
import {PROMETHEUS, type PrometheusServer, startPrometheus} from './servers/prometheus.js'

async function noData(options: Record<string, unknown>): Promise<string> {
  const outcome = await collectEvidence(prometheus, options, runContext({timeoutMs: 20_000}))
  if (!('noData' in outcome)) throw new Error(`expected NO_DATA, got ${JSON.stringify(outcome.evidence)}`)
  return outcome.noData
}

describe.skipIf(!PROMETHEUS)('prometheus validator against a real Prometheus scraping the demo', () => {
  let demo: Demo
  let server: PrometheusServer
  /** The demo's cache counters once Prometheus has scraped them after the test's requests. */
  let hits: number
  let misses: number

  beforeAll(async () => {
    await ensureDemoBuilt()
    demo = await startDemo()
    server = await startPrometheus({demo: demo.url})
    await server.waitForTargets()
    // A read-through cache: the first read of a fills the LRU (a miss), the next two hit, b and c miss.
    const api = client(demo.url)
    expect((await api.put('/cache/items/a', {n: 1})).status).toBe(204)
    for (const key of ['a', 'a', 'a', 'b', 'c']) await api.get(`/cache/items/${key}`)
    const {samples} = await scrape(demo.url)
    hits = samples.get('demo_cache_hits_total')!
    misses = samples.get('demo_cache_misses_total')!
    expect([hits, misses]).toEqual([2, 3])
    await server.waitForValue('demo_cache_hits_total', (value) => value === hits)
    await server.waitForValue('demo_cache_misses_total', (value) => value === misses)
  })

  afterAll(async () => {
    await server?.stop()
    if (demo) expect((await demo.stop()).survivors).toEqual([])
    await stopAllDemos()
  })

  it(
    "reads the demo's counters with instant queries, as artifact evidence naming the server and the " + 'queries',
    async () => {
      const evidence = await measure(prometheus, {
        queries: {hits: 'demo_cache_hits_total', misses: 'demo_cache_misses_total'},
        url: server.url,
      })
      expect(evidence.metrics).toEqual({
        hits: {dimension: 'count', type: 'value', value: hits},
        misses: {dimension: 'count', type: 'value', value: misses},
      })
      expect(evidence.kind).toBe('artifact')
      expect(evidence.source).toBe(
        `Prometheus ${server.url}: hits = demo_cache_hits_total; misses = demo_cache_misses_total`,
      )
    },
  )

  it('reads a ratio as a proportion that expectations compare with %', async () => {
    const options = {
      dimension: 'proportion',
      metric: 'hit_ratio',
      query: 'demo_cache_hits_total / (demo_cache_hits_total + demo_cache_misses_total)',
      url: server.url,
    }
    const evidence = await measure(prometheus, options)
    expect(evidence.metrics.hit_ratio).toEqual({dimension: 'proportion', type: 'value', value: hits / (hits + misses)})
    const [spec] = metricSpecs(prometheus, resolveOptions(prometheus, options).options)
    expect(checkExpectation(parseExpectation('hit_ratio >= 50%'), spec, ['hit_ratio'])).toBeNull()
  })

  it('turns a range query into samples, one per step', async () => {
    const evidence = await measure(prometheus, {
      metric: 'hits',
      query: 'demo_cache_hits_total',
      range: {duration: '5s', step: '1s'},
      url: server.url,
    })
    const samples = samplesOf(evidence.metrics.hits)
    // The counter only grew to `hits` during the setup, so every step holds at most that, and the last one exactly
    // that.
    expect(samples.length).toBeGreaterThanOrEqual(2)
    expect(samples.every((value) => value <= hits)).toBe(true)
    expect(samples.at(-1)).toBe(hits)
    expect(evidence.durationMs).toBe(5000)
    expect(evidence.source).toBe(`Prometheus ${server.url}, the last 5s every 1s: hits = demo_cache_hits_total`)
  })

  it('gives NO_DATA with the query shown when nothing matches it, never a pass', async () => {
    expect(await noData({metric: 'x', query: 'demo_no_such_metric_total', url: server.url})).toBe(
      `validator prometheus failed: query "demo_no_such_metric_total" returned no series from Prometheus ` +
        `at ${server.url}: nothing it has matches (a misspelled metric or label, or a target not scraped yet)`,
    )
  })

  it("gives NO_DATA with Prometheus's own message for a query it rejects", async () => {
    const reason = await noData({metric: 'x', query: 'sum(rate(demo_cache_hits_total[1m])', url: server.url})
    expect(reason).toMatch(
      new RegExp(
        String.raw`^validator prometheus failed: Prometheus rejected "sum\(rate\(demo_cache_hits_total\[1m\]\)": ` +
          String.raw`bad_data: .*unclosed left parenthesis`,
      ),
    )
  })

  it('names the series when a query returns several, and combines them only when `aggregate` says how', async () => {
    const query = '{__name__=~"demo_cache_(hits|misses)_total"}'
    const reason = await noData({metric: 'lookups', query, url: server.url})
    expect(reason).toContain(`query ${JSON.stringify(query)} returned 2 series (`)
    expect(reason).toContain('demo_cache_hits_total{instance=')
    expect(reason).toContain('demo_cache_misses_total{instance=')
    expect(reason).toContain(
      'combine them in PromQL (sum(...), max by (...)(...)) or set aggregate: sum, avg, min or max',
    )
    const evidence = await measure(prometheus, {aggregate: 'sum', metric: 'lookups', query, url: server.url})
    expect(valueOf(evidence.metrics.lookups)).toBe(hits + misses)
    expect(evidence.notes?.[0]).toMatch(/^lookups: the sum of 2 series \(demo_cache_/)
  })

  describe('behind a proxy that wants a bearer token', () => {
    const TOKEN = 's3cret-token'
    let proxy: Server
    let proxyUrl: string
    beforeAll(async () => {
      // A reverse proxy like the ones that guard a real Prometheus: 401 without the token, the answer with it.
      proxy = createServer((request, response) => {
        if (request.headers.authorization !== `Bearer ${TOKEN}`) {
          response.writeHead(401, {'content-type': 'text/plain'}).end('unauthorized\n')
          return
        }

        const chunks: Buffer[] = []
        request.on('data', (chunk: Buffer) => chunks.push(chunk))
        request.on('end', async () => {
          const upstream = await fetch(server.url + request.url!, {
            body: Buffer.concat(chunks),
            headers: {'content-type': request.headers['content-type'] ?? ''},
            method: request.method,
          })
          response
            .writeHead(upstream.status, {'content-type': upstream.headers.get('content-type') ?? 'application/json'})
            .end(await upstream.text())
        })
      })
      await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
      proxyUrl = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`
    })
    afterAll(async () => {
      proxy.closeAllConnections()
      await new Promise((resolve) => proxy.close(resolve))
    })

    it('sends the token, and never shows it', async () => {
      const evidence = await measure(prometheus, {
        metric: 'hits',
        query: 'demo_cache_hits_total',
        token: TOKEN,
        url: proxyUrl,
      })
      expect(valueOf(evidence.metrics.hits)).toBe(hits)
      expect(JSON.stringify(evidence)).not.toContain(TOKEN)
      const refused = await noData({metric: 'hits', query: 'demo_cache_hits_total', token: 'wrong', url: proxyUrl})
      expect(refused).toContain('answered 401')
      expect(refused).not.toContain('wrong')
    })
  })

  it('gives NO_DATA saying the server cannot be reached', async () => {
    const url = await closedPortUrl()
    expect(await noData({metric: 'x', query: 'up', timeout: '2s', url})).toMatch(
      /^validator prometheus failed: cannot query Prometheus at http:\/\/127\.0\.0\.1:\d+: /,
    )
  })
})
