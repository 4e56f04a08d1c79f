import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {LoadPlanError, runLoad, summarizeLatency} from '../../../src/load/index.js'
import {
  closedPortUrl,
  startDelayServer,
  startFastServer,
  startHugeBodyServer,
  startRawServer,
  startResetMidBodyServer,
  startServer,
  startStallOnceServer,
  startStatusServer,
  serverPool,
} from '../../fixtures/load-servers/servers.js'

const serve = serverPool()

describe('closed model', () => {
  it('measures a fixed server delay from above, and counts what the server counts', async () => {
    const server = await serve(startDelayServer(50))
    const started = performance.now()
    const result = await runLoad({connections: 2, durationMs: 1500, url: server.url})
    const elapsed = performance.now() - started
    const latency = summarizeLatency(result.latency)
    expect(latency.count).toBeGreaterThan(5)
    expect(latency.min).toBeGreaterThanOrEqual(50)
    expect(latency.p50).toBeGreaterThanOrEqual(50)
    // And not more than the run allows, however busy the machine: each connection's requests follow one another, so
    // their latencies add up to at most the run's length (1% for the histogram's rounding). A fixed bound such as
    // 1.5x the delay failed at a load average of 11.
    expect(latency.mean * latency.count).toBeLessThanOrEqual(2 * elapsed * 1.01)
    expect(result.requests.completed).toBe(server.served)
    expect(result.requests).toEqual({
      completed: result.requests.sent,
      errors: 0,
      ok: result.requests.sent,
      sent: result.requests.sent,
    })
    // No schedule in the closed model: both histograms time from the actual send.
    expect(summarizeLatency(result.latencyUncorrected)).toEqual(latency)
    expect(result.rates.offered).toBeNull()
    expect(result.model).toBe('closed')
    expect(result.stopReason).toBe('completed')
    expect(result.partial).toBe(false)
    expect(result.samples.latency).toHaveLength(latency.count)
    expect(Math.min(...result.samples.latency)).toBeGreaterThanOrEqual(20)
    expect(result.timeline.reduce((sum, point) => sum + point.completed, 0)).toBe(result.requests.completed)
    expect(result.client.cpu).toBeGreaterThan(0)
  })

  it('runs stages one after another, each measured alone and merged', async () => {
    const server = await serve(startDelayServer(5))
    const result = await runLoad({
      stages: [
        {connections: 2, durationMs: 400, name: 'two'},
        {connections: 4, durationMs: 400},
        {connections: 4, durationMs: 400, rampFrom: 1},
      ],
      url: server.url,
    })
    expect(result.stages.map((stage) => [stage.index, stage.connections, stage.rampFrom])).toEqual([
      [0, 2, null],
      [1, 4, null],
      [2, 4, 1],
    ])
    expect(result.stages[0]?.name).toBe('two')
    const stageCounts = result.stages.map((stage) => stage.latency.totalCount)
    expect(stageCounts.every((count) => count > 0)).toBe(true)
    expect(result.latency.totalCount).toBe(stageCounts.reduce((sum, count) => sum + count, 0))
    expect(result.requests.ok).toBe(result.latency.totalCount)
    expect(result.requests.completed).toBe(server.served)
    expect(result.stages[1]!.startMs).toBeGreaterThanOrEqual(
      result.stages[0]!.startMs + result.stages[0]!.durationMs - 1,
    )
  })

  it('stops at the request count and keeps a bounded reservoir of samples', async () => {
    const server = await serve(startFastServer())
    const result = await runLoad({connections: 20, durationMs: 120_000, requests: 50_000, url: server.url})
    expect(result.stopReason).toBe('requests')
    expect(result.partial).toBe(false)
    expect(result.requests.sent).toBe(50_000)
    expect(server.served).toBe(50_000)
    expect(result.latency.totalCount).toBe(50_000)
    expect(result.samples.latency).toHaveLength(10_000)
    expect(result.samples.latencyUncorrected).toHaveLength(10_000)
    expect(result.samples.seen).toBe(50_000)
  })
})

describe('open model', () => {
  it('shows a stall in the latency corrected from intended sends and not in the uncorrected one', async () => {
    // 200/s for 3 s through one connection; request 100 is held for 1 s, and the ~200 due meanwhile queue behind it.
    const server = await serve(startStallOnceServer(100, 1000))
    const result = await runLoad({connections: 1, durationMs: 3000, rate: 200, url: server.url})
    const corrected = summarizeLatency(result.latency)
    const uncorrected = summarizeLatency(result.latencyUncorrected)
    expect(result.model).toBe('open')
    expect(corrected.max).toBeGreaterThanOrEqual(1000)
    // The six worst of ~600 were all due within ~30 ms after the stalled send, so each waited ~970 ms or more.
    expect(corrected.p99).toBeGreaterThanOrEqual(900)
    // Only the stalled request itself was slow once sent.
    expect(uncorrected.max).toBeGreaterThanOrEqual(1000)
    expect(uncorrected.p99).toBeLessThan(500)
    expect(result.rates.offered).toBeGreaterThan(150)
    expect(result.requests.sent + result.unsent).toBeGreaterThanOrEqual(590)
  })

  it('counts scheduled requests that never went out because the connections were busy', async () => {
    const server = await serve(startDelayServer(200))
    // One connection at 200 ms each can carry ~5/s of the 50/s offered.
    const result = await runLoad({connections: 1, durationMs: 1000, rate: 50, url: server.url})
    expect(result.unsent).toBeGreaterThan(30)
    expect(result.requests.sent + result.unsent).toBe(50)
    expect(result.rates.offered).toBeGreaterThan(result.rates.achieved * 3)
  })

  it('ramps the arrival rate linearly', async () => {
    const server = await serve(startFastServer())
    // From 0 to 100/s over 1 s: 50 arrivals.
    const result = await runLoad({
      connections: 4,
      stages: [{durationMs: 1000, rampFrom: 0, rate: 100}],
      url: server.url,
    })
    expect(result.requests.sent + result.unsent).toBe(50)
    expect(result.stages[0]?.rate).toBe(100)
  })
})

describe('errors by kind', () => {
  it('counts a refused connection as connect errors without hanging or throwing', async () => {
    const url = await closedPortUrl()
    const result = await runLoad({connections: 2, durationMs: 500, url})
    expect(result.requests.completed).toBeGreaterThan(0)
    expect(result.errors.connect).toBe(result.requests.completed)
    expect(result.requests.ok).toBe(0)
    expect(result.latency.totalCount).toBe(0)
    expect(result.samples.latency).toEqual([])
    expect(result.errorExamples.connect).toContain('ECONNREFUSED')
  })

  it('counts a reset in the middle of a body as a body error', async () => {
    const server = await serve(startResetMidBodyServer())
    const result = await runLoad({connections: 2, durationMs: 500, url: server.url})
    expect(result.errors.body).toBeGreaterThan(0)
    expect(result.errors.body).toBe(result.requests.completed)
  })

  it('cuts bodies over the cap, counts them as body errors and keeps none of them', async () => {
    const server = await serve(startHugeBodyServer(5 * 1024 ** 2))
    const cap = 256 * 1024
    const result = await runLoad({connections: 2, durationMs: 500, maxBodyBytes: cap, url: server.url})
    expect(result.requests.completed).toBeGreaterThan(1)
    expect(result.errors.body).toBe(result.requests.completed)
    expect(result.errorExamples.body).toContain('UND_ERR_RES_EXCEEDED_MAX_SIZE')
    expect(result.bytesReceived).toBeLessThanOrEqual(result.requests.completed * cap)
  })

  it('counts a connection closed before any response as a reset', async () => {
    const server = await serve(startServer((req) => req.socket.destroy()))
    const result = await runLoad({connections: 2, durationMs: 300, url: server.url})
    expect(result.errors.reset).toBeGreaterThan(0)
    expect(result.errors.reset).toBe(result.requests.completed)
  })

  it('counts statuses outside 2xx/3xx, unless the caller accepts them', async () => {
    const server = await serve(startStatusServer(503))
    const failing = await runLoad({connections: 1, durationMs: 300, url: server.url})
    expect(failing.errors.status).toBe(failing.requests.completed)
    expect(failing.errorExamples.status).toBe('status 503')
    const accepted = await runLoad({connections: 1, durationMs: 300, okStatus: [503], url: server.url})
    expect(accepted.requests.ok).toBe(accepted.requests.completed)
  })

  it('counts a server that never answers as timeouts', async () => {
    const server = await serve(startServer(() => {}))
    const result = await runLoad({connections: 2, durationMs: 300, timeoutMs: 500, url: server.url})
    expect(result.errors.timeout).toBe(2)
    expect(result.requests.completed).toBe(2)
  })
})

describe('plain HTTP responses', () => {
  it('counts chunked bodies whole', async () => {
    const server = await serve(
      startServer((_req, res) => {
        res.write('a'.repeat(1000))
        res.end('b'.repeat(500))
      }),
    )
    const result = await runLoad({connections: 2, durationMs: 300, url: server.url})
    expect(result.requests.ok).toBeGreaterThan(0)
    expect(result.requests.ok).toBe(result.requests.completed)
    expect(result.bytesReceived).toBe(result.requests.completed * 1500)
  })

  it('opens a new connection after a response that closes it', async () => {
    const sockets = new Set<unknown>()
    const server = await serve(
      startServer((req, res) => {
        sockets.add(req.socket)
        res.setHeader('connection', 'close')
        res.end('ok')
      }),
    )
    const result = await runLoad({connections: 2, requests: 20, url: server.url})
    expect(result.requests.ok).toBe(20)
    expect(server.served).toBe(20)
    expect(sockets.size).toBe(20)
  })

  it('reads a body that runs to the end of the connection', async () => {
    const server = await serve(startRawServer('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\n\r\nhello'))
    const result = await runLoad({connections: 2, requests: 10, url: server.url})
    expect(result.requests.ok).toBe(10)
    expect(result.bytesReceived).toBe(50)
  })

  it("passes over empty lines after a response, as Node's own client does, on the same connection", async () => {
    const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\n'
    const server = await startRawServer(ok, {keepAlive: true})
    const result = await runLoad({connections: 1, requests: 20, url: server.url})
    expect(result.requests).toMatchObject({completed: 20, errors: 0, ok: 20})
    expect(result.bytesReceived).toBe(40)
    expect(server.connections).toBe(1)
    await server.close()
  })

  it('drops a connection that speaks while nothing is asked, and asks the next request on a new one', async () => {
    const ok = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'
    // Junk, and the start of an answer to nothing: either would be read into the next answer.
    for (const idleBytes of ['X', 'HTTP/1.1 20']) {
      const server = await startRawServer(ok, {idleBytes, keepAlive: true})
      // Open model at 5/s: the connection is idle ~200 ms between requests, and the bytes come 20 ms into that.
      const result = await runLoad({connections: 1, rate: 5, requests: 4, url: server.url})
      expect(result.requests, idleBytes).toMatchObject({completed: 4, errors: 0, ok: 4})
      expect(server.connections, idleBytes).toBeGreaterThan(1)
      await server.close()
    }
  })

  it('expects no body after HEAD, 204, 304 or an early 103', async () => {
    const server = await serve(
      startServer((req, res) => {
        if (req.url === '/early') res.writeEarlyHints({link: '</style.css>; rel=preload'})
        if (req.method === 'HEAD') res.writeHead(200, {'content-length': 100}).end()
        else if (req.url === '/none') res.writeHead(204).end()
        else if (req.url === '/same') res.writeHead(304).end()
        else res.end('ok')
      }),
    )
    for (const [path, method] of [
      ['', 'HEAD'],
      ['none', 'GET'],
      ['same', 'GET'],
      ['early', 'GET'],
    ] as const) {
      const result = await runLoad({connections: 2, method, requests: 20, timeoutMs: 1000, url: `${server.url}${path}`})
      expect(result.requests.ok, `${method} /${path}`).toBe(20)
    }
  })

  it('sends the method, headers and body, with its length', async () => {
    const seen: Array<{body: string; headers: Record<string, unknown>; method?: string}> = []
    const server = await serve(
      startServer((req, res) => {
        let body = ''
        req.on('data', (chunk: Buffer) => (body += String(chunk)))
        req.on('end', () => {
          seen.push({body, headers: req.headers, method: req.method})
          res.end('ok')
        })
      }),
    )
    const result = await runLoad({
      body: '{"a":1}',
      connections: 1,
      headers: {'content-type': 'application/json', 'x-run': 'load'},
      method: 'post',
      requests: 3,
      url: `${server.url}?q=1`,
    })
    expect(result.requests.ok).toBe(3)
    expect(seen).toHaveLength(3)
    expect(seen[0]).toMatchObject({
      body: '{"a":1}',
      headers: {
        'content-length': '7',
        'content-type': 'application/json',
        host: new URL(server.url).host,
        'x-run': 'load',
      },
      method: 'POST',
    })
  })

  it('cuts a body that trickles in past the timeout as a timeout', async () => {
    const server = await serve(
      startServer((_req, res) => {
        res.writeHead(200, {'content-length': 1000})
        const drip = setInterval(() => res.write('x'), 20)
        res.on('close', () => clearInterval(drip))
      }),
    )
    const result = await runLoad({connections: 2, durationMs: 200, timeoutMs: 300, url: server.url})
    expect(result.errors.timeout).toBe(2)
    expect(result.requests.completed).toBe(2)
  })
})

describe('https', () => {
  it('loads an https URL through undici', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'phasegate-tls-'))
    const [key, cert] = [path.join(dir, 'key.pem'), path.join(dir, 'cert.pem')]
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'].concat([
        '-subj',
        '/CN=127.0.0.1',
        '-days',
        '1',
        '-keyout',
        key,
        '-out',
        cert,
      ]),
      {stdio: 'ignore'},
    )
    const server = https.createServer({cert: readFileSync(cert), key: readFileSync(key)}, (_req, res) => res.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    // The certificate is this test's own: trusted for this run only.
    const rejecting = process.env.NODE_TLS_REJECT_UNAUTHORIZED
    process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0'
    try {
      const {port} = server.address() as AddressInfo
      const result = await runLoad({connections: 2, requests: 10, url: `https://127.0.0.1:${port}/`})
      expect(result.requests.ok).toBe(10)
      expect(result.bytesReceived).toBe(20)
    } finally {
      if (rejecting === undefined) delete process.env.NODE_TLS_REJECT_UNAUTHORIZED
      else process.env.NODE_TLS_REJECT_UNAUTHORIZED = rejecting
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      rmSync(dir, {force: true, recursive: true})
    }
  })
})

describe('stopping early', () => {
  it('returns what it measured, marked partial, soon after an abort', async () => {
    const server = await serve(startDelayServer(5))
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 300)
    const started = performance.now()
    const result = await runLoad({connections: 4, durationMs: 60_000, signal: controller.signal, url: server.url})
    expect(performance.now() - started).toBeLessThan(5000)
    expect(result.partial).toBe(true)
    expect(result.stopReason).toBe('aborted')
    expect(result.requests.ok).toBeGreaterThan(0)
    expect(result.requests.completed).toBe(result.requests.sent)
  })

  it('cuts requests still in flight shortly after an abort', async () => {
    const server = await serve(startServer(() => {}))
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 200)
    const started = performance.now()
    const result = await runLoad({connections: 3, durationMs: 60_000, signal: controller.signal, url: server.url})
    expect(performance.now() - started).toBeLessThan(5000)
    expect(result.partial).toBe(true)
    // Cut by the client, not failed by the server: not counted as errors.
    expect(result.requests.completed).toBe(0)
    expect(result.requests.sent).toBe(3)
  })

  it('stops as soon as the caller has decided, after the minimum duration', async () => {
    const server = await serve(startDelayServer(5))
    const asked: number[] = []
    const result = await runLoad({
      connections: 2,
      durationMs: 30_000,
      until: {
        decided(snapshot) {
          asked.push(snapshot.requests.completed)
          return snapshot.requests.completed >= 40
        },
        everyMs: 100,
        minDurationMs: 200,
      },
      url: server.url,
    })
    expect(result.stopReason).toBe('decided')
    expect(result.partial).toBe(false)
    expect(result.durationMs).toBeLessThan(30_000)
    expect(asked.at(-1)).toBeGreaterThanOrEqual(40)
    expect(asked.slice(0, -1).every((completed) => completed < 40)).toBe(true)
  })

  it('stops and throws when undici refuses the request itself', async () => {
    const server = await serve(startFastServer())
    await expect(
      runLoad({durationMs: 5000, headers: {'transfer-encoding': 'chunked'}, url: server.url}),
    ).rejects.toThrow(/undici refuses the request: UND_ERR_INVALID_ARG: invalid transfer-encoding header/)
    expect(server.served).toBe(0)
  })

  it("stops and throws what a caller's predicate throws", async () => {
    const server = await serve(startFastServer())
    const decided = (): boolean => {
      throw new Error('no verdict')
    }

    await expect(
      runLoad({durationMs: 5000, until: {decided, everyMs: 50, minDurationMs: 50}, url: server.url}),
    ).rejects.toThrow('no verdict')
  })

  it('refuses a plan over the caps before sending anything', async () => {
    const server = await serve(startFastServer())
    await expect(runLoad({durationMs: 11 * 60_000, url: server.url})).rejects.toThrow(LoadPlanError)
    await expect(runLoad({requests: 10_000_001, url: server.url})).rejects.toThrow(/over the cap of 10,000,000/)
    expect(server.served).toBe(0)
  })
})
