// What a gate file may write as fleet's and swarm's protocol, checked before anything runs: each mistake says
// what to write instead.
import {describe, expect, it} from 'vitest'

import {makeFleetValidator, resolveFleetProtocol} from '../../../plugins/fleet/src/fleet.js'
import {
  makeSwarmValidator,
  resolveSwarmProtocol,
  SWARM_PRESETS,
  type SwarmOptions,
} from '../../../plugins/swarm/src/swarm.js'
import {metricSpecs, resolveOptions} from '../../../src/validators/options.js'
import * as api from '../../../src/index.js'

const swarmDefaults = {concurrency: 10, ready_timeout: '60s', recovery_timeout: '30s', swarms: 3, timeout: '20s'}
const swarmOptions = (options: Partial<SwarmOptions>): SwarmOptions => ({
  faults: 3,
  tasks: 5,
  ...swarmDefaults,
  ...options,
})
const etcdStatus = {
  leader: 'leader',
  member: 'header.member_id',
  request: {body: {}, method: 'POST', url: '{member}/v3/maintenance/status'},
  term: 'raftTerm',
}

describe('swarm protocol', () => {
  it('speaks the demo’s API by default, injecting its kill-leader fault', () => {
    const protocol = resolveSwarmProtocol(api, swarmOptions({url: 'http://127.0.0.1:1/'}))
    expect(protocol.url).toBe('http://127.0.0.1:1')
    expect(protocol.faults).toEqual([{kind: 'kill-leader'}, {kind: 'kill-leader'}, {kind: 'kill-leader'}])
    expect(protocol.status.term.text).toBe('leader.term')
  })

  it('takes a cluster by its members and SIGKILLs its leader when the protocol has no fault request', () => {
    const members = ['http://127.0.0.1:2379', {pidfile: 'm1.pid', url: 'http://127.0.0.1:22379'}]
    const protocol = resolveSwarmProtocol(api, swarmOptions({members, protocol: {status: etcdStatus}, tasks: 0}))
    expect(protocol.members).toEqual([
      {url: 'http://127.0.0.1:2379'},
      {pidfile: 'm1.pid', url: 'http://127.0.0.1:22379'},
    ])
    expect(protocol.faults[0]).toEqual({signal: 'SIGKILL'})
  })

  it('says what is missing or contradictory', () => {
    const cases: [Partial<SwarmOptions>, string][] = [
      [{}, 'uses {url}: give url, the system’s base URL'],
      [{members: ['http://127.0.0.1:2379'], preset: 'demo'}, 'leave protocol.create out with members'],
      [{protocol: {status: etcdStatus}}, 'give members (an existing cluster) or a protocol.create request'],
      [{members: ['http://127.0.0.1:2379'], protocol: {status: etcdStatus}}, 'tasks need protocol.tasks'],
      [
        {faults: [{kind: 'kill-leader'}], members: ['http://127.0.0.1:2379'], protocol: {status: etcdStatus}, tasks: 0},
        'fault {kind: kill-leader} needs a protocol.fault request',
      ],
      [
        {members: ['http://127.0.0.1:2379'], protocol: {status: {...etcdStatus, term: 'raft..term'}}, tasks: 0},
        'protocol.status.term: cannot read path "raft..term"',
      ],
      [{command: 'kill $LEADER_PID', fault: {signal: 'SIGTERM'}, url: 'http://127.0.0.1:1'}, 'either command or fault'],
    ]
    for (const [options, message] of cases)
      expect(() => resolveSwarmProtocol(api, swarmOptions(options)), message).toThrow(message)
  })

  it('keeps the preset’s parts a gate does not replace', () => {
    const status = {...SWARM_PRESETS.demo.status, healthy: 'state.ok'}
    const protocol = resolveSwarmProtocol(api, swarmOptions({preset: 'demo', protocol: {status}, url: 'http://x:1'}))
    expect(protocol.status.healthy?.text).toBe('state.ok')
    expect(protocol.create?.id.text).toBe('id')
  })
})

describe('fleet protocol', () => {
  const fleetDefaults = {agents: 10, duration: '1s', hold: '1s', ramp: '0s', timeout: '1s'}

  it('reads the allocation id from the agent’s path when the allocator names only the agent', () => {
    const protocol = resolveFleetProtocol(api, {
      ...fleetDefaults,
      protocol: {
        allocate: {agent: 'agent.id', request: {method: 'POST', url: 'http://127.0.0.1:1/agents'}},
        release: {request: {method: 'DELETE', url: 'http://127.0.0.1:1/agents/{agentId}'}},
      },
    })
    expect(protocol.allocate.allocation.text).toBe('agent.id')
    expect(protocol.count).toBeUndefined()
  })

  it('says which requests are missing', () => {
    const allocate = {agent: 'id', request: {method: 'POST', url: 'http://127.0.0.1:1/a'}}
    expect(() => resolveFleetProtocol(api, {...fleetDefaults, protocol: {allocate}})).toThrow(
      'protocol needs release: name a preset (demo) or write the requests under protocol',
    )
  })
})

describe('the validators as `gate validators` lists them and a gate file checks them', () => {
  it('lists their metrics with no options, and asks a gate that names no system where it is', () => {
    for (const validator of [makeFleetValidator(api), makeSwarmValidator(api)]) {
      const {options, problems} = resolveOptions(validator, {})
      expect(metricSpecs(validator, options).map(({name}) => name)).toContain(
        validator.name === 'fleet' ? 'allocation_latency' : 'failover_time',
      )
      expect(problems.map(({message}) => message)).toContain(`validator "${validator.name}" needs option "url"`)
    }
  })
})
