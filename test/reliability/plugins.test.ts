// A third-party validator plugin that misbehaves, installed the way a user installs one (`gate plugins link`),
// and run through the real CLI: every bad validator leaves its target NO_DATA with the reason, the others are
// measured, stdout stays the results object, the service is stopped and the results file is complete.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {alive, makeProject, readJson, ROOT, runGate, waitFor} from '../integration/helpers.js'

const PLUGIN = path.join(ROOT, 'test/fixtures/plugins/hostile')
const HELLO = path.join(ROOT, 'test/fixtures/servers/hello.mjs')

type Target = {
  id: string
  status: string
  reason?: string
  evidence: {metrics: Array<{name: string; n?: number; seen?: number}>} | null
}

describe('a hostile validator plugin, through the CLI', () => {
  // oclif keeps linked plugins under XDG_DATA_HOME: a directory of this test's own, never the developer's.
  const home = mkdtempSync(path.join(os.tmpdir(), 'phasegate-plugin-home-'))
  const env = {
    XDG_CACHE_HOME: path.join(home, 'cache'),
    XDG_CONFIG_HOME: path.join(home, 'config'),
    XDG_DATA_HOME: path.join(home, 'data'),
  }
  const project = makeProject({})
  const pidFile = path.join(project.dir, 'service.pid')

  beforeAll(async () => {
    const linked = await runGate(['plugins', 'link', PLUGIN, '--no-install'], {cwd: project.dir, env})
    expect(linked.code, linked.stderr).toBe(0)
  }, 60_000)

  afterAll(() => {
    project.cleanup()
    rmSync(home, {force: true, recursive: true})
  })

  it('isolates each fault to its own target and loses nothing', async () => {
    const target = (id: string, validator = id, extra = '') =>
      `  - { id: ${id}, validator: ${validator}, expect: [ "max(latency) < 1s" ]${extra} }\n`
    writeFileSync(
      path.join(project.dir, 'gates', 'hostile.yaml'),
      `version: 1
services:
  web:
    command: node ${HELLO} ${pidFile}
    ready: { log: 'listening on (?<url>http://\\S+)' }
targets:
${target('noisy')}${target('throws')}${target(
        'hangs',
        'hangs',
        ', timeout: ' + '2s',
      )}${target('nan')}${target('negative')}${target('flood')}${target('never-loaded')}${target('healthy')}`,
    )

    const r = await runGate(['check', 'hostile', '--json'], {cwd: project.dir, env, timeoutMs: 120_000})
    expect([1, 3], r.stderr).toContain(r.code)

    // stdout is the results object alone: what the plugin printed went to stderr.
    const results = JSON.parse(r.stdout) as {targets: Target[]; warnings: string[]; interrupted: boolean}
    expect(r.stdout).not.toContain('hostile plugin')
    expect(r.stderr).toContain('hostile plugin: printed on stdout while loading')
    expect(r.stderr).toContain('hostile plugin: console.log during collect')
    expect(r.stderr).toContain('hostile plugin: process.stdout.write during collect')

    const byId = new Map(results.targets.map((t) => [t.id, t]))
    expect([...byId.keys()]).toEqual([
      'noisy',
      'throws',
      'hangs',
      'nan',
      'negative',
      'flood',
      'never-loaded',
      'healthy',
    ])
    const noData = (id: string, reason: RegExp) => {
      expect(byId.get(id)?.status, id).toBe('NO_DATA')
      expect(byId.get(id)?.reason, id).toMatch(reason)
    }
    noData('throws', /validator throws failed: the probe crashed/)
    noData('hangs', /timed out after 2 ?s/)
    noData('nan', /NaN/)
    noData('negative', /negative/)
    noData('never-loaded', /"never-loaded" is not installed/)
    expect(results.warnings.join('\n')).toMatch(/gate-validator-hostile could not provide validators/)

    // The ones that behave (or only print, or send too many samples) are measured and decided.
    for (const id of ['noisy', 'flood', 'healthy']) expect(byId.get(id)?.status, id).toBe('PASS')
    // Three million samples are all counted, and decided on from a bounded reservoir.
    const flood = byId.get('flood')?.evidence?.metrics.find((metric) => metric.name === 'latency')
    expect(flood?.seen).toBe(3_000_000)
    expect(flood?.n).toBeLessThanOrEqual(100_000)

    // Nothing lost: the saved results are the printed ones, complete; the service is gone.
    expect(results.interrupted).toBe(false)
    expect(readJson(path.join(project.dir, '.gate/latest.json'))).toEqual(results)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    expect(await waitFor(() => !alive(pid), 5000)).toBe(true)
  }, 150_000)
})
