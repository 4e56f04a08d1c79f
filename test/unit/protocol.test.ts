import {Ajv} from 'ajv'
import {describe, expect, it} from 'vitest'

import {checkRequest, fillRequest, idOf, JsonPath, mergeProtocol, numberOf, requestSchema} from '../../src/protocol.js'

describe('request templates', () => {
  it('fills the URL, headers and every string of the body; the base stays as given, later values are encoded', () => {
    const request = fillRequest(
      {
        body: {key: '{taskId:base64}', nested: ['{swarmId}', 3]},
        headers: {Authorization: 'Bearer {token}'},
        method: 'POST',
        url: '{url}/swarms/{swarmId}/tasks?raw={swarmId:raw}',
      },
      {swarmId: 'a/b c', taskId: 'task-1', token: 't0k', url: 'http://127.0.0.1:8080/api'},
    )
    expect(request.url.href).toBe('http://127.0.0.1:8080/api/swarms/a%2Fb%20c/tasks?raw=a/b%20c')
    expect(request.headers).toEqual({
      accept: 'application/json',
      authorization: 'Bearer t0k',
      'content-type': 'application/json',
    })
    expect(JSON.parse(request.body!)).toEqual({key: Buffer.from('task-1').toString('base64'), nested: ['a/b c', 3]})
  })

  it('names a placeholder that has no value, and one a request may not use', () => {
    expect(() => fillRequest({method: 'GET', url: '{url}/x/{id}'}, {url: 'http://127.0.0.1:1'})).toThrow(
      '"{url}/x/{id}" uses {id}, which has no value here (known: url)',
    )
    expect(() => checkRequest({body: {a: '{leader}'}, method: 'GET', url: '{url}'}, ['url'], 'protocol.x')).toThrow(
      'protocol.x: "{leader}" uses {leader}, which is not known here (known: url)',
    )
    const unset = {url: 'give url, the system’s base URL'}
    expect(() => checkRequest({method: 'GET', url: '{url}/fleet'}, ['url'], 'protocol.count.request', unset)).toThrow(
      'protocol.count.request: "{url}/fleet" uses {url}: give url, the system’s base URL',
    )
  })

  it('has a schema that refuses unknown placeholders, methods and keys', () => {
    const check = new Ajv({strict: true}).compile(requestSchema('A request.', ['url', 'agent']))
    expect(check({method: 'POST', url: '{url}/agents/{agent:base64}'})).toBe(true)
    expect(check({method: 'POST', url: '{url}/agents/{agentId}'})).toBe(false)
    expect(check({method: 'FETCH', url: '{url}'})).toBe(false)
    expect(check({method: 'GET', url: '{url}', query: {}})).toBe(false)
  })
})

describe('reading answers', () => {
  it('reads nested ids and etcd’s numbers written as strings; nothing where the document has nothing', () => {
    const status = {header: {member_id: '1392175196'}, leader: '1392175196', raftTerm: '7'}
    expect(idOf(new JsonPath('header.member_id', 'x').read(status))).toBe('1392175196')
    expect(numberOf(new JsonPath('raftTerm', 'x').read(status))).toBe(7)
    expect(new JsonPath('leader.term', 'x').read(status)).toBeUndefined()
    expect(new JsonPath('a.b', 'x').explain({a: {}})).toBe('a.b: a has no "b" (it is an empty object)')
    expect(idOf('')).toBeUndefined()
    expect(numberOf('seven')).toBeUndefined()
    expect(() => new JsonPath('a..b', 'protocol.status.term')).toThrow(/^protocol\.status\.term: cannot read path/)
  })
})

describe('presets', () => {
  it('keeps the preset’s parts the gate does not write; a request the gate writes replaces the preset’s whole', () => {
    const preset = {
      release: {gone: [404], request: {body: {x: 1}, method: 'DELETE', url: '{url}/a/{id}'}},
      status: {request: {method: 'GET', url: '{url}/s'}, term: 'term'},
    }
    const merged = mergeProtocol(preset, {
      release: {request: {method: 'POST', url: '{url}/a/{id}/release'}},
      status: {term: 'leader.term'},
    } as Partial<typeof preset>)
    expect(merged).toEqual({
      release: {gone: [404], request: {method: 'POST', url: '{url}/a/{id}/release'}},
      status: {request: {method: 'GET', url: '{url}/s'}, term: 'leader.term'},
    })
  })
})
