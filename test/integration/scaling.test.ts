// The http validator's stages as scaling evidence, against real servers on 127.0.0.1: per-stage
// metrics under readable names, and scaling_efficiency that tells a server answering in parallel
// from one that answers one request at a time.
import {setTimeout as sleep} from 'node:timers/promises'
import {describe, expect, it} from 'vitest'

import {evaluateGate} from '../../src/engine/index.js'
import type {Evidence} from '../../src/engine/types.js'
import {http} from '../../src/validators/http.js'
import {metricSpecs, resolveOptions} from '../../src/validators/options.js'
import {collectEvidence} from '../../src/validators/runner.js'
import {
  serverPool,
  startDelayServer,
  startServer,
  startStatusServer,
  type TestServer,
} from '../fixtures/load-servers/servers.js'
import {measure as measureWith, runContext, samplesOf, valueOf} from '../helpers/evidence.js'
import {parseExpectation} from '../../src/engine/expectation.js'

const measure = (options: Record<string, unknown>) => measureWith(http, options)
const serve = serverPool()
// Long beside what a request costs the client and server themselves, even on a busy 2-core machine,
// so the parallel server's throughput grows with connections and the serial one's does not.
const DELAY_MS = 50
const LEVELS = [{connections: 1}, {connections: 2}, {connections: 4}]

/** Answers one request at a time, each after DELAY_MS: more connections only make the queue longer. */
function startSerialServer(): Promise<TestServer> {
  let queue = Promise.resolve()
  return startServer((_req, res) => {
    queue = queue.then(async () => {
      await sleep(DELAY_MS)
      res.end('ok')
    })
  })
}

function judge(evidence: Evidence, expectations: string[]) {
  const {targets} = evaluateGate({confidence: 0.95, minConsensus: 0.85, resamples: 400, seed: 1}, [
    {
      collected: {evidence},
      expectations: expectations.map((text) => parseExpectation(text)),
      id: 'scaling',
      level: 'error',
      required: true,
      title: 'scaling',
      validator: 'http',
      weight: 1,
    },
  ])
  return targets[0]!
}

describe('http stages as scaling evidence', () => {
  it('reports each stage under at_<connections>, and a server answering in parallel as scaling linearly', async () => {
    const server = await serve(startDelayServer(DELAY_MS))
    const evidence = await measure({duration: '1s', stages: LEVELS, url: server.url})
    for (const level of [1, 2, 4]) {
      expect(Math.min(...samplesOf(evidence.metrics[`latency_at_${level}`]))).toBeGreaterThanOrEqual(DELAY_MS)
      expect(valueOf(evidence.metrics[`throughput_at_${level}`])).toBeGreaterThan(0)
      expect(evidence.metrics[`error_rate_at_${level}`]).toMatchObject({events: 0, type: 'proportion'})
    }

    // Each stage's requests, counted once: the stages add up to the whole run.
    const trials = [1, 2, 4].map((level) => (evidence.metrics[`error_rate_at_${level}`] as {trials: number}).trials)
    expect(trials.reduce((sum, n) => sum + n, 0)).toBe(valueOf(evidence.metrics.requests))
    expect(valueOf(evidence.metrics.scaling_efficiency)).toBeGreaterThan(0.8)
    expect(valueOf(evidence.metrics.scaling_slope)).toBeGreaterThan(0)
    expect(valueOf(evidence.metrics.scaling_r2)).toBeGreaterThan(0.9)
    expect(evidence.notes).toContainEqual(
      expect.stringMatching(
        new RegExp(
          String.raw`^scaling: \+[\d.,]+\/s per connection \(95% interval .*, r² [01]\.\d{3}\); [\d.,]+\/s at 4 ` +
            String.raw`connections is [\d.]+x of linear from [\d.,]+\/s at 1 connections$`,
        ),
      ),
    )
    expect(judge(evidence, ['scaling_efficiency >= 0.8']).status).toBe('PASS')
  })

  it('shows a server that answers one request at a time as not scaling', async () => {
    const server = await serve(startSerialServer())
    const evidence = await measure({duration: '1s', stages: LEVELS, url: server.url})
    // Four connections queue for the same server time one connection had: about a quarter of linear.
    expect(valueOf(evidence.metrics.scaling_efficiency)).toBeLessThan(0.5)
    expect(judge(evidence, ['scaling_efficiency >= 0.8']).status).toBe('FAIL')
  })

  it('names stages after their name, or their rate in the open model', async () => {
    const server = await serve(startDelayServer(2))
    const named = await measure({
      duration: '300ms',
      stages: [
        {connections: 1, name: 'light'},
        {connections: 3, name: 'heavy'},
      ],
      url: server.url,
    })
    expect(Object.keys(named.metrics)).toEqual(
      expect.arrayContaining(['latency_light', 'throughput_heavy', 'error_rate_heavy', 'scaling_efficiency']),
    )
    const open = await measure({connections: 4, duration: '300ms', stages: [{rate: 20}, {rate: 40}], url: server.url})
    expect(Object.keys(open.metrics)).toEqual(
      expect.arrayContaining(['latency_at_20rps', 'throughput_at_40rps', 'scaling_efficiency']),
    )
    expect(open.notes).toContainEqual(
      expect.stringMatching(/per 1\/s offered .* at 40\/s offered is [\d.]+x of linear from .* at 20\/s offered$/),
    )
  })

  it(
    'counts a failing stage in its own error rate, and leaves scaling_efficiency out when the lowest stage ' +
      'achieved nothing',
    async () => {
      const server = await serve(startStatusServer(500))
      const evidence = await measure({duration: '300ms', stages: [{connections: 1}, {connections: 2}], url: server.url})
      const errors = evidence.metrics.error_rate_at_2 as {events: number; trials: number}
      expect(errors.events).toBe(errors.trials)
      expect(evidence.metrics.latency_at_2).toBeUndefined() // no successful request: dropped with a note
      expect(evidence.metrics.scaling_efficiency).toBeUndefined()
      expect(evidence.notes).toContain(
        'scaling_efficiency is not reported: the lowest stage achieved no successful request',
      )
      expect(evidence.notes).toContain(
        'scaling_r2 is not reported: throughput was the same at every stage, there is no variance to explain',
      )
    },
  )

  it('has no scaling metrics with one stage, and refuses two stages that would share names', async () => {
    const names = (options: Record<string, unknown>) =>
      metricSpecs(http, resolveOptions(http, {url: 'http://127.0.0.1:1/', ...options}).options).map(({name}) => name)
    expect(names({})).toEqual(['latency', 'latency_uncorrected', 'error_rate', 'throughput', 'requests'])
    expect(names({stages: [{connections: 5}]})).toEqual([
      ...names({}),
      'latency_at_5',
      'throughput_at_5',
      'error_rate_at_5',
    ])
    expect(names({connections: 7, stages: [{}, {connections: 9}]})).toEqual(
      expect.arrayContaining(['latency_at_7', 'latency_at_9', 'scaling_efficiency', 'scaling_slope', 'scaling_r2']),
    )
    expect(() => names({stages: [{connections: 5}, {connections: 5}]})).toThrow(
      'stages 1 and 2 would both report latency_at_5: give one of them a name (stages[1].name)',
    )
    expect(resolveOptions(http, {stages: [{name: 'bad name'}], url: 'http://127.0.0.1:1/'}).problems).not.toEqual([])
    const outcome = await collectEvidence(
      http,
      {stages: [{connections: 5}, {connections: 5}], url: 'http://127.0.0.1:1/'},
      runContext(),
    )
    expect(outcome).toEqual({
      noData:
        'validator http failed: stages 1 and 2 would both report latency_at_5: give one of them a name ' +
        '(stages[1].name)',
    })
  })
})
