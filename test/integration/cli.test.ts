import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, readFileSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'

import {ROOT, alive, makeProject, readJson, runGate, waitFor} from './helpers.js'

const HELLO = path.join(ROOT, 'test/fixtures/servers/hello.mjs')
const CRASH = path.join(ROOT, 'test/fixtures/servers/crash.mjs')
const projects: Array<{cleanup(): void}> = []
function project(gates: Record<string, string>) {
  const p = makeProject(gates)
  projects.push(p)
  return p.dir
}

afterEach(() => {
  for (const p of projects.splice(0)) p.cleanup()
})

const NODE_OK = `
  - id: node-runs
    title: node -e 0 runs cleanly
    validator: command
    with: { run: "node -e 0", runs: 4, warmup: 0 }
    expect: [ "max(duration) < 1h", "failures == 0" ]
    required: true`

describe('gate check: decisions and exit codes', () => {
  it('PROCEEDs (exit 0) when every required target passes, and saves a valid results file', async () => {
    const dir = project({ok: `version: 1\ntargets:${NODE_OK}\n`})
    const r = await runGate(['check', 'ok'], {cwd: dir})
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/PROCEED/)
    expect(r.stdout).toMatch(/rule 4/)
    const latest = readJson(path.join(dir, '.gate/latest.json'))
    expect(latest.version).toBe(1)
    expect(latest.decision.outcome).toBe('PROCEED')
    expect(latest.targets[0].status).toBe('PASS')
    expect(latest.targets[0].evidence.kind).toBe('measured')
    expect(latest.targets[0].expectations[0].n).toBe(4)
    const runs = readdirSync(path.join(dir, '.gate/runs'))
    expect(runs).toHaveLength(1)
    expect(runs[0]).toMatch(/^ok-\d{8}T\d{6}Z\.json$/)
  })

  it('BLOCKs (exit 1) when a required target fails, naming the target and rule 1', async () => {
    const dir = project({
      fails: `version: 1
targets:
  - id: always-fails
    validator: command
    with: { run: "exit 3", runs: 3, warmup: 0 }
    expect: [ "failures == 0" ]
    required: true
`,
    })
    const r = await runGate(['check', 'fails'], {cwd: dir})
    expect(r.code).toBe(1)
    expect(r.stdout).toMatch(/BLOCK/)
    expect(r.stdout).toMatch(/rule 1/)
    expect(r.stdout).toMatch(/always-fails/)
    expect(readJson(path.join(dir, '.gate/latest.json')).targets[0].status).toBe('FAIL')
  })

  it('never PROCEEDs when a required target is only a claim (exit 3, INCONCLUSIVE)', async () => {
    const dir = project({
      claimed: `version: 1
targets:
  - id: dashboard-refresh
    validator: claim
    with: { metric: refresh_latency, value: 850ms, source: "vendor report, 2025-10-09" }
    expect: [ "refresh_latency < 1s" ]
    required: true
`,
    })
    const r = await runGate(['check', 'claimed', '--json'], {cwd: dir})
    expect(r.code).toBe(3)
    const results = JSON.parse(r.stdout)
    expect(results.decision.outcome).toBe('INCONCLUSIVE')
    expect(results.targets[0].confidence).toBeLessThanOrEqual(0.65)
    expect(results.targets[0].status).not.toBe('PASS')
  })

  it(
    "takes --arg values for the gate's args, records them with URL passwords masked, and rejects unknown ones " +
      '(exit 2)',
    async () => {
      const dir = project({
        argued: `version: 1
decision: { min_consensus: 0.5 }
args:
  latency: { default: 2s }
  db: { default: "sqlite:state.db", description: which database }
targets:
  - id: from-arg
    validator: claim
    with: { metric: refresh_latency, value: "\${args.latency}", source: "a report" }
    expect: [ "refresh_latency < 1s" ]
`,
      })
      const r = await runGate(
        [
          'check',
          'argued',
          '--json',
          '--arg',
          'latency=850ms',
          '--arg',
          'db=postgres://gate:s3cret@127.0.0.1:5432/state',
        ],
        {cwd: dir},
      )
      expect(r.code).toBe(0)
      const results = JSON.parse(r.stdout)
      expect(results.targets[0].expectations[0].value).toBe(850)
      expect(results.gate.args).toEqual({db: 'postgres://gate:***@127.0.0.1:5432/state', latency: '850ms'})
      expect(readFileSync(path.join(dir, '.gate/latest.json'), 'utf8')).not.toContain('s3cret')
      const typo = await runGate(['validate', 'argued', '--arg', 'dbb=x'], {cwd: dir})
      expect(typo.code).toBe(2)
      expect(typo.stderr).toMatch(/--arg dbb is not an argument of this gate — did you mean --arg db=\.\.\.\?/)
      const malformed = await runGate(['validate', 'argued', '--arg', 'db'], {cwd: dir})
      expect(malformed.code).toBe(2)
      expect(malformed.stderr).toMatch(/--arg db: expected NAME=VALUE/)
      expect(malformed.stderr).not.toMatch(/at .*\.js:\d+/)
    },
  )

  it('BLOCKs when a required target has no data, with the reason in the results', async () => {
    const dir = project({
      missing: `version: 1
targets:
  - id: from-file
    validator: artifact
    with: { file: does-not-exist.json, path: p95, metric: latency, unit: ms }
    expect: [ "latency < 100ms" ]
    required: true
`,
    })
    const r = await runGate(['check', 'missing', '--json'], {cwd: dir})
    expect(r.code).toBe(1)
    const target = JSON.parse(r.stdout).targets[0]
    expect(target.status).toBe('NO_DATA')
    expect(target.reason).toMatch(/does-not-exist\.json/)
  })

  it('--json prints only the results object on stdout', async () => {
    const dir = project({ok: `version: 1\ntargets:${NODE_OK}\n`})
    const r = await runGate(['check', 'ok', '--json'], {cwd: dir})
    expect(r.code).toBe(0)
    const results = JSON.parse(r.stdout)
    expect(results.gate.name).toBe('ok')
    expect(results.decision.rule).toBe(4)
  })

  it('--out writes the chosen formats, and `gate report` re-renders the saved run with its exit code', async () => {
    const dir = project({ok: `version: 1\ntitle: "Release <b>1.0</b> | core"\ntargets:${NODE_OK}\n`})
    const r = await runGate(['check', 'ok', '--out', 'report', '--format', 'md,junit,json'], {cwd: dir})
    expect(r.code).toBe(0)
    const files = readdirSync(path.join(dir, 'report')).sort()
    expect(files).toHaveLength(3)
    const md = readFileSync(
      path.join(
        dir,
        'report',
        files.find((f) => f.endsWith('.md'))!,
      ),
      'utf8',
    )
    expect(md).toMatch(/PROCEED/)
    expect(md).not.toContain('<b>1.0</b>')
    const junit = readFileSync(
      path.join(
        dir,
        'report',
        files.find((f) => f.endsWith('.xml'))!,
      ),
      'utf8',
    )
    expect(junit).toMatch(/<testcase [^>]*name="[^"]*node -e 0 runs cleanly/)
    expect(junit).not.toMatch(/<failure/)

    const again = await runGate(['report', '--format', 'md'], {cwd: dir})
    expect(again.code).toBe(0)
    expect(again.stdout).toMatch(/node-runs/)
  })
})

describe('gate check: configuration errors exit 2 with a place and a suggestion', () => {
  it('a typo in a key names file:line:col and the key it meant', async () => {
    const dir = project({
      typo: `version: 1
targets:
  - id: node-runs
    validator: command
    with: { run: "node -e 0" }
    expct: [ "p95(duration) < 1s" ]
`,
    })
    const r = await runGate(['check', 'typo'], {cwd: dir})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/gates\/typo\.yaml:6:5/)
    expect(r.stderr).toMatch(/did you mean .?expect/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(existsSync(path.join(dir, '.gate'))).toBe(false)
  })

  it('a bad expectation points at the bad token', async () => {
    const dir = project({
      badexpr: `version: 1
targets:
  - id: node-runs
    validator: command
    with: { run: "node -e 0" }
    expect:
      - p95(duration) < 1 parsecs
`,
    })
    const r = await runGate(['validate', 'badexpr'], {cwd: dir})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/gates\/badexpr\.yaml:7:\d+/)
    expect(r.stderr).toMatch(/parsecs/)
  })

  it('an unknown validator and a bad option are reported before anything runs', async () => {
    const dir = project({
      badopts: `version: 1
targets:
  - id: a
    validator: comand
    expect: [ "x < 1" ]
  - id: b
    validator: command
    with: { run: "node -e 0", rnus: 3 }
    expect: [ "p95(duration) < 1s" ]
`,
    })
    const r = await runGate(['check', 'badopts'], {cwd: dir})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/badopts\.yaml:4:\d+.*comand/)
    expect(r.stderr).toMatch(/did you mean .?command/)
    expect(r.stderr).toMatch(/badopts\.yaml:8:\d+.*rnus/)
    expect(r.stderr).toMatch(/did you mean .?runs/)
  })

  it('an unknown gate lists the gates there are', async () => {
    const dir = project({smoke: `version: 1\ntargets:${NODE_OK}\n`})
    const r = await runGate(['check', 'smok'], {cwd: dir})
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/smoke/)
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('an unknown flag is a usage error (exit 2)', async () => {
    const dir = project({ok: `version: 1\ntargets:${NODE_OK}\n`})
    const r = await runGate(['check', 'ok', '--frobnicate'], {cwd: dir})
    expect(r.code).toBe(2)
  })
})

describe('services', () => {
  it('starts a service, passes its URL to targets, and stops it afterwards', async () => {
    const dir = project({})
    const pidFile = path.join(dir, 'service.pid')
    const fetchOk = 'fetch(process.argv[1]).then(r => process.exit(r.ok ? 0 : 1), () => process.exit(2))'
    const gateText = `version: 1
services:
  web:
    command: node ${HELLO} ${pidFile}
    ready: { log: 'listening on (?<url>http://\\S+)', timeout: 20s }
targets:
  - id: web-answers
    validator: command
    with: { run: "node -e \\"${fetchOk}\\" \${services.web.url}", runs: 3, warmup: 0 }
    expect: [ "failures == 0" ]
    required: true
`
    writeFileSync(path.join(dir, 'gates', 'web.yaml'), gateText)
    const r = await runGate(['check', 'web', '--json'], {cwd: dir})
    expect(r.code).toBe(0)
    const pid = Number(readFileSync(pidFile, 'utf8'))
    expect(pid).toBeGreaterThan(0)
    expect(await waitFor(() => !alive(pid), 5000)).toBe(true)
  })

  it('a service that exits before it is ready makes its targets NO_DATA with its last log lines', async () => {
    const dir = project({
      broken: `version: 1
services:
  web:
    command: node ${CRASH}
    ready: { log: 'listening on (?<url>http://\\S+)', timeout: 10s }
targets:
  - id: web-answers
    validator: command
    with: { run: "node -e 0 \${services.web.url}", runs: 1 }
    expect: [ "failures == 0" ]
    required: true
`,
    })
    const r = await runGate(['check', 'broken', '--json'], {cwd: dir})
    expect(r.code).toBe(1)
    const results = JSON.parse(r.stdout)
    expect(results.targets[0].status).toBe('NO_DATA')
    expect(JSON.stringify(results)).toMatch(/cannot bind: port in use/)
  })
})

describe("the machine's noise on record", () => {
  // Two CPU hogs beside the run, each ending by itself within a minute, killed when the file is done.
  const hogs: ChildProcess[] = []
  beforeAll(() => {
    for (let i = 0; i < 2; i++)
      hogs.push(
        spawn(process.execPath, ['-e', 'const end = Date.now() + 60_000; while (Date.now() < end) {}'], {
          stdio: 'ignore',
        }),
      )
  })
  afterAll(() => {
    for (const hog of hogs) hog.kill('SIGKILL')
  })

  it(
    "records load, cores, steal, the gate's CPU and event-loop delay for each measured target; a claim, which runs " +
      'nothing here, has none',
    async () => {
      const dir = project({
        noisy: `version: 1
decision: { min_consensus: 0.5 }
services:
  web:
    command: node ${HELLO}
    ready: { log: 'listening on (?<url>http://\\S+)', timeout: 20s }
targets:
  - id: web-latency
    validator: http
    with: { url: "\${services.web.url}/", connections: 2, requests: 300, duration: 20s }
    expect: [ "p95(latency) < 10s" ]
  - id: claimed
    validator: claim
    with: { metric: refresh_latency, value: 850ms, source: "a report" }
    expect: [ "refresh_latency < 1s" ]
`,
      })
      const r = await runGate(['check', 'noisy', '--json'], {cwd: dir})
      expect(r.stderr).not.toMatch(/\n\s+at /)
      const results = JSON.parse(r.stdout)
      expect(results.targets.map((target: {id: string}) => target.id)).toEqual(['web-latency', 'claimed'])
      expect(results.targets[1].noise).toBeUndefined()
      for (const target of results.targets.slice(0, 1)) {
        const {noise} = target
        expect(noise, target.id).toBeDefined()
        for (const figure of ['windowMs', 'loadAverage', 'cores', 'generatorCpu'])
          expect(typeof noise[figure], `${target.id} ${figure}`).toBe('number')
        for (const figure of ['stealShare', 'eventLoopDelayP99Ms'])
          expect(noise[figure] === null || typeof noise[figure] === 'number').toBe(true)
        expect(typeof noise.busy).toBe('boolean')
        expect(noise.reasons).toBeInstanceOf(Array)
        expect(noise.reasons.length > 0).toBe(noise.busy)
      }
      // What the CLI saved reads back through the schema, noise and all.
      expect((await runGate(['report', '--format', 'md'], {cwd: dir})).code).toBe(r.code)
    },
  )
})

describe('the shipped smoke gate', () => {
  it('`gate check smoke` measures this machine and prints a real decision', async () => {
    const r = await runGate(['check', 'smoke', '--json'], {cwd: ROOT, timeoutMs: 180_000})
    expect([0, 1, 3]).toContain(r.code)
    const results = JSON.parse(r.stdout)
    expect(results.targets.length).toBeGreaterThanOrEqual(2)
    for (const target of results.targets) {
      expect(target.evidence?.kind).toBe('measured')
      expect(target.status).not.toBe('NO_DATA')
    }
  }, 200_000)
})
