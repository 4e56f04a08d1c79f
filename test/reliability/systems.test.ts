// A system under test that fails in every way an HTTP server can (test/fixtures/servers/hostile.mjs), loaded
// through the real CLI: every fault is counted as errors of its kind and reported, the run ends by itself
// within its planned time, and the gate's memory stays bounded however much the server sends.
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {makeProject, ROOT, startGate} from '../integration/helpers.js'

const HOSTILE = path.join(ROOT, 'test/fixtures/servers/hostile.mjs')
const MiB = 1024 * 1024

/** Peak resident memory of a live process, from /proc (Linux); undefined once it is gone. */
function residentBytes(pid: number): number | undefined {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    return kib === undefined ? undefined : Number(kib) * 1024
  } catch {
    return undefined
  }
}

type Target = {
  id: string
  status: string
  reason?: string
  evidence: {
    metrics: Array<{name: string; value?: number; successes?: number; trials?: number}>
    notes: string[]
  } | null
}

describe.runIf(process.platform === 'linux')('a failing system under test, through the CLI', () => {
  const project = makeProject({})
  afterAll(() => project.cleanup())

  it(
    'counts drip, endless, 5xx, reset-mid-body and silent responses as errors by kind, ends on time, and keeps its ' +
      'memory bounded',
    async () => {
      const target = (id: string, extra = '') =>
        `  - id: ${id}\n    validator: http\n    with: { url: "\${services.sut.url}/${id}", connections: 8, ` +
        `duration: ` +
        `2s, timeout: 1s${extra} }\n    expect: [ "error_rate < 1%" ]\n`
      writeFileSync(
        path.join(project.dir, 'gates', 'hostile.yaml'),
        `version: 1
services:
  sut:
    command: node ${HOSTILE}
    ready: { log: 'listening on (?<url>http://\\S+)' }
targets:
${['drip', 'endless', 'storm', 'reset', 'silent', 'ok'].map((id) => target(id)).join('')}`,
      )

      const {child, done} = startGate(['check', 'hostile', '--json'], {cwd: project.dir, timeoutMs: 90_000})
      let peak = 0
      const sampler = setInterval(() => (peak = Math.max(peak, residentBytes(child.pid!) ?? 0)), 50)
      const r = await done
      clearInterval(sampler)

      expect(r.code, r.stderr).toBe(1)
      const results = JSON.parse(r.stdout) as {targets: Target[]}
      const byId = new Map(results.targets.map((t) => [t.id, t]))
      const text = (id: string) => JSON.stringify(byId.get(id)?.evidence)

      // Each fault is a FAIL measured from the errors it caused, with its kind named in the evidence.
      for (const id of ['drip', 'endless', 'storm', 'reset', 'silent'])
        expect(byId.get(id)?.status, `${id}: ${byId.get(id)?.reason ?? text(id)}`).toBe('FAIL')
      expect(text('drip')).toMatch(/timeout|body/)
      expect(text('endless')).toMatch(/body/)
      expect(text('storm')).toMatch(/status/)
      expect(text('storm')).toMatch(/503/)
      expect(text('reset')).toMatch(/reset|body/)
      expect(text('silent')).toMatch(/timeout/)
      expect(byId.get('ok')?.status).toBe('PASS')

      // An endless body at loopback speed for 2 s is gigabytes; the gate kept none of it.
      process.stdout.write(`reliability/systems: the gate's peak RSS was ${(peak / MiB).toFixed(0)} MiB\n`)
      expect(peak).toBeGreaterThan(0)
      expect(peak).toBeLessThan(400 * MiB)
    },
    120_000,
  )
})
