// The dashboard's Server-Sent Events and polling transports against a small live feed that is not the demo.
import {afterEach, describe, expect, it} from 'vitest'

import {collectEvidence} from '../../../src/validators/runner.js'
import {countsOf, measure, runContext, samplesOf} from '../../helpers/evidence.js'
import {type FeedServer, startFeed} from '../../fixtures/servers/feed.js'
import {waitFor} from '../helpers.js'
import {dashboard} from './helpers.js'

const feeds: FeedServer[] = []
const feed = async (...args: Parameters<typeof startFeed>): Promise<FeedServer> => {
  const server = await startFeed(...args)
  feeds.push(server)
  return server
}

afterEach(async () => {
  await Promise.all(feeds.splice(0).map((server) => server.close()))
})

describe('dashboard validator, mode sse', () => {
  it('times each event from the send time it holds (seconds since the epoch) and closes every stream', async () => {
    const server = await feed({tickMs: 100})
    const evidence = await measure(dashboard, {
      clients: 10,
      duration: '2s',
      interval: '1s',
      latency: {from: 'message', path: 'tick.sentAt', unit: 's'},
      mode: 'sse',
      path: '/events',
      url: server.url,
    })
    expect(evidence.source).toBe(`dashboard: 10 Server-Sent Events subscribers to ${server.url}/events`)
    // About 20 ticks per client; each of the 2 intervals of each client had one.
    expect(samplesOf(evidence.metrics.refresh_latency).length).toBeGreaterThanOrEqual(20)
    expect(countsOf(evidence.metrics.error_rate)).toEqual({events: 0, trials: 20})
    expect(evidence.notes).toContainEqual(expect.stringMatching(/arrival time minus the update's tick\.sentAt \(s\)/))
    expect(await waitFor(() => server.streams === 0, 5000)).toBe(true)
  })

  it('latency.from stamp: publishes its own stamps and times each to every subscriber', async () => {
    const server = await feed({tickMs: 0})
    const evidence = await measure(dashboard, {
      clients: 5,
      duration: '1500ms',
      interval: '250ms',
      latency: {from: 'stamp', publish: {url: `${server.url}/publish`}},
      mode: 'sse',
      path: '/events',
      url: server.url,
    })
    // Every stamp the feed accepted reached all 5 subscribers, and each arrival is one latency sample.
    expect(server.published).toBeGreaterThanOrEqual(2)
    expect(countsOf(evidence.metrics.error_rate)).toEqual({events: 0, trials: server.published * 5})
    expect(samplesOf(evidence.metrics.refresh_latency)).toHaveLength(server.published * 5)
    expect(evidence.notes).toContain('error_rate counts deliveries: each stamp to each subscriber of its channel')
  })

  it('a server whose stream goes quiet fails the intervals without an event', async () => {
    const server = await feed({tickMs: 0})
    const evidence = await measure(dashboard, {
      clients: 3,
      duration: '1s',
      interval: '500ms',
      latency: {from: 'message', path: 'tick.sentAt', unit: 's'},
      mode: 'sse',
      path: '/events',
      url: server.url,
    })
    expect(countsOf(evidence.metrics.error_rate)).toEqual({events: 6, trials: 6})
    // No update, so no latency: an expectation on it is NO_DATA, never a pass.
    expect(evidence.metrics.refresh_latency).toBeUndefined()
  })

  it('is NO_DATA, saying why, when the URL answers but is not an event stream', async () => {
    const server = await feed({eventsType: 'application/json'})
    const outcome = await collectEvidence(
      dashboard,
      {
        clients: 2,
        duration: '5s',
        latency: {from: 'message', path: 'x'},
        mode: 'sse',
        path: '/events',
        url: server.url,
      },
      runContext(),
    )
    expect(outcome).toEqual({
      noData: expect.stringMatching(
        /no subscription opened \(200 content-type "application\/json", not text\/event-stream/,
      ),
    })
  })
})

describe('dashboard validator, mode websocket on a feed unlike the demo', () => {
  it('latency.from stamp: stamps timed to every subscriber, with the gate’s headers', async () => {
    const server = await feed({tickMs: 100, token: 's3cret'})
    const evidence = await measure(dashboard, {
      clients: 5,
      duration: '1500ms',
      headers: {authorization: 'Bearer s3cret'},
      interval: '250ms',
      latency: {from: 'stamp', publish: {url: `${server.url}/publish`}},
      mode: 'websocket',
      path: '/ws',
      url: server.url,
    })
    expect(evidence.source).toBe(`dashboard: 5 WebSocket subscribers to ${server.url.replace('http', 'ws')}/ws`)
    expect(server.published).toBeGreaterThanOrEqual(2)
    expect(countsOf(evidence.metrics.error_rate)).toEqual({events: 0, trials: server.published * 5})
    // The feed's own ticks carry no stamp: they count between updates, not as latencies.
    expect(evidence.notes).toContainEqual(expect.stringMatching(/updates carried no new stamp of this run/))
    expect(await waitFor(() => server.streams === 0, 5000)).toBe(true)
  })

  it('without the headers the feed asks for, no subscription opens: NO_DATA with the status', async () => {
    const server = await feed({token: 's3cret'})
    const outcome = await collectEvidence(
      dashboard,
      {
        clients: 2,
        duration: '5s',
        latency: {from: 'message', path: 'tick.sentAt', unit: 's'},
        mode: 'sse',
        path: '/events',
        url: server.url,
      },
      runContext(),
    )
    expect(outcome).toEqual({
      noData: expect.stringMatching(/no subscription opened \(401 \{"error":"who are you\?"\}\)/),
    })
  })
})

describe('dashboard validator, mode http on an API unlike the demo', () => {
  it('latency.from message: how stale each answer is, from an ISO 8601 time in it', async () => {
    const server = await feed({tickMs: 0})
    const evidence = await measure(dashboard, {
      clients: 4,
      duration: '1500ms',
      interval: '250ms',
      latency: {from: 'message', path: 'state.updatedAt', unit: 'iso'},
      mode: 'http',
      path: '/state',
      url: server.url,
    })
    expect(evidence.source).toBe(`dashboard: 4 clients polling GET ${server.url}/state every 250 ms`)
    const staleness = samplesOf(evidence.metrics.refresh_latency)
    expect(staleness.length).toBeGreaterThanOrEqual(4)
    // Nothing was published: the state is as old as the server, which started before the first poll.
    expect(Math.max(...staleness)).toBeGreaterThanOrEqual(1000)
    expect(countsOf(evidence.metrics.error_rate)).toEqual({events: 0, trials: staleness.length})
  })

  it('latency.from stamp: polls until every client has seen every stamp it published', async () => {
    const server = await feed({tickMs: 0})
    const evidence = await measure(dashboard, {
      clients: 3,
      duration: '1s',
      interval: '200ms',
      latency: {from: 'stamp', publish: {body: '{"note":"{stamp}"}', url: `${server.url}/publish`}},
      mode: 'http',
      path: '/state',
      url: server.url,
    })
    expect(server.published).toBeGreaterThanOrEqual(2)
    expect(countsOf(evidence.metrics.error_rate)).toEqual({events: 0, trials: server.published * 3})
  })

  it('a required field missing from an answer fails that poll, naming the field', async () => {
    const server = await feed({tickMs: 0})
    const evidence = await measure(dashboard, {
      clients: 2,
      duration: '600ms',
      interval: '200ms',
      latency: {from: 'response', path: 'generatedAt'},
      mode: 'http',
      path: '/state',
      url: server.url,
    })
    const {events, trials} = countsOf(evidence.metrics.error_rate)
    expect(trials).toBeGreaterThanOrEqual(2)
    expect(events).toBe(trials)
    expect(evidence.notes?.join('\n')).toMatch(/answer without generatedAt: the top level has no "generatedAt"/)
  })
})
