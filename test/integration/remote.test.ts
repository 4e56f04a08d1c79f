import {afterAll, describe, expect, it} from 'vitest'

import {makeProject, runGate} from './helpers.js'

// 192.0.2.0/24 is TEST-NET-1 (RFC 5737): never routed. Nothing here may connect to it, and nothing does:
// the refusal comes before the validator runs, and the allowed target's command only names the URL.
const project = makeProject({
  remote: `version: 1
targets:
  - id: refused
    validator: http
    with: {url: "http://192.0.2.1:8080/", duration: 1s}
    expect: [p95(latency) < 1s]
  - id: allowed
    validator: command
    allow_remote: true
    with: {run: "node -e 0 http://192.0.2.1/", runs: 2}
    expect: [failures == 0]
`,
})

afterAll(() => project.cleanup())

describe('load safety', () => {
  it(
    'refuses a target that names a host outside the loopback range, and runs one that says allow_remote: ' + 'true',
    async () => {
      const result = await runGate(['check', 'remote', '--json'], {cwd: project.dir})
      const run = JSON.parse(result.stdout)
      const [refused, allowed] = run.targets
      expect(refused.status).toBe('NO_DATA')
      expect(refused.reason).toBe(
        'refused to send traffic to 192.0.2.1: a gate loads only this machine (127.0.0.0/8, ::1, localhost) unless ' +
          'the target says allow_remote: true',
      )
      expect(allowed.status).toBe('PASS')
      expect(result.code).toBe(1)
    },
  )
})

// Each attack names a host only in a command line, which connects nowhere: the guard must still read it as the clients
// would.
const attacks = makeProject({
  tricks: `version: 1
targets:
  - { id: backslash, validator: command,
      with: { run: "node -e 0 'http://192.0.2.1:18081\\\\@127.0.0.1:1/'", runs: 1, warmup: 0 },
      expect: [ "failures == 0" ] }
  - { id: no-slashes, validator: command,
      with: { run: "node -e 0 http:192.0.2.2:18081/", runs: 1, warmup: 0 }, expect: [ "failures == 0" ] }
  - { id: redis-query, validator: command,
      with: { run: "node -e 0 'redis:///?host=192.0.2.3'", runs: 1, warmup: 0 }, expect: [ "failures == 0" ] }
  - { id: postgres-query, validator: command,
      with: { run: "node -e 0 'postgres://u@127.0.0.1/db?host=192.0.2.4'", runs: 1, warmup: 0 },
      expect: [ "failures == 0" ] }
  - { id: pghost, validator: command,
      with: { run: "node -e 0 postgres:///db", runs: 1, warmup: 0 }, expect: [ "failures == 0" ] }
  - { id: env-pghost, validator: command,
      with: { run: "node -e 0", env: { PGHOST: 192.0.2.6 }, runs: 1, warmup: 0 }, expect: [ "failures == 0" ] }
  - { id: subdomain, validator: command,
      with: { run: "node -e 0 http://api.localhost:1/", runs: 1, warmup: 0 }, expect: [ "failures == 0" ] }
  - { id: loopback, validator: command,
      with: { run: "node -e 0 http://0x7f.1:1/ 'http://[::1]:1/'", runs: 1, warmup: 0 }, expect: [ "failures == 0" ] }
`,
  prometheus: `version: 1
targets:
  - { id: prom, validator: prometheus,
      with: { url: "http://192.0.2.7:9090", query: up, metric: up }, expect: [ "up == 1" ] }
`,
  ready: `version: 1
services:
  web: { command: "sleep 5", ready: { http: "http://192.0.2.8:8080/health" } }
targets:
  - { id: t, validator: command, with: { run: "true" }, expect: [ "failures == 0" ] }
`,
})
afterAll(() => attacks.cleanup())

describe('the loopback guard reads hosts as the clients do', () => {
  it(
    'a backslash before "@", a URL without "//", hosts in a query string, PGHOST and *.localhost are each refused, ' +
      'naming the host',
    async () => {
      const result = await runGate(['check', 'tricks', '--json'], {cwd: attacks.dir, env: {PGHOST: '192.0.2.5'}})
      const targets = JSON.parse(result.stdout).targets as Array<{id: string; reason?: string; status: string}>
      const reasons = Object.fromEntries(targets.map((t) => [t.id, t.reason ?? t.status]))
      const refused = (host: string) =>
        expect.stringMatching(
          new RegExp(`^refused to send traffic to ${host.replaceAll('.', '\\.')}: .*allow_remote: true$`),
        )
      expect(reasons).toEqual({
        backslash: refused('192.0.2.1'),
        'no-slashes': refused('192.0.2.2'),
        'redis-query': refused('192.0.2.3'),
        'postgres-query': refused('192.0.2.4'),
        pghost: refused('192.0.2.5'),
        'env-pghost': refused('192.0.2.6'),
        subdomain: refused('api.localhost'),
        loopback: 'PASS',
      })
    },
  )

  it('a prometheus url outside the loopback range is refused before anything connects', async () => {
    const result = await runGate(['check', 'prometheus', '--json'], {cwd: attacks.dir})
    expect(JSON.parse(result.stdout).targets[0].reason).toMatch(/^refused to send traffic to 192\.0\.2\.7: /)
  })

  it(
    'a service whose ready.http is on another machine is a configuration error (exit 2), and nothing ' + 'starts',
    async () => {
      const result = await runGate(['check', 'ready'], {cwd: attacks.dir})
      expect(result.code, result.stderr).toBe(2)
      expect(result.stderr).toMatch(
        new RegExp(
          String.raw`gates\/ready\.yaml:\d+:\d+: "http" must be on this machine \(127\.0\.0\.0\/8, ::1, ` +
            String.raw`localhost\): it names 192\.0\.2\.8`,
        ),
      )
    },
  )
})
