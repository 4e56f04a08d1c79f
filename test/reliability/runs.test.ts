// Runs that go wrong around the gate rather than in it, through the real CLI: a service that dies mid-run,
// SIGINT/SIGTERM at each stage of a run, a second Ctrl-C while a service will not stop, several runs of one
// project at once, and results files damaged on disk. Each ends in a clear exit code, nothing left running,
// and nothing lost or half-written.
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {alive, makeProject, readJson, ROOT, runGate, startGate, waitFor} from '../integration/helpers.js'
import {survivors, watchDescendants} from '../integration/plugins/helpers.js'

const SERVERS = path.join(ROOT, 'test/fixtures/servers')
const projects: Array<{cleanup(): void}> = []
afterAll(() => projects.forEach((project) => project.cleanup()))

function project(): string {
  const made = makeProject({})
  projects.push(made)
  return made.dir
}

/** A project whose gates/quick.yaml decides at once: one claim, nothing started. */
function quickProject(): string {
  const dir = project()
  writeFileSync(
    path.join(dir, 'gates', 'quick.yaml'),
    'version: 1\ntargets:\n  - { id: claimed, validator: claim, with: { metric: x, value: 1, source: a vendor ' +
      'report }, expect: [ "x < 2" ] }\n',
  )
  return dir
}

const pidOf = (file: string): number => Number(readFileSync(file, 'utf8'))
const hasPid = (file: string) => () => existsSync(file) && readFileSync(file, 'utf8').length > 0

type Results = {
  interrupted: boolean
  warnings: string[]
  decision: {outcome: string}
  targets: Array<{id: string; status: string; reason?: string; evidence: unknown}>
}

describe('a service that dies mid-run', () => {
  it(
    'its load target counts the errors, later targets that need it are NO_DATA with its last log lines, the run ' +
      'says which target it cut into',
    async () => {
      const dir = project()
      const pidFile = path.join(dir, 'web.pid')
      writeFileSync(
        path.join(dir, 'gates', 'dies.yaml'),
        `version: 1
services:
  web:
    command: node ${path.join(SERVERS, 'dies.mjs')} ${pidFile} 1500
    ready: { log: 'listening on (?<url>http://\\S+)' }
targets:
  - id: load
    validator: http
    with: { url: "\${services.web.url}/", connections: 4, duration: 4s }
    expect: [ "error_rate < 1%" ]
  - id: after
    validator: command
    with: { run: "node -e 0 \${services.web.url}", runs: 1 }
    expect: [ "failures == 0" ]
  - id: unrelated
    validator: claim
    with: { metric: x, value: 1, source: a vendor report }
    expect: [ "x < 2" ]
`,
      )
      const r = await runGate(['check', 'dies', '--json'], {cwd: dir, timeoutMs: 60_000})
      expect(r.code, r.stderr).toBe(1)
      const results = JSON.parse(r.stdout) as Results
      const [load, after, unrelated] = results.targets

      // The load that was running when it died measured the refusals: a FAIL, with the errors by kind.
      expect(load?.status).toBe('FAIL')
      expect(JSON.stringify(load?.evidence)).toMatch(/refused|reset|socket/i)
      const death = new RegExp(
        String.raw`service web exited with code 3 while the gate was running; its last log lines:\n(.|\n)*out of ` +
          String.raw`memory \(simulated\): giving up`,
      )
      expect(after?.status).toBe('NO_DATA')
      expect(after?.reason).toMatch(death)
      // A target that does not need the service is measured as usual.
      expect(unrelated?.status).not.toBe('NO_DATA')
      expect(results.warnings.some((warning) => death.test(warning) && warning.endsWith('(during target load)'))).toBe(
        true,
      )
      expect(alive(pidOf(pidFile))).toBe(false)
    },
    90_000,
  )
})

describe('interrupted runs', () => {
  const gate = (dir: string, readyLog: string) =>
    `version: 1
services:
  web:
    command: node ${path.join(SERVERS, 'hello.mjs')} ${path.join(dir, 'web.pid')}
    ready: { log: '${readyLog}', timeout: 60s }
targets:
  - id: first
    validator: command
    with: { run: "node -e \\"require('fs').writeFileSync('${path.join(dir, 'first.pid')}', String(process.pid)); ` +
    `setTimeout(() => {}, 1500)\\"", runs: 1, warmup: 0 }
    expect: [ "failures == 0" ]
  - id: second
    validator: command
    with: { run: "node -e \\"require('fs').writeFileSync('${path.join(dir, 'second.pid')}', String(process.pid)); ` +
    `setTimeout(() => {}, 60000)\\"", runs: 1, warmup: 0 }
    expect: [ "failures == 0" ]
`

  // Where the signal lands: while a service is still starting, in the first target, in the second.
  const stages = [
    {
      name: 'while the service is starting',
      readyLog: 'never printed',
      waitFor: 'web.pid',
      statuses: ['NO_DATA', 'NO_DATA'],
    },
    {
      name: 'during the first target',
      readyLog: 'listening on (?<url>http://\\S+)',
      waitFor: 'first.pid',
      statuses: ['NO_DATA', 'NO_DATA'],
    },
    {
      name: 'during the second target',
      readyLog: 'listening on (?<url>http://\\S+)',
      waitFor: 'second.pid',
      statuses: ['PASS', 'NO_DATA'],
    },
  ]
  // A closed terminal (SIGHUP) and Ctrl-\ (SIGQUIT) end a run like Ctrl-C: checked once the service runs and a target
  // measures.
  const signalled = [
    ...(['SIGINT', 'SIGTERM'] as const).flatMap((signal) => stages.map((stage) => ({signal, stage}))),
    ...(['SIGHUP', 'SIGQUIT'] as const).map((signal) => ({signal, stage: stages[1]!})),
  ]
  for (const {signal, stage} of signalled) {
    it(
      `${signal} ${stage.name}: exit 130, the partial results complete and marked interrupted, no process ` + `left`,
      async () => {
        const dir = project()
        writeFileSync(path.join(dir, 'gates', 'slow.yaml'), gate(dir, stage.readyLog))
        const {child, done} = startGate(['check', 'slow', '--progress', 'plain'], {cwd: dir, timeoutMs: 60_000})
        const watch = watchDescendants(child.pid!, 50)
        expect(await waitFor(hasPid(path.join(dir, stage.waitFor)))).toBe(true)
        child.kill(signal)
        const r = await done
        const seen = watch.stop()

        expect(r.code, r.stderr).toBe(130)
        expect(r.stderr).toContain(`${signal}: stopping the running target and the services`)
        const latest = readJson(path.join(dir, '.gate/latest.json')) as Results
        expect(latest.interrupted).toBe(true)
        expect(latest.targets.map((t) => t.status)).toEqual(stage.statuses)
        // The saved run is the same complete object under .gate/runs/ (beside it, the services' log).
        const runs = readdirSync(path.join(dir, '.gate/runs')).filter((file) => file.endsWith('.json'))
        expect(runs).toHaveLength(1)
        expect(readJson(path.join(dir, '.gate/runs', runs[0]!))).toEqual(latest)
        expect(seen.some(({cmdline}) => cmdline.includes('hello.mjs'))).toBe(true)
        expect(survivors(seen)).toEqual([])
      },
      90_000,
    )
  }

  it(
    'a second Ctrl-C while a service ignores SIGTERM kills it at once, saves what was measured and exits 130, ' +
      'leaving no process and no half-written file',
    async () => {
      const dir = project()
      const pidFile = path.join(dir, 'stubborn.pid')
      const workPid = path.join(dir, 'work.pid')
      writeFileSync(
        path.join(dir, 'gates', 'stubborn.yaml'),
        `version: 1
services:
  web:
    command: node ${path.join(SERVERS, 'stubborn.mjs')} ${pidFile}
    ready: { log: 'listening on (?<url>http://\\S+)' }
    stop_timeout: 60s
targets:
  - id: slow
    validator: command
    with: { run: "node -e \\"require('fs').writeFileSync('${workPid}', String(process.pid)); setTimeout(() => {}, ` +
          `60000)\\"", runs: 1, warmup: 0 }
    expect: [ "failures == 0" ]
`,
      )
      // --verbose: the service's own line, that it ignored SIGTERM, is what this test waits for.
      const {child, done} = startGate(['check', 'stubborn', '--progress', 'plain', '--verbose'], {
        cwd: dir,
        timeoutMs: 50_000,
      })
      const watch = watchDescendants(child.pid!, 50)
      let stderr = ''
      child.stderr!.on('data', (chunk) => (stderr += chunk))
      expect(await waitFor(hasPid(workPid))).toBe(true)
      child.kill('SIGINT')
      // The first Ctrl-C has reached the service, which ignores it: without a second, stopping would take 60 s.
      expect(await waitFor(() => stderr.includes('SIGTERM ignored'), 20_000)).toBe(true)
      child.kill('SIGINT')
      const r = await done
      const seen = watch.stop()

      expect(r.code, r.stderr).toBe(130)
      expect(r.stderr).toContain('SIGINT again: services killed, exiting without waiting.')
      expect(await waitFor(() => !alive(pidOf(pidFile)), 5000)).toBe(true)
      expect(survivors(seen)).toEqual([])
      // What was measured is saved whole and marked interrupted; no temp file is left beside it.
      const latest = readJson(path.join(dir, '.gate/latest.json')) as Results
      expect(latest.interrupted).toBe(true)
      expect(latest.targets.map((t) => [t.id, t.status])).toEqual([['slow', 'NO_DATA']])
      expect(latest.targets[0]?.reason).toMatch(/^interrupted/)
      expect(readdirSync(path.join(dir, '.gate/runs')).filter((f) => f.endsWith('.json'))).toHaveLength(1)
      const leftovers = existsSync(path.join(dir, '.gate'))
        ? readdirSync(path.join(dir, '.gate'), {recursive: true})
            .map(String)
            .filter((f) => f.endsWith('.tmp'))
        : []
      expect(leftovers).toEqual([])
    },
    60_000,
  )
})

describe('several runs of one project at once', () => {
  it('four `gate check` runs started together each keep their own results file and history row', async () => {
    const dir = quickProject()
    const runs = await Promise.all(
      Array.from({length: 4}, () => runGate(['check', 'quick', '--json'], {cwd: dir, timeoutMs: 60_000})),
    )
    for (const r of runs) expect(r.code, r.stderr).not.toBe(2)
    const printed = runs.map((r) => JSON.parse(r.stdout) as Results & {startedAt: string})

    // Four files, one per run, each the run it names; started in the same second, they still differ by name.
    const files = readdirSync(path.join(dir, '.gate/runs')).filter((f) => f.endsWith('.json'))
    const said = runs.map((r) => r.stderr).join('\n---\n')
    expect(files, said).toHaveLength(4)
    const saved = files.map((f) => readJson(path.join(dir, '.gate/runs', f)))
    // Each file holds the id of its name, and --json printed that id: a later run of the same second is <id>-2 …
    expect(saved.map((s) => s.id)).toEqual(files.map((file) => file.replace(/\.json$/, '')))
    expect(saved.map((s) => JSON.stringify(s)).sort()).toEqual(printed.map((p) => JSON.stringify(p)).sort())
    // latest.json is whole: one of the four, not a mix.
    expect(printed.map((p) => JSON.stringify(p))).toContain(
      JSON.stringify(readJson(path.join(dir, '.gate/latest.json'))),
    )

    const history = await runGate(['history', 'quick', '--json'], {cwd: dir})
    expect(history.code, history.stderr).toBe(0)
    const recorded = (JSON.parse(history.stdout) as {rows: Array<{run: string}>}).rows.map((row) => row.run)
    expect(recorded.sort(), said).toEqual(files.map((file) => file.replace(/\.json$/, '')).sort())
  }, 90_000)
})

describe('damaged results files', () => {
  it(
    '`gate report` and `gate baseline save --from` name a corrupted results file, exit 2, and leave it as it ' + 'was',
    async () => {
      const dir = quickProject()
      expect((await runGate(['check', 'quick', '--json'], {cwd: dir})).code).not.toBe(2)
      const [file] = readdirSync(path.join(dir, '.gate/runs'))
      // cut off mid-write by something else
      const damaged = `${readFileSync(path.join(dir, '.gate/runs', file!), 'utf8').slice(0, 300)}`
      for (const target of [path.join(dir, '.gate/runs', file!), path.join(dir, '.gate/latest.json')])
        writeFileSync(target, damaged)

      for (const args of [
        ['report'],
        ['report', file!.replace(/\.json$/, '')],
        ['baseline', 'save', 'quick', '--from', `.gate/runs/${file}`],
      ]) {
        const r = await runGate(args, {cwd: dir})
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(2)
        expect(r.stderr).toMatch(/\.gate\/(runs\/quick-\d{8}T\d{6}Z\.json|latest\.json)/)
        expect(r.stderr).not.toMatch(/\n\s+at /)
      }
      expect(readFileSync(path.join(dir, '.gate/runs', file!), 'utf8')).toBe(damaged)
      expect(readFileSync(path.join(dir, '.gate/latest.json'), 'utf8')).toBe(damaged)
    },
    60_000,
  )
})

describe('damaged state under .gate', () => {
  it(
    '`gate merge latest` on a corrupted latest.json, or one whose id leads outside .gate/runs, exits 2 naming the ' +
      'file and reads nothing else',
    async () => {
      const dir = quickProject()
      writeFileSync(path.join(dir, 'outside.evidence.json'), '{"version": 1, "targets": [], "gate": {"sha256": "x"}}')
      mkdirSync(path.join(dir, '.gate'))
      for (const latest of ['{"id": "quick-20261206T000000Z", ', '{"id": "../../outside"}', '{"id": 7}']) {
        writeFileSync(path.join(dir, '.gate/latest.json'), latest)
        const r = await runGate(['merge', 'latest'], {cwd: dir})
        expect(r.code, `${latest}: ${r.stderr}`).toBe(2)
        expect(r.stderr).toMatch(/^\.gate\/latest\.json (cannot be read as JSON|names no run in \.gate\/runs)/)
        expect(r.stderr).toContain('name the run by its id or file instead of "latest"')
        expect(r.stderr).not.toMatch(/\n\s+at /)
      }
    },
  )

  it('`gate history` when .gate/history.db is a directory exits 2 naming it and what to do', async () => {
    const dir = quickProject()
    mkdirSync(path.join(dir, '.gate/history.db'), {recursive: true})
    const r = await runGate(['history', 'quick'], {cwd: dir})
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain('.gate/history.db is not a file: move it aside')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it(
    'a target, default or readiness timeout of 0 is a configuration error (exit 2), not a run of ' + 'NO_DATA',
    async () => {
      const dir = quickProject()
      const gates = {
        target:
          'targets:\n  - { id: t, validator: command, timeout: 0, with: { run: "true", runs: 1 }, expect: [ ' +
          '"failures ' +
          '== 0" ] }',
        defaults:
          'defaults: { timeout: 0s }\ntargets:\n  - { id: t, validator: command, with: { run: "true", runs: 1 }, ' +
          'expect: [ "failures == 0" ] }',
        ready:
          'services:\n  web: { command: "sleep 5", ready: { log: "x", timeout: 0ms } }\ntargets:\n  - { id: t, ' +
          'validator: command, with: { run: "true", runs: 1 }, expect: [ "failures == 0" ] }',
      }
      for (const [name, body] of Object.entries(gates)) {
        writeFileSync(path.join(dir, 'gates', `${name}.yaml`), `version: 1\n${body}\n`)
        const r = await runGate(['check', name], {cwd: dir})
        expect(r.code, `${name}: ${r.stderr}`).toBe(2)
        expect(r.stderr).toMatch(
          new RegExp(`gates/${name}\\.yaml:\\d+:\\d+: "timeout" must be a duration like 30s, 2m or 500ms, above 0`),
        )
        expect(r.stdout).toBe('')
      }
    },
  )
})
