// A throw-away 3-member etcd cluster for integration tests: free ports of 127.0.0.1, its own temp dir, a pidfile per
// member (what a signal fault reaches), every member stopped by stop() whatever the tests did to them.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {freePort, type ServerProcess, spawnServer} from './process.js'
import {requireProgram} from './required.js'

/** etcd (Debian package etcd-server), or undefined (locally) when it is not installed. */
export const ETCD = requireProgram(
  'etcd (Debian package etcd-server)',
  'apt-get install etcd-server',
  'etcd',
  '/usr/bin/etcd',
)

export interface EtcdMember {
  name: string
  /** http://127.0.0.1:PORT, where it serves clients (and the v3 JSON gateway). */
  url: string
  pidfile: string
  process: ServerProcess
}

export interface EtcdCluster {
  members: EtcdMember[]
  dir: string
  /** Stops every member (SIGTERM, then SIGKILL: a leader without quorum may never stop by itself); removes the dir. */
  stop(): Promise<void>
}

const READY_WITHIN_MS = 30_000

/** Starts three members and waits until every one answers with the same leader. */
export async function startEtcdCluster(): Promise<EtcdCluster> {
  if (!ETCD) throw new Error('etcd is not installed: guard the suite with describe.skipIf(!ETCD)')
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-etcd-'))
  const ports = await distinctFreePorts(6)
  const names = ['m0', 'm1', 'm2']
  const peer = (index: number): string => `http://127.0.0.1:${ports[2 * index + 1]}`
  const initialCluster = names.map((name, index) => `${name}=${peer(index)}`).join(',')
  const members: EtcdMember[] = []
  const stop = async (): Promise<void> => {
    await Promise.all(members.map((member) => member.process.stop(2000)))
    rmSync(dir, {force: true, recursive: true})
  }

  try {
    for (const [index, name] of names.entries()) {
      const url = `http://127.0.0.1:${ports[2 * index]}`
      const process = spawnServer(ETCD, [
        ...['--name', name, '--data-dir', path.join(dir, name)],
        ...['--listen-client-urls', url, '--advertise-client-urls', url],
        ...['--listen-peer-urls', peer(index), '--initial-advertise-peer-urls', peer(index)],
        ...['--initial-cluster', initialCluster, '--initial-cluster-state', 'new'],
        ...['--initial-cluster-token', path.basename(dir)],
      ])
      const pidfile = path.join(dir, `${name}.pid`)
      writeFileSync(pidfile, String(process.child.pid))
      members.push({name, pidfile, process, url})
    }

    const deadline = Date.now() + READY_WITHIN_MS
    while (!(await agreeOnLeader(members))) {
      const dead = members.find(({process}) => process.child.exitCode !== null || process.child.signalCode !== null)
      if (dead) throw new Error(`etcd member ${dead.name} exited:\n${dead.process.output()}`)
      if (Date.now() > deadline)
        throw new Error(`the etcd cluster had no leader within ${READY_WITHIN_MS} ms:\n${members[0]!.process.output()}`)
      await sleep(100)
    }
  } catch (error) {
    await stop()
    throw error
  }

  return {dir, members, stop}
}

export interface EtcdStatus {
  header: {member_id: string}
  leader: string
  raftTerm: string
}

/** POST /v3/maintenance/status of one member, or undefined when it does not answer. */
export async function etcdStatus(url: string): Promise<EtcdStatus | undefined> {
  try {
    const response = await fetch(`${url}/v3/maintenance/status`, {
      body: '{}',
      method: 'POST',
      signal: AbortSignal.timeout(2000),
    })
    return response.ok ? ((await response.json()) as EtcdStatus) : undefined
  } catch {
    return undefined
  }
}

/** The value of `key` read through a member's v3 JSON gateway (keys and values are base64 there), or undefined. */
export async function etcdGet(url: string, key: string): Promise<string | undefined> {
  const response = await fetch(`${url}/v3/kv/range`, {
    body: JSON.stringify({key: Buffer.from(key).toString('base64')}),
    method: 'POST',
    signal: AbortSignal.timeout(5000),
  })
  const body = (await response.json()) as {kvs?: {value: string}[]}
  const value = body.kvs?.[0]?.value
  return value === undefined ? undefined : Buffer.from(value, 'base64').toString('utf8')
}

async function agreeOnLeader(members: EtcdMember[]): Promise<boolean> {
  const statuses = await Promise.all(members.map((member) => etcdStatus(member.url)))
  const leaders = new Set(statuses.map((status) => status?.leader))
  return leaders.size === 1 && !leaders.has(undefined) && !leaders.has('0')
}

/** `count` ports the system gave out, all different (one at a time could hand the same one out twice). */
async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>()
  while (ports.size < count) ports.add(await freePort())
  return [...ports]
}
