// The load engine's own response parser against HTTP servers not written in Node: Prometheus (Go's net/http).
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {runLoad} from '../../../src/load/index.js'
import {PROMETHEUS, type PrometheusServer, startPrometheus} from '../servers/prometheus.js'

describe.skipIf(!PROMETHEUS)("the load engine against Go's net/http (a real Prometheus)", () => {
  let server: PrometheusServer
  beforeAll(async () => {
    server = await startPrometheus({})
    await server.waitForTargets()
  })
  afterAll(async () => server?.stop())

  it('reads sized bodies whole, as undici reads them, and HEAD without a body', async () => {
    for (const path of ['/-/ready', '/api/v1/status/buildinfo', '/api/v1/status/flags']) {
      const url = `${server.url}${path}`
      const response = await fetch(url, {headers: {'accept-encoding': 'identity'}})
      const body = Buffer.from(await response.arrayBuffer())
      const result = await runLoad({connections: 4, requests: 200, url})
      expect(result.requests, path).toMatchObject({completed: 200, errors: 0, ok: 200})
      expect(result.bytesReceived, path).toBe(200 * body.length)
    }

    const head = await runLoad({connections: 2, method: 'HEAD', requests: 50, url: `${server.url}/-/ready`})
    expect(head.requests).toMatchObject({completed: 50, ok: 50})
    expect(head.bytesReceived).toBe(0)
  })

  it("reads Go's chunked bodies whole: its own metrics, ~40 KB that grow a little with each request", async () => {
    const url = `${server.url}/metrics`
    const length = async (): Promise<number> => {
      const response = await fetch(url, {headers: {'accept-encoding': 'identity'}})
      expect(response.headers.get('transfer-encoding')).toBe('chunked')
      return (await response.arrayBuffer()).byteLength
    }

    const before = await length()
    const result = await runLoad({connections: 4, requests: 100, url})
    const after = await length()
    expect(result.requests).toMatchObject({completed: 100, errors: 0, ok: 100})
    // About the body fetch reads: gauges may lose a digit, so 1% either side (the framing is the unit tests' job).
    const perRequest = result.bytesReceived / 100
    expect(perRequest).toBeGreaterThanOrEqual(before * 0.99)
    expect(perRequest).toBeLessThanOrEqual(after * 1.01)
  })

  it('counts a status Go answers with an error as a status error, on a connection it keeps', async () => {
    const result = await runLoad({connections: 2, requests: 100, url: `${server.url}/api/v1/query`})
    expect(result.requests).toMatchObject({completed: 100, errors: 100})
    expect(result.errors.status).toBe(100)
    expect(result.errorExamples.status).toBe('status 400')
  })
})
