import {describe, expect, it} from 'vitest'

import {isLoopback, remoteHosts, remoteRefusal} from '../../../src/safety/remote.js'

describe('isLoopback', () => {
  it.each([
    '127.0.0.1',
    '127.8.9.10',
    'localhost',
    'LOCALHOST',
    '[::1]',
    '::1',
    '0:0:0:0:0:0:0:1',
    '::ffff:127.0.0.1',
    '0x7f.1',
    '2130706433',
  ])('%s is this machine', (host) => {
    expect(isLoopback(host)).toBe(true)
  })

  it.each([
    '192.0.2.1',
    '0.0.0.0',
    '10.0.0.1',
    'example.com',
    'localhost.example.com',
    '[2001:db8::1]',
    '128.0.0.1',
    '127.example.com',
    'api.localhost',
    '::ffff:192.0.2.1',
  ])('%s is not', (host) => {
    expect(isLoopback(host)).toBe(false)
  })
})

describe('remoteHosts', () => {
  it('finds URLs anywhere in the options, with credentials and ports, and ignores loopback ones', () => {
    const options = {
      headers: {referer: 'see https://docs.example.org/x'},
      stages: [{url: 'ws://[2001:db8::5]:8080/live'}],
      url: 'http://127.0.0.1:3000/ok',
      db: 'postgres://user:secret@db.internal:5432/state',
      run: 'node -e 0',
    }
    expect(remoteHosts(options).sort()).toEqual(['[2001:db8::5]', 'db.internal', 'docs.example.org'])
  })

  it('reads hosts as WHATWG URL does, in query parameters, host keys and PGHOST', () => {
    expect(remoteHosts({url: 'http://192.0.2.1:18081\\@127.0.0.1:1/'})).toEqual(['192.0.2.1'])
    expect(remoteHosts({url: 'http:192.0.2.2:18081/'})).toEqual(['192.0.2.2'])
    expect(remoteHosts({url: 'redis:///?host=192.0.2.3'})).toEqual(['192.0.2.3'])
    expect(remoteHosts({db: 'postgres://u@127.0.0.1/db?host=192.0.2.4,127.0.0.1:5432'})).toEqual(['192.0.2.4'])
    expect(remoteHosts({db: 'postgres:///db'}, {PGHOST: '192.0.2.5'})).toEqual(['192.0.2.5'])
    expect(remoteHosts({db: 'postgres:///db?host=/run/postgresql'}, {PGHOST: '192.0.2.5'})).toEqual([])
    expect(remoteHosts({env: {PGHOST: '192.0.2.6'}, host: 'db.internal'}).sort()).toEqual(['192.0.2.6', 'db.internal'])
    expect(
      remoteHosts({url: 'http://api.localhost:1/', ok: 'http://0x7f.1:2/ http://[::1]:3/ time 12:30 mailto:a@b.org'}),
    ).toEqual(['api.localhost'])
  })

  it('refuses with the hosts and the way out, unless the target allows remote traffic', () => {
    expect(remoteRefusal({url: 'http://192.0.2.1/'}, false)).toBe(
      'refused to send traffic to 192.0.2.1: a gate loads only this machine (127.0.0.0/8, ::1, localhost) unless ' +
        'the target says allow_remote: true',
    )
    expect(remoteRefusal({url: 'http://192.0.2.1/'}, true)).toBeNull()
    expect(remoteRefusal({url: 'http://localhost:9/'}, false)).toBeNull()
  })
})
