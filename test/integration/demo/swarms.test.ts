import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {client, demoFor, ensureDemoBuilt, gone, scrape, stopAllDemos, waitFor} from './demo.js'

beforeAll(ensureDemoBuilt, 120_000)
afterAll(stopAllDemos)

/** Polls GET /swarms/:id until `predicate` holds (bounded); returns the last view. */
async function waitForSwarm(
  url: string,
  id: string,
  predicate: (view: any) => boolean,
  timeoutMs = 20_000,
): Promise<any> {
  let view: any
  await waitFor(async () => predicate((view = (await client(url).get(`/swarms/${id}`)).body)), timeoutMs)
  return view
}

describe('demo: swarms', () => {
  // The delay keeps each failover open long enough for a poll to see the swarm unhealthy.
  const demo = demoFor(['--failover-delay', '1000'])

  it('creates a swarm whose leader is a live child process, healthy at once', async () => {
    const api = client(demo().url)
    const created = await api.post('/swarms', {name: 'alpha'})
    expect(created.status).toBe(201)
    expect(created.body).toEqual({id: expect.any(String), leader: {pid: expect.any(Number), term: 1}})
    expect(gone(created.body.leader.pid)).toBe(false)
    const view = (await api.get(`/swarms/${created.body.id}`)).body
    expect(view).toMatchObject({
      healthy: true,
      id: created.body.id,
      leader: created.body.leader,
      name: 'alpha',
      tasks: {accepted: 0, completed: 0, pending: 0},
    })
    expect((await api.get('/swarms')).body.swarms.map((s: any) => s.id)).toContain(created.body.id)
    expect((await api.delete(`/swarms/${created.body.id}`)).status).toBe(204)
    expect(await waitFor(() => gone(created.body.leader.pid), 5000)).toBe(true)
    expect((await api.get(`/swarms/${created.body.id}`)).status).toBe(404)
  })

  it(
    'fails over when the leader is killed: unhealthy, then healthy with term+1 and a new pid, no accepted task ' +
      'lost',
    async () => {
      const api = client(demo().url)
      const {id, leader} = (await api.post('/swarms')).body
      for (let i = 1; i <= 5; i++)
        expect((await api.post(`/swarms/${id}/tasks`, {taskId: `before-${i}`})).status).toBe(202)
      await waitForSwarm(demo().url, id, (view) => view.tasks.completed === 5)
      const duplicate = await api.post(`/swarms/${id}/tasks`, {taskId: 'before-1'})
      expect(duplicate.status).toBe(202)
      expect(duplicate.body.duplicate).toBe(true)

      const fault = await api.post(`/swarms/${id}/faults`, {kind: 'kill-leader'})
      expect(fault.status).toBe(202)
      expect(fault.body).toMatchObject({killedPid: leader.pid, term: 1})
      const down = await waitForSwarm(demo().url, id, (view) => !view.healthy)
      expect(down.healthy).toBe(false)
      // Accepted while no leader runs: journaled, then replayed to the next leader.
      for (let i = 1; i <= 3; i++)
        expect((await api.post(`/swarms/${id}/tasks`, {taskId: `during-${i}`})).status).toBe(202)

      const up = await waitForSwarm(demo().url, id, (view) => view.healthy && view.tasks.pending === 0)
      expect(up.leader.term).toBe(2)
      expect(up.leader.pid).not.toBe(leader.pid)
      expect(up.failovers).toBe(1)
      expect(up.tasks).toEqual({accepted: 8, completed: 8, pending: 0})
      const tasks = (await api.get(`/swarms/${id}/tasks`)).body
      expect(tasks.completed.sort()).toEqual(
        [1, 2, 3, 4, 5]
          .map((i) => `before-${i}`)
          .concat([1, 2, 3].map((i) => `during-${i}`))
          .sort(),
      )
      expect(gone(leader.pid)).toBe(true)
      expect((await scrape(demo().url)).samples.get('demo_swarm_failovers_total')).toBeGreaterThanOrEqual(1)
      await api.delete(`/swarms/${id}`)
    },
  )

  it('replaces a hung leader found by missed heartbeats, and kills the hung process', async () => {
    const api = client(demo().url)
    const {id, leader} = (await api.post('/swarms')).body
    const fault = await api.post(`/swarms/${id}/faults`, {kind: 'hang-leader'})
    expect(fault.status).toBe(202)
    expect(fault.body.hungPid).toBe(leader.pid)
    expect(gone(leader.pid)).toBe(false) // stopped, not dead: only heartbeats can tell
    expect((await waitForSwarm(demo().url, id, (view) => !view.healthy)).healthy).toBe(false)
    const up = await waitForSwarm(demo().url, id, (view) => view.healthy)
    expect(up.leader.term).toBe(2)
    expect(up.leader.pid).not.toBe(leader.pid)
    expect(await waitFor(() => gone(leader.pid), 5000)).toBe(true)
    await api.delete(`/swarms/${id}`)
  })

  it('rejects unknown faults and swarms', async () => {
    const api = client(demo().url)
    const {id} = (await api.post('/swarms')).body
    const badKind = await api.post(`/swarms/${id}/faults`, {kind: 'meteor'})
    expect(badKind.status).toBe(400)
    expect(badKind.body.kinds).toEqual(['kill-leader', 'hang-leader'])
    expect((await api.post(`/swarms/${id}/tasks`, {})).status).toBe(400)
    expect((await api.get('/swarms/no-such-swarm')).status).toBe(404)
    expect((await api.post('/swarms/no-such-swarm/tasks', {taskId: 't'})).status).toBe(404)
    expect((await api.delete('/swarms/no-such-swarm')).status).toBe(404)
    await api.delete(`/swarms/${id}`)
  })

  it('runs 10 swarms at once, each with its own leader process, and deletes them all', async () => {
    const api = client(demo().url)
    const created = await Promise.all(Array.from({length: 10}, (_, i) => api.post('/swarms', {name: `s${i}`})))
    expect(created.map((r) => r.status)).toEqual(Array.from({length: 10}, () => 201))
    const pids = created.map((r) => r.body.leader.pid)
    expect(new Set(pids).size).toBe(10)
    const listed = (await api.get('/swarms')).body.swarms
    expect(listed).toHaveLength(10)
    expect(listed.every((s: any) => s.healthy)).toBe(true)
    const {samples} = await scrape(demo().url)
    expect(samples.get('demo_swarms')).toBe(10)
    expect(samples.get('demo_swarms_healthy')).toBe(10)

    const deleted = await Promise.all(created.map((r) => api.delete(`/swarms/${r.body.id}`)))
    expect(deleted.map((r) => r.status)).toEqual(Array.from({length: 10}, () => 204))
    expect(await waitFor(() => pids.every((pid) => gone(pid)), 5000)).toBe(true)
    expect((await api.get('/swarms')).body.swarms).toHaveLength(0)
  })
})
