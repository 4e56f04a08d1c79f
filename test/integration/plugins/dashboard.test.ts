import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {collectEvidence} from '../../../src/validators/runner.js'
import {closedPortUrl} from '../../fixtures/load-servers/servers.js'
import {measure, runContext, samplesOf} from '../../helpers/evidence.js'
import {type Demo, ensureDemoBuilt, scrape, startDemo, stopAllDemos, waitFor} from '../demo/demo.js'
import {dashboard} from './helpers.js'

describe('dashboard validator against the demo', () => {
  let demo: Demo
  beforeAll(async () => {
    await ensureDemoBuilt()
    demo = await startDemo(['--update-interval', '100'])
  })
  afterAll(async () => {
    expect((await demo.stop()).survivors).toEqual([])
    await stopAllDemos()
  })

  const subscribers = async (): Promise<number | undefined> =>
    (await scrape(demo.url)).samples.get('demo_dashboard_subscribers')

  it('mode http: times every poll of every client', async () => {
    const evidence = await measure(dashboard, {
      clients: 10,
      duration: '1500ms',
      interval: '200ms',
      mode: 'http',
      url: demo.url,
    })
    expect(evidence.source).toBe(`dashboard: 10 clients polling GET ${demo.url}/dashboard/snapshot every 200 ms`)
    const polls = samplesOf(evidence.metrics.refresh_latency)
    expect(polls.length).toBeGreaterThanOrEqual(10)
    expect(evidence.metrics.error_rate).toEqual({events: 0, trials: polls.length, type: 'proportion'})
    // Consecutive successful polls of one client are about an interval apart.
    expect(samplesOf(evidence.metrics.update_interval).length).toBeGreaterThan(0)
  })

  it('mode websocket: times each pushed update from its serverTime, and closes every socket', async () => {
    const evidence = await measure(dashboard, {
      clients: 10,
      duration: '2s',
      interval: '1s',
      mode: 'websocket',
      url: demo.url,
    })
    expect(evidence.source).toBe(
      `dashboard: 10 WebSocket subscribers to ${demo.url.replace(/^http/, 'ws')}/dashboard/ws`,
    )
    expect(samplesOf(evidence.metrics.refresh_latency).length).toBeGreaterThanOrEqual(10)
    expect(samplesOf(evidence.metrics.update_interval).length).toBeGreaterThan(0)
    // Two whole intervals per client, each with about ten updates from a server that pushes every 100 ms.
    expect(evidence.metrics.error_rate).toEqual({events: 0, trials: 20, type: 'proportion'})
    expect(evidence.notes?.join('\n')).toMatch(/both on this machine's clock/)
    expect(await waitFor(async () => (await subscribers()) === 0, 5000)).toBe(true)
  })

  it('mode websocket: a server that pushes less often than the interval fails refreshes', async () => {
    const slow = await startDemo(['--update-interval', '1000'])
    try {
      const evidence = await measure(dashboard, {
        clients: 3,
        duration: '2s',
        interval: '250ms',
        mode: 'websocket',
        url: slow.url,
      })
      const errors = evidence.metrics.error_rate
      // 8 intervals of 250 ms per client; a push every second fills at most 3 of them.
      expect(errors).toMatchObject({trials: 24, type: 'proportion'})
      expect(errors?.type === 'proportion' && errors.events).toBeGreaterThanOrEqual(15)
    } finally {
      expect((await slow.stop()).survivors).toEqual([])
    }
  })

  it.each(['http', 'websocket'])('mode %s: is NO_DATA, not a crash, when nothing listens at the URL', async (mode) => {
    const outcome = await collectEvidence(
      dashboard,
      {clients: 3, duration: '5s', mode, url: await closedPortUrl()},
      runContext(),
    )
    expect(outcome).toEqual({
      noData: expect.stringMatching(
        /^validator dashboard failed: .*(could not connect|no subscription opened).*ECONNREFUSED/,
      ),
    })
  })
})
