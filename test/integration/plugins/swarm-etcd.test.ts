// The swarm validator on software no one here wrote: a real 3-member etcd cluster, spoken to through the protocol
// that gates/etcd-failover.yaml writes as data, its leader found through etcd's HTTP API and killed.
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse} from 'yaml'

import {measure, samplesOf, valueOf} from '../../helpers/evidence.js'
import {alive, ROOT, runGate} from '../helpers.js'
import {ETCD, type EtcdCluster, etcdGet, etcdStatus, startEtcdCluster} from '../servers/etcd.js'
import {freePort} from '../servers/process.js'
import {swarm} from './helpers.js'

const GATE_FILE = path.join(ROOT, 'gates', 'etcd-failover.yaml')
/** The etcd protocol exactly as the example gate writes it. */
const gateProtocol = (): Record<string, unknown> => parse(readFileSync(GATE_FILE, 'utf8')).targets[0].with.protocol

describe.skipIf(!ETCD)('swarm validator against a real etcd cluster', () => {
  let cluster: EtcdCluster
  beforeAll(async () => {
    cluster = await startEtcdCluster()
  })
  afterAll(async () => {
    await cluster?.stop()
  })

  it('kills the leader etcd reports, times the election of a leader of a higher Raft term, loses no key', async () => {
    const before = await etcdStatus(cluster.members[0]!.url)
    expect(before?.leader).toMatch(/^[1-9]\d*$/)
    const evidence = await measure(
      swarm,
      {
        fault: {signal: 'SIGKILL'},
        faults: 1,
        members: cluster.members.map(({name, pidfile, url}) => ({name, pidfile, url})),
        protocol: gateProtocol(),
        recovery_timeout: '20s',
        tasks: 5,
      },
      {target: {id: 'etcd', title: 'etcd failover'}},
    )

    // The member etcd named as leader is the one whose process died of the signal; the others live on.
    const killed = cluster.members.filter(({process}) => process.child.signalCode === 'SIGKILL')
    expect(killed).toHaveLength(1)
    const survivingIds = (await Promise.all(cluster.members.map((member) => etcdStatus(member.url))))
      .filter((status) => status !== undefined)
      .map((status) => status.header.member_id)
    expect(survivingIds).toHaveLength(2)
    expect(survivingIds).not.toContain(before!.leader)

    expect(samplesOf(evidence.metrics.failover_time)).toHaveLength(1)
    expect(valueOf(evidence.metrics.failed_recoveries)).toBe(0)
    expect(valueOf(evidence.metrics.swarms_healthy)).toBe(1)
    const replaced = evidence.notes
      ?.map((note) => /^cluster: leader (\d+) \(term (\d+)\) replaced by (\d+) \(term (\d+)\)/.exec(note))
      .find(Boolean)
    expect(replaced?.[1]).toBe(before!.leader)
    expect(replaced?.[3]).not.toBe(before!.leader)
    expect(Number(replaced?.[4])).toBeGreaterThan(Number(replaced?.[2]))

    // Every key written before the fault is still there, read independently from a surviving member.
    expect(valueOf(evidence.metrics.lost_tasks)).toBe(0)
    const survivor = cluster.members.find((member) => !killed.includes(member))!
    for (let n = 1; n <= 5; n++) expect(await etcdGet(survivor.url, `etcd-cluster-${n}`)).toBe(`etcd-cluster-${n}`)
  })

  it('is NO_DATA naming every member when none answers', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`
    const outcome = measure(swarm, {faults: 1, members: [closed], protocol: gateProtocol(), tasks: 0})
    await expect(outcome).rejects.toThrow(
      new RegExp(`^NO_DATA: validator swarm failed: cannot reach any member: POST ${closed}/v3/maintenance/status: `),
    )
  })
})

describe.skipIf(!ETCD)('gates/etcd-failover.yaml, as a new user runs it', () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-etcd-gate-'))
  afterAll(() => rmSync(dataDir, {force: true, recursive: true}))

  it('starts the cluster, measures ten leader failovers and stops every member', async () => {
    const ports = new Set<number>()
    while (ports.size < 6) ports.add(await freePort())
    const [client0, client1, client2, peer0, peer1, peer2] = [...ports].map(String)
    const args = Object.entries({client0, client1, client2, data: dataDir, peer0, peer1, peer2}).flatMap(
      ([name, value]) => ['--arg', `${name}=${value}`],
    )
    const result = await runGate(['check', 'etcd-failover', '--json', '--progress', 'none', ...args], {
      cwd: ROOT,
      timeoutMs: 240_000,
    })
    const pids = ['m0', 'm1', 'm2']
      .map((name) => path.join(dataDir, `${name}.pid`))
      .filter((file) => existsSync(file))
      .map((file) => Number(readFileSync(file, 'utf8')))
    expect(pids).toHaveLength(3)
    expect(pids.filter((pid) => alive(pid))).toEqual([])

    // Decided either way (the thresholds are the gate's): never NO_DATA, and every fault gave a sample.
    expect([0, 1], result.stderr.slice(-3000)).toContain(result.code)
    const run = JSON.parse(result.stdout)
    const target = run.targets.find((entry: {id: string}) => entry.id === 'etcd-failover')
    const metric = (name: string): any => target.evidence.metrics.find((entry: {name: string}) => entry.name === name)
    expect(metric('failover_time')).toMatchObject({n: 10})
    expect(metric('lost_tasks')).toMatchObject({value: 0})
    expect(metric('failed_recoveries')).toMatchObject({value: 0})
  }, 300_000)
})
