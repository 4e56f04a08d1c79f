// gates/redis-dashboard.yaml as a user runs it: the gate starts its own redis-server, 100 subscribers across 100
// channels receive the validator's stamps, and the server is stopped afterwards.
import {readFileSync} from 'node:fs'
import {createConnection} from 'node:net'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {makeProject, ROOT, runGate} from './helpers.js'
import {freePort} from './servers/process.js'
import {REDIS_SERVER} from './servers/redis.js'

/** Whether something accepts connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({host: '127.0.0.1', port})
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

describe.skipIf(!REDIS_SERVER)('gates/redis-dashboard.yaml', () => {
  it('measures delivery to 100 subscribers across 100 channels on a redis-server it starts and stops', async () => {
    const project = makeProject({
      'redis-dashboard': readFileSync(path.join(ROOT, 'gates/redis-dashboard.yaml'), 'utf8'),
    })
    try {
      const port = await freePort()
      const r = await runGate(['check', 'redis-dashboard', '--arg', `port=${port}`, '--json'], {
        cwd: project.dir,
        // The service's program as this suite found it, first on the PATH.
        env: {PATH: `${path.dirname(REDIS_SERVER!)}${path.delimiter}${process.env.PATH}`},
        timeoutMs: 120_000,
      })
      const run = JSON.parse(r.stdout)
      const [target] = run.targets
      expect(target.evidence.source).toBe(
        `dashboard: 100 Redis subscribers across 100 channels at redis://127.0.0.1:${port}`,
      )
      const errors = target.evidence.metrics.find((metric: {name: string}) => metric.name === 'error_rate')
      // Whole rounds of a stamp on each of the 100 channels, and every delivery arrived.
      expect(errors.trials).toBeGreaterThanOrEqual(100)
      expect(errors.trials % 100).toBe(0)
      expect(errors.events).toBe(0)
      const delivered = target.expectations.find((e: {expression: string}) => e.expression === 'error_rate < 1%')
      expect(delivered.status).toBe(errors.trials >= 300 ? 'PASS' : 'INCONCLUSIVE')
      expect(['PROCEED', 'BLOCK', 'INCONCLUSIVE']).toContain(run.decision.outcome)
      expect(await listening(port)).toBe(false)
    } finally {
      project.cleanup()
    }
  })
})

describe('dashboard options that do not fit together', () => {
  it('are reported by `gate validate` with file:line:column, before anything runs', async () => {
    const project = makeProject({
      bus: `version: 1
targets:
  - id: bus
    validator: dashboard
    with: { url: "http://127.0.0.1:1", mode: redis, latency: { from: stamp } }
    expect: [ error_rate < 1% ]
  - id: feed
    validator: dashboard
    with: { url: "http://127.0.0.1:1", mode: sse, latency: { from: response } }
    expect: [ error_rate < 1% ]
`,
    })
    try {
      const r = await runGate(['validate', 'bus'], {cwd: project.dir})
      expect(r.stderr).toBe(
        'gates/bus.yaml: 2 problems in the gate file; nothing was measured.\n' +
          '  gates/bus.yaml:5:11: validator "dashboard": mode redis needs url redis://HOST:PORT (or rediss://), ' +
          'not http://\n' +
          '  gates/bus.yaml:9:11: validator "dashboard": latency.from response is for mode http; mode sse pushes ' +
          'updates\n',
      )
      expect(r.code).toBe(2)
    } finally {
      project.cleanup()
    }
  })
})
