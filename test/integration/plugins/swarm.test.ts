import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {collectEvidence} from '../../../src/validators/runner.js'
import {closedPortUrl} from '../../fixtures/load-servers/servers.js'
import {measure, runContext, samplesOf, valueOf} from '../../helpers/evidence.js'
import {childPids, client, type Demo, ensureDemoBuilt, startDemo, stopAllDemos, waitFor} from '../demo/demo.js'
import {swarm} from './helpers.js'

describe('swarm validator against the demo', () => {
  let demo: Demo
  beforeAll(async () => {
    await ensureDemoBuilt()
    demo = await startDemo()
  })
  afterAll(async () => {
    expect((await demo.stop()).survivors).toEqual([])
    await stopAllDemos()
  })

  /** Swarms left in the demo, and leader processes left under it. */
  const leftovers = async (): Promise<{swarms: unknown[]; leaders: number[]}> => ({
    leaders: childPids(demo.pid),
    swarms: (await client(demo.url).get('/swarms')).body.swarms,
  })

  it('times one failover per fault, each to a leader of a higher term, loses no task, deletes its swarms', async () => {
    const evidence = await measure(swarm, {faults: 2, swarms: 5, tasks: 3, url: demo.url})
    expect(evidence.kind).toBe('measured')
    expect(samplesOf(evidence.metrics.failover_time)).toHaveLength(2)
    const replacements = (evidence.notes ?? [])
      .map((note) => /^swarm-\d+: leader \d+ \(term (\d+)\) replaced by \d+ \(term (\d+)\)/.exec(note))
      .filter(Boolean)
    expect(replacements).toHaveLength(2)
    for (const match of replacements) expect(Number(match![2])).toBeGreaterThan(Number(match![1]))
    expect(valueOf(evidence.metrics.lost_tasks)).toBe(0)
    expect(valueOf(evidence.metrics.swarms_healthy)).toBe(5)
    expect(valueOf(evidence.metrics.failed_recoveries)).toBe(0)
    expect(await leftovers()).toEqual({leaders: [], swarms: []})
  })

  it('runs a command as the fault, with the leader’s pid in its environment', async () => {
    const evidence = await measure(swarm, {
      faults: [{command: 'kill -9 "$LEADER_PID"'}],
      swarms: 2,
      tasks: 1,
      url: demo.url,
    })
    expect(samplesOf(evidence.metrics.failover_time)).toHaveLength(1)
    expect(evidence.notes?.[0]).toBe('2 swarms created, 1 fault (1 × command: kill -9 "$LEADER_PID"), 1 recovery timed')
    expect(await leftovers()).toEqual({leaders: [], swarms: []})
  })

  it('sends a signal to the leader’s pid read from the API, and times the election that follows', async () => {
    const evidence = await measure(swarm, {
      fault: {signal: 'SIGKILL'},
      faults: 2,
      preset: 'demo',
      swarms: 2,
      url: demo.url,
    })
    expect(samplesOf(evidence.metrics.failover_time)).toHaveLength(2)
    expect(evidence.notes?.[0]).toBe('2 swarms created, 2 faults (2 × SIGKILL), 2 recoveries timed')
    expect(valueOf(evidence.metrics.lost_tasks)).toBe(0)
    expect(await leftovers()).toEqual({leaders: [], swarms: []})
  })

  it('refuses a gate whose faults the protocol cannot inject, before creating anything', async () => {
    const {fault: _, ...noFaultRequest} = (await import('../../../plugins/swarm/src/swarm.js')).SWARM_PRESETS.demo
    const outcome = await collectEvidence(
      swarm,
      {faults: [{kind: 'kill-leader'}], protocol: noFaultRequest, swarms: 2, url: demo.url},
      runContext(),
    )
    expect(outcome).toEqual({
      noData: expect.stringMatching(
        /^validator swarm failed: fault \{kind: kill-leader\} needs a protocol\.fault request/,
      ),
    })
    expect(await leftovers()).toEqual({leaders: [], swarms: []})
  })

  it('counts a swarm not recovered in time as a failed recovery, without inventing a failover time', async () => {
    const slow = await startDemo(['--failover-delay', '3000'])
    try {
      const evidence = await measure(swarm, {faults: 1, recovery_timeout: '500ms', swarms: 2, tasks: 1, url: slow.url})
      expect(valueOf(evidence.metrics.failed_recoveries)).toBe(1)
      expect(evidence.metrics.failover_time).toBeUndefined()
      expect(evidence.notes?.join('\n')).toMatch(
        /had no leader of a higher term .* after its fault \(recovery_timeout 500ms\)/,
      )
      expect((await client(slow.url).get('/swarms')).body.swarms).toEqual([])
    } finally {
      expect((await slow.stop()).survivors).toEqual([])
    }
  })

  it('deletes the swarms it created when the run is interrupted', async () => {
    const controller = new AbortController()
    const outcome = await collectEvidence(
      swarm,
      {faults: 2, swarms: 4, url: demo.url, concurrency: 1},
      runContext({
        progress({message}) {
          if (message?.startsWith('2 of 4 swarms created')) controller.abort()
        },
        signal: controller.signal,
      }),
    )
    expect(outcome).toEqual({noData: 'interrupted'})
    // The runner answers at once; the validator's deletions finish behind it.
    expect(
      await waitFor(async () => {
        const {leaders, swarms} = await leftovers()
        return leaders.length === 0 && swarms.length === 0
      }, 20_000),
    ).toBe(true)
  })

  it('is NO_DATA, not a crash, when nothing listens at the URL', async () => {
    const outcome = await collectEvidence(swarm, {swarms: 2, url: await closedPortUrl()}, runContext())
    expect(outcome).toEqual({
      noData: expect.stringMatching(
        /^validator swarm failed: cannot reach the swarm API: POST http:\/\/127\.0\.0\.1:\d+\/swarms: ECONNREFUSED/,
      ),
    })
  })
})
