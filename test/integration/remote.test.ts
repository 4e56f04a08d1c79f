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
  it('refuses a target that names a host outside the loopback range, and runs one that says allow_remote: true', async () => {
    const result = await runGate(['check', 'remote', '--json'], {cwd: project.dir})
    const run = JSON.parse(result.stdout)
    const [refused, allowed] = run.targets
    expect(refused.status).toBe('NO_DATA')
    expect(refused.reason).toBe('refused to send traffic to 192.0.2.1: a gate loads only this machine (127.0.0.0/8, ::1, localhost) unless the target says allow_remote: true')
    expect(allowed.status).toBe('PASS')
    expect(result.code).toBe(1)
  })
})
