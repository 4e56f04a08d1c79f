import {describe, expect, it} from 'vitest'

import {measure as measureWith, runContext, samplesOf, valueOf} from '../../helpers/evidence.js'
import {builtinValidators} from '../../../src/validators/builtin.js'
import {http} from '../../../src/validators/http.js'
import {collectEvidence} from '../../../src/validators/runner.js'
import {closedPortUrl, startDelayServer, startStatusServer, serverPool} from '../../fixtures/load-servers/servers.js'

const measure = (options: Record<string, unknown>) => measureWith(http, options)
const serve = serverPool()

describe('http validator', () => {
  it('is one of the built-in validators', () => {
    expect(builtinValidators.map((validator) => validator.name)).toContain('http')
  })

  it('measures latency, errors, throughput and requests of a URL (closed model)', async () => {
    const server = await serve(startDelayServer(10))
    const evidence = await measure({connections: 2, duration: '600ms', url: server.url})
    expect(evidence.kind).toBe('measured')
    expect(evidence.source).toBe(`http: GET ${server.url}`)
    expect(evidence.durationMs).toBeGreaterThanOrEqual(600)
    const latency = samplesOf(evidence.metrics.latency)
    expect(latency.length).toBeGreaterThan(10)
    expect(Math.min(...latency)).toBeGreaterThanOrEqual(10)
    expect(samplesOf(evidence.metrics.latency_uncorrected)).toEqual(latency)
    expect(evidence.metrics.error_rate).toEqual({events: 0, trials: server.served, type: 'proportion'})
    expect(valueOf(evidence.metrics.requests)).toBe(server.served)
    const throughput = valueOf(evidence.metrics.throughput)
    expect(throughput).toBeCloseTo((server.served * 1000) / evidence.durationMs!, 6)
  })

  it('runs the open model with rate and notes offered against achieved', async () => {
    const server = await serve(startDelayServer(2))
    const evidence = await measure({
      connections: 5,
      duration: '1s',
      method: 'post',
      body: '{"a":1}',
      headers: {'content-type': 'application/json'},
      rate: 50,
      url: server.url,
    })
    expect(evidence.source).toBe(`http: POST ${server.url}`)
    expect(evidence.notes?.some((note) => /^offered \d+(\.\d+)?\/s, achieved \d+(\.\d+)?\/s$/.test(note))).toBe(true)
    const corrected = samplesOf(evidence.metrics.latency)
    const uncorrected = samplesOf(evidence.metrics.latency_uncorrected)
    expect(corrected).toHaveLength(uncorrected.length)
    // Timed from the intended send, a request can only look slower than from the actual send.
    expect(corrected.every((ms, i) => ms >= uncorrected[i]!)).toBe(true)
  })

  it('runs stages, each defaulting to the duration option, and describes each', async () => {
    const server = await serve(startDelayServer(5))
    const evidence = await measure({
      duration: '300ms',
      stages: [{connections: 1}, {connections: 3, ramp_from: 1}],
      url: server.url,
    })
    expect(evidence.notes?.filter((note) => note.startsWith('stage '))).toEqual([
      expect.stringMatching(/^stage 1 \(1 connection, \d+ ms\): [\d,]+ requests, 0 errors, p50 .* ms, p95 .* ms$/),
      expect.stringMatching(/^stage 2 \(3 connections from 1, \d+ ms\): /),
    ])
  })

  it('reports a server that fails every request as an error rate of 1, with the errors by kind', async () => {
    const server = await serve(startStatusServer(500))
    const evidence = await measure({connections: 1, duration: '300ms', url: server.url})
    expect(evidence.metrics.error_rate).toEqual({events: server.served, trials: server.served, type: 'proportion'})
    expect(evidence.metrics.latency).toBeUndefined()
    expect(evidence.notes).toContain(`errors: ${server.served.toLocaleString('en-US')} status (status 500)`)
    expect(valueOf(evidence.metrics.throughput)).toBe(0)
  })

  it('accepts the statuses listed in ok_status', async () => {
    const server = await serve(startStatusServer(404))
    const evidence = await measure({connections: 1, duration: '200ms', ok_status: [404], url: server.url})
    expect(evidence.metrics.error_rate).toMatchObject({events: 0})
  })

  it('gives NO_DATA with the reason when nothing could connect: there is no system to judge', async () => {
    const url = await closedPortUrl()
    const outcome = await collectEvidence(http, {connections: 2, duration: '300ms', url}, runContext())
    expect(outcome).toEqual({
      noData: expect.stringMatching(
        new RegExp(`^validator http failed: http: GET ${url}: could not connect in [\\d,]+ attempts \\(ECONNREFUSED`),
      ),
    })
  })

  it('refuses options over the caps', async () => {
    const overSchema = await collectEvidence(http, {connections: 20_000, url: 'http://127.0.0.1:1/'}, runContext())
    expect(overSchema).toEqual({noData: expect.stringContaining('rejected its options')})
    const overDuration = await collectEvidence(http, {duration: '11m', url: 'http://127.0.0.1:1/'}, runContext())
    expect(overDuration).toEqual({noData: 'validator http failed: the run would last 11 min, over the cap of 10 min'})
  })

  it('notes a partial run when interrupted', async () => {
    const server = await serve(startDelayServer(5))
    const controller = new AbortController()
    const progress: number[] = []
    setTimeout(() => controller.abort(new Error('SIGINT')), 1300)
    const collecting = http.collect(
      {...runContext(), progress: ({fraction}) => progress.push(fraction ?? -1), signal: controller.signal},
      {connections: 2, duration: '30s', method: 'GET', timeout: '10s', url: server.url},
    )
    const evidence = await collecting
    expect(evidence.notes?.[0]).toMatch(/^partial run: aborted after 1\.\d+ s$/)
    expect(progress.length).toBeGreaterThanOrEqual(1)
    expect(progress.every((fraction) => fraction > 0 && fraction < 0.1)).toBe(true)
  })
})
