// `gate check --against REF`: the baseline is REF checked out in a temporary worktree, built and started beside
// the candidate, both measured in alternating rounds. The candidate is a throw-away clone of this repository whose
// committed HEAD holds a small failover gate; slowing only the candidate is an uncommitted change to its service env.
// The full phase-2 twice in rounds would take far longer than this file's budget, so the comparisons use a gate with
// the swarm-failover target alone (fewer swarms and faults); phase-2's build step is checked for bad input only.
import {execFileSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, runGate} from './helpers.js'
import {ensureDemoBuilt} from './demo/demo.js'

const RELATIVE = 'median(failover_time) <= baseline * 1.5'
const GATE = `version: 1
decision: { min_consensus: 0.5, confidence: 0.95, seed: 1 }
build: { command: npm run build --workspace demo --silent, timeout: 5m }
services:
  demo:
    command: node demo/dist/server.js --port 0
    ready: { log: 'listening on (?<url>http://\\S+)', timeout: 30s }
targets:
  - id: swarm-failover
    validator: swarm
    with: { preset: demo, url: "\${services.demo.url}", swarms: 10, faults: 12, tasks: 2 }
    timeout: 3m
    expect:
      - p95(failover_time) < 5s
      - ${RELATIVE}
    required: true
`

type Run = {
  against?: {ref: string; commit: string; rounds: number; order: string; services: string; checkout: string}
  decision: {outcome: string}
  targets: Array<{
    id: string
    status: string
    expectations: Array<{expression: string; status: string; value: number | null; reason?: string; baseline?: any}>
  }>
}

const git = (args: string[], cwd: string) => execFileSync('git', args, {cwd, encoding: 'utf8'}).trim()
const relative = (run: Run) => run.targets[0]!.expectations.find((e) => e.expression === RELATIVE)!
const againstDirs = () => readdirSync(os.tmpdir()).filter((name) => name.startsWith('phasegate-against-'))

let clone: string
let head: string
const before = new Set<string>()

describe('gate check --against REF', () => {
  beforeAll(async () => {
    await ensureDemoBuilt()
    for (const name of againstDirs()) before.add(name)
    clone = mkdtempSync(path.join(os.tmpdir(), 'phasegate-candidate-'))
    git(['clone', '--quiet', '--shared', '--no-checkout', ROOT, clone], ROOT)
    git(['checkout', '--quiet', '--detach', git(['rev-parse', 'HEAD'], ROOT)], clone)
    writeFileSync(path.join(clone, 'gates', 'failover.yaml'), GATE)
    git(['add', 'gates/failover.yaml'], clone)
    git(['-c', 'user.name=test', '-c', 'user.email=test@127.0.0.1', 'commit', '--quiet', '-m', 'failover gate'], clone)
    head = git(['rev-parse', 'HEAD'], clone)
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(clone, 'node_modules'), 'dir')
    execFileSync('npm', ['run', 'build', '--workspace', 'demo', '--silent'], {cwd: clone, stdio: 'ignore'})
  }, 180_000)

  afterAll(() => {
    if (clone) rmSync(clone, {force: true, recursive: true})
  })

  it('finds no regression on an unchanged tree, names the baseline REF@sha, leaves no worktree behind', async () => {
    const result = await runGate(['check', 'failover', '--against', 'HEAD', '--json'], {
      cwd: clone,
      timeoutMs: 240_000,
    })
    expect(result.stdout, result.stderr).toMatch(/^\{/)
    const run = JSON.parse(result.stdout) as Run
    expect(run.against).toMatchObject({checkout: 'worktree', commit: head, order: 'ABBA', ref: 'HEAD', rounds: 4})
    expect(run.against!.services).toBe('ref')
    const shift = relative(run)
    expect(shift.baseline).toMatchObject({model: 'paired-rounds', name: `HEAD@${head.slice(0, 7)}`, pairs: 4})
    // Both sides drift alike, so an unchanged tree is never flagged; a very busy machine may leave it INCONCLUSIVE.
    expect(['PASS', 'INCONCLUSIVE'], JSON.stringify(shift)).toContain(shift.status)
    expect(result.stderr).toContain(`baseline HEAD@${head.slice(0, 7)}: building`)
    expect(git(['worktree', 'list'], clone).split('\n')).toHaveLength(1)
    expect(againstDirs().filter((name) => !before.has(name))).toEqual([])
  }, 300_000)

  it("BLOCKs on the relative expectation when only the candidate's failover slows; the report shows both", async () => {
    const gate = path.join(clone, 'gates', 'failover.yaml')
    // Uncommitted, so only the candidate's demo waits 1 s more before electing a new leader.
    writeFileSync(gate, GATE.replace('--port 0', '--port 0\n    env: { DEMO_FAILOVER_DELAY: "1000" }'))
    const out = mkdtempSync(path.join(os.tmpdir(), 'phasegate-slowed-report-'))
    try {
      const result = await runGate(
        ['check', 'failover', '--against', 'HEAD', '--rounds', '3', '--format', 'md', '--out', out],
        {
          cwd: clone,
          timeoutMs: 420_000,
        },
      )
      expect(result.code, result.stderr).toBe(1)
      const run = JSON.parse(readFileSync(path.join(clone, '.gate', 'latest.json'), 'utf8')) as Run
      expect(run.decision.outcome).toBe('BLOCK')
      const failover = run.targets[0]!
      // The absolute expectation judges the candidate's rounds pooled: under 5 s still, from every round's failovers.
      const p95 = failover.expectations[0]!
      expect(p95.expression).toBe('p95(failover_time) < 5s')
      expect(['PASS', 'INCONCLUSIVE'], JSON.stringify(p95)).toContain(p95.status)
      expect((p95 as {n?: number}).n).toBeGreaterThan(12)
      const shift = relative(run)
      expect(shift.status, JSON.stringify(shift)).toBe('FAIL')
      // FAIL is one-sided at 0.95; the two-sided 95% interval of the shift may start a little under +50%, never at 0.
      expect(shift.baseline.changeInterval95[0]).toBeGreaterThan(0)
      // Both sides: the candidate's median beside the baseline's, and the shift with its interval.
      expect(shift.value!).toBeGreaterThan(shift.baseline.value + 500)
      const report = readFileSync(
        path.join(
          out,
          readdirSync(out).find((file) => file.endsWith('.md'))!,
        ),
        'utf8',
      )
      // Markdown breaks every @ with a zero-width space so GitHub never reads it as a mention.
      expect(report.replaceAll('@&#8203;', '@')).toContain(`HEAD@${head.slice(0, 7)}`)
      expect(report).toContain('paired-rounds')
      expect(git(['worktree', 'list'], clone).split('\n')).toHaveLength(1)
    } finally {
      writeFileSync(gate, GATE)
      rmSync(out, {force: true, recursive: true})
    }
  }, 480_000)

  it('refuses bad input in one line with exit 2 and removes the worktree it made', async () => {
    const unknown = await runGate(['check', 'failover', '--against', 'no-such-ref-x'], {cwd: clone})
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toContain('--against no-such-ref-x: no such git ref or directory')
    expect(unknown.stderr).not.toMatch(/\n\s+at /)

    const alone = await runGate(['check', 'failover', '--rounds', '3'], {cwd: clone})
    expect(alone.code).toBe(2)
    expect(alone.stderr).toContain('--against')

    const gate = path.join(clone, 'gates', 'failover.yaml')
    try {
      writeFileSync(gate, GATE.replace(/^build: .*\n/m, ''))
      const unbuilt = await runGate(['check', 'failover', '--against', 'HEAD'], {cwd: clone})
      expect(unbuilt.code).toBe(2)
      expect(unbuilt.stderr).toContain('has no build step; add `build: {command: ...}`')

      writeFileSync(gate, GATE.replace('npm run build --workspace demo --silent', 'echo broken >&2; exit 3'))
      const broken = await runGate(['check', 'failover', '--against', 'HEAD'], {cwd: clone, timeoutMs: 120_000})
      expect(broken.code).toBe(2)
      expect(broken.stderr).toContain('exited with code 3')
      expect(broken.stderr).toContain('(last line: broken)')
      expect(git(['worktree', 'list'], clone).split('\n')).toHaveLength(1)

      // The clone itself, dirty now, named as a directory.
      const dirty = await runGate(['check', 'failover', '--against', clone], {cwd: clone})
      expect(dirty.code).toBe(2)
      expect(dirty.stderr).toContain('the directory has uncommitted changes')
    } finally {
      writeFileSync(gate, GATE)
    }
    expect(existsSync(path.join(clone, '.git'))).toBe(true)
    expect(againstDirs().filter((name) => !before.has(name))).toEqual([])
  }, 180_000)
})
