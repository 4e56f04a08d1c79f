import http from 'node:http'
import type {AddressInfo} from 'node:net'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeProject, runGate} from './helpers.js'

// /fast answers at once; /coin answers after 2 ms or 30 ms with equal odds, so its median sits on
// one side of 10 ms or the other from one second to the next and never settles.
let server: http.Server
let url = ''
let coin = 0
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/coin') return setTimeout(() => res.end('ok'), coin++ % 2 === 0 ? 2 : 30)
    res.end('ok')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => server.close())

describe('http until: confident', () => {
  it(
    'stops a target as soon as its evidence decides it, and runs an undecidable one for its whole ' + 'duration',
    async () => {
      const project = makeProject({
        until: `version: 1
targets:
  - id: clear
    validator: http
    with: {url: "${url}/fast", connections: 2, duration: 60s, until: confident, min_duration: 1s}
    expect: [p95(latency) < 1s]
  - id: undecided
    validator: http
    with: {url: "${url}/coin", connections: 2, duration: 4s, until: confident, min_duration: 1s}
    expect: [median(latency) < 16ms]
`,
      })
      try {
        const result = await runGate(['check', 'until', '--json'], {cwd: project.dir, timeoutMs: 120_000})
        const run = JSON.parse(result.stdout)
        const [clear, undecided] = run.targets
        expect(clear.status).toBe('PASS')
        expect(clear.evidence.notes.join('\n')).toMatch(
          /stopped early after .+: the evidence already decided the target \(until: confident\)/,
        )
        // It did not run its 60 s: the evidence window is what the engine measured.
        expect(clear.evidence.durationMs).toBeLessThan(60_000)
        expect(undecided.evidence.notes.join('\n')).not.toContain('stopped early')
      } finally {
        project.cleanup()
      }
    },
  )
})
