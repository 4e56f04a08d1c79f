import {describe, expect, it} from 'vitest'

import {type DashboardOptions, planDashboard} from '../../../plugins/dashboard/src/options.js'
import {epochMsOf, EventStreamParser, StampLedger, UpdateReader} from '../../../plugins/dashboard/src/reading.js'
import {fillTemplate, subscribersPerChannel} from '../../../plugins/dashboard/src/stamps.js'
import * as api from '../../../src/index.js'

const options = (overrides: Partial<DashboardOptions>): DashboardOptions => ({
  channel: 'dashboard:{index}',
  channels: 1,
  clients: 100,
  duration: '10s',
  interval: '1s',
  mode: 'http',
  timeout: '10s',
  url: 'http://127.0.0.1:8080',
  ...overrides,
})

describe('dashboard plan', () => {
  it('without path or latency measures the demo exactly as before', () => {
    const http = planDashboard(api, options({}))
    expect(http.target.href).toBe('http://127.0.0.1:8080/dashboard/snapshot')
    expect(http.latency).toEqual({from: 'response', required: 'generatedAt'})
    const ws = planDashboard(api, options({mode: 'websocket', url: 'http://127.0.0.1:8080/base/'}))
    expect(ws.target.href).toBe('http://127.0.0.1:8080/base/dashboard/ws')
    expect(ws.latency).toEqual({from: 'message', path: 'serverTime', unit: 'ms'})
  })

  it('sse takes the URL as given unless a path is named', () => {
    expect(planDashboard(api, options({mode: 'sse', url: 'http://h:1/feed?x=1'})).target.href).toBe(
      'http://h:1/feed?x=1',
    )
    expect(planDashboard(api, options({mode: 'sse', path: '/events', url: 'http://h:1'})).target.href).toBe(
      'http://h:1/events',
    )
  })

  it('redis spreads its subscribers over named channels', () => {
    const plan = planDashboard(api, options({channel: 'board.{index}', channels: 3, mode: 'redis', url: 'redis://h:1'}))
    expect(plan.channels).toEqual(['board.0', 'board.1', 'board.2'])
    expect(subscribersPerChannel(100, 100)).toEqual(Array.from({length: 100}, () => 1))
    expect(subscribersPerChannel(5, 3)).toEqual([2, 2, 1])
    expect(subscribersPerChannel(2, 3)).toEqual([1, 1, 0])
  })

  it.each<[string, Partial<DashboardOptions>, RegExp]>([
    ['redis with an http URL', {mode: 'redis'}, /mode redis needs url redis:\/\/HOST:PORT/],
    ['sse with a redis URL', {mode: 'sse', url: 'redis://h:1'}, /needs an http:\/\/ .*\(mode redis reads redis:\/\/\)/],
    ['channels outside redis', {channels: 5}, /channels is for mode redis/],
    ['one name for many channels', {channel: 'c', channels: 2, mode: 'redis', url: 'redis://h:1'}, /put \{index\}/],
    ['path for redis', {mode: 'redis', path: '/x', url: 'redis://h:1'}, /mode redis takes no path/],
    ['response timing of a push', {latency: {from: 'response'}, mode: 'sse'}, /is for mode http/],
    ['a message without its path', {latency: {from: 'message'}, mode: 'sse'}, /needs latency\.path/],
    ['a path that cannot be read', {latency: {from: 'message', path: 'a..b'}}, /latency\.path: cannot read path/],
    ['stamps over http without a publish URL', {latency: {from: 'stamp'}, mode: 'sse'}, /needs latency\.publish\.url/],
    [
      'a publish URL for redis',
      {latency: {from: 'stamp', publish: {url: 'http://h/p'}}, mode: 'redis', url: 'redis://h:1'},
      /drop latency\.publish\.url/,
    ],
    [
      'a body without the stamp',
      {latency: {from: 'stamp', publish: {body: '{}', url: 'http://h/p'}}},
      /must hold \{stamp\}/,
    ],
    ['publish without stamps', {latency: {from: 'message', path: 't', publish: {}}}, /latency\.publish is for/],
  ])('refuses %s, saying what to write', (_, overrides, message) => {
    expect(() => planDashboard(api, options(overrides))).toThrow(message)
  })
})

describe('reading updates', () => {
  it('reads send times in every unit, and says why a value is not one', () => {
    expect(epochMsOf(1_700_000_000_123, 'ms')).toBe(1_700_000_000_123)
    expect(epochMsOf(1_700_000_000.5, 's')).toBe(1_700_000_000_500)
    expect(epochMsOf('1700000000123000', 'us')).toBe(1_700_000_000_123)
    expect(epochMsOf('1700000000123000000', 'ns')).toBeCloseTo(1_700_000_000_123, 0)
    expect(epochMsOf('2026-12-06T08:00:00.250Z', 'iso')).toBe(Date.UTC(2026, 11, 6, 8, 0, 0, 250))
    expect(epochMsOf('soon', 'ms')).toBe('"soon" is not a number of ms since the epoch')
    expect(epochMsOf(12, 'iso')).toBe('12 is not an ISO 8601 time')
  })

  it('message latency: arrival minus the send time at the path; without it an update is untimed', () => {
    const reader = new UpdateReader(api, {from: 'message', path: 'meta.sent', unit: 'ms'})
    const seen = new Set<string>()
    expect(reader.read('{"meta":{"sent":1000}}', 1250, 0, seen)).toEqual({early: 0, kind: 'timed', latencies: [250]})
    expect(reader.read('{"meta":{"sent":1300}}', 1250, 0, seen)).toEqual({early: 1, kind: 'timed', latencies: [0]})
    expect(reader.read('{"meta":{}}', 1250, 0, seen)).toMatchObject({detail: /has no "sent"/, kind: 'untimed'})
    expect(reader.read('<html>', 1250, 0, seen)).toEqual({detail: 'not JSON: <html>', kind: 'bad'})
  })

  it('stamps: each of this run’s stamps counts once per client, others not at all', () => {
    const ledger = new StampLedger('abcd')
    const reader = new UpdateReader(api, {from: 'stamp', publish: {body: '', headers: {}, method: 'POST'}}, ledger)
    const first = ledger.issue(2)
    const second = ledger.issue(2)
    const mine = new Set<string>()
    const theirs = new Set<string>()
    const text = `{"recent":["${first}","${second}","pgs-other-0"]}`
    expect(reader.read(text, 0, performance.now(), mine)).toMatchObject({
      kind: 'timed',
      latencies: [expect.any(Number), expect.any(Number)],
    })
    expect(reader.read(text, 0, performance.now(), mine)).toMatchObject({kind: 'untimed'})
    expect(ledger.outstanding).toBe(2)
    reader.read(first, 0, performance.now(), theirs)
    expect(ledger).toMatchObject({delivered: 3, expected: 4, outstanding: 1, published: 2})
    ledger.withdraw(second, 2)
    expect(ledger).toMatchObject({expected: 2, published: 1})
    expect(ledger.issuedTo(0)).toBe(1)
  })

  it('response latency: a good answer holds the required field', () => {
    const reader = new UpdateReader(api, {from: 'response', required: 'generatedAt'})
    expect(reader.read('{"generatedAt":1}', 0, 0, new Set())).toEqual({early: 0, kind: 'timed', latencies: []})
    expect(reader.read('{"generatedAt":{}}', 0, 0, new Set())).toMatchObject({kind: 'bad'})
    expect(reader.read('{}', 0, 0, new Set())).toMatchObject({detail: /answer without generatedAt/, kind: 'bad'})
  })

  it('event streams: data fields joined per event, comments and other fields dropped, any chunking', () => {
    const stream = ': hello\n\nevent: tick\ndata: {"a":\ndata: 1}\nid: 7\n\ndata:x\r\n\r\ndata\n\n'
    const whole = new EventStreamParser().push(stream)
    expect(whole).toEqual(['{"a":\n1}', 'x', ''])
    const parser = new EventStreamParser()
    const pieces = [...stream].flatMap((char) => parser.push(char))
    expect(pieces).toEqual(whole)
  })

  it('templates fill only their placeholders', () => {
    expect(
      fillTemplate('{"id":"{stamp}","at":{sentAt},"on":"{channel}","x":{other}}', {
        channel: 'c',
        sentAt: '5',
        stamp: 's',
      }),
    ).toBe('{"id":"s","at":5,"on":"c","x":{other}}')
  })
})
