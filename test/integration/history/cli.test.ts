// `gate check` records into .gate/history.db; `gate history` and `gate baseline save|show` read it (the built CLI, a
// tiny gate).
import {copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {exitCodeFor} from '../../../src/exit-codes.js'
import {makeProject, readJson, runGate, startGate, waitFor} from '../helpers.js'

const GATE = `version: 1
title: Tiny
targets:
  - id: start
    title: node starts
    validator: command
    with: { run: "node -e 0", runs: 3, warmup: 0 }
    expect: [ "max(duration) < 1h", "failures == 0" ]
    required: true
  - id: vendor
    title: vendor claim
    validator: claim
    with: { metric: cold_start, value: 850ms, source: "vendor report" }
    expect: [ "cold_start < 1s" ]
`

const SLOW = `version: 1
title: Slow
targets:
  - id: sleep
    title: sleeps
    validator: command
    with: { run: "node -e \\"setTimeout(() => {}, 20000)\\"", runs: 1, warmup: 0 }
    expect: [ "failures == 0" ]
`

const projects: Array<{cleanup(): void}> = []
function project(): string {
  const made = makeProject({slow: SLOW, tiny: GATE})
  projects.push(made)
  return made.dir
}

afterAll(() => {
  for (const made of projects) made.cleanup()
})

describe('history and baselines through the CLI', () => {
  let dir: string
  const runs: string[] = []
  beforeAll(async () => {
    dir = project()
    for (let i = 0; i < 2; i++) {
      const r = await runGate(['check', 'tiny', '--json'], {cwd: dir})
      expect(r.stderr).not.toMatch(/warning/)
      runs.push(JSON.parse(r.stdout).id)
    }
  })

  it('`gate history` shows both runs of `gate check`, oldest first, with a trend row', async () => {
    const r = await runGate(['history', 'tiny'], {cwd: dir})
    expect(r.code).toBe(0)
    const lines = r.stdout.split('\n')
    expect(lines[0]).toMatch(/^started \(UTC\) +commit +branch +outcome +consensus +start +vendor +run$/)
    expect(lines[1]).toMatch(new RegExp(`PASS 1\\.000 .*${runs[0]}$`))
    expect(lines[2]).toMatch(new RegExp(`${runs[1]}$`))
    expect(lines[3]).toMatch(/^trend +[▁▄█]{2} +[▁▄█]{2}/)
    expect(r.stdout).toMatch(/2 runs of tiny, oldest first/)

    const json = JSON.parse((await runGate(['history', 'tiny', '--target', 'start', '--json'], {cwd: dir})).stdout)
    expect(json.rows.map((row: {run: string}) => row.run)).toEqual(runs)
    expect(json.columns.map((column: {label: string}) => column.label)).toEqual(
      expect.arrayContaining(['p95(duration)', 'failures']),
    )
    expect(json.rows[0].cells['start/duration'].value).toBeGreaterThan(0)
  })

  it('`gate baseline save` pins the latest run and `gate baseline show` shows what it pinned', async () => {
    const saved = await runGate(['baseline', 'save', 'tiny'], {cwd: dir})
    expect(saved.code).toBe(0)
    expect(saved.stdout).toMatch(new RegExp(`^pinned baseline "main" of gate tiny: run ${runs[1]} \\(`))
    expect(saved.stdout).toMatch(/2 targets, \d+ metrics, \d+ with kept samples/)

    const again = await runGate(['baseline', 'save', 'tiny', '--from', runs[0]!, '--name', 'first'], {cwd: dir})
    expect(again.code).toBe(0)

    const list = await runGate(['baseline', 'show'], {cwd: dir})
    expect(list.stdout).toMatch(new RegExp(`^tiny +first +${runs[0]} `, 'm'))
    expect(list.stdout).toMatch(new RegExp(`^tiny +main +${runs[1]} `, 'm'))

    const one = await runGate(['baseline', 'show', 'tiny'], {cwd: dir})
    expect(one.code).toBe(0)
    expect(one.stdout).toMatch(new RegExp(`^baseline "main" of gate tiny: run ${runs[1]}`))
    expect(one.stdout).toMatch(/^start +PASS +duration +samples +3 +p50 .* 3 samples kept$/m)
    expect(one.stdout).toMatch(/^vendor +\S+ +cold_start +value +1 +850 ms$/m)

    const json = JSON.parse((await runGate(['baseline', 'show', 'tiny', '--json'], {cwd: dir})).stdout)
    expect(json).toMatchObject({name: 'main', run: runs[1], targets: {start: {metrics: {duration: {samplesKept: 3}}}}})

    const missing = await runGate(['baseline', 'show', 'tiny', '--name', 'nope'], {cwd: dir})
    expect(missing.code).toBe(2)
    expect(missing.stderr).toMatch(
      /no baseline "nope" saved for gate tiny in \.gate\/history\.db \(saved: first, main\)/,
    )
  })

  it('`gate baseline save --from FILE` imports a results file from elsewhere, with summaries only', async () => {
    const elsewhere = project()
    const artifact = path.join(elsewhere, 'artifacts', 'tiny.json')
    mkdirSync(path.dirname(artifact))
    copyFileSync(path.join(dir, '.gate', 'runs', `${runs[0]}.json`), artifact)
    const r = await runGate(['baseline', 'save', 'tiny', '--from', 'artifacts/tiny.json'], {cwd: elsewhere})
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`run ${runs[0]} `))
    expect(r.stdout).toMatch(
      new RegExp(
        String.raw`imported from artifacts\/tiny\.json: summaries only — relative checks on sample metrics will ` +
          String.raw`use summary values only`,
      ),
    )
    expect((await runGate(['history', 'tiny'], {cwd: elsewhere})).stdout).toMatch(
      new RegExp(`${runs[0]} \\(from file\\)$`, 'm'),
    )
    const shown = await runGate(['baseline', 'show', 'tiny'], {cwd: elsewhere})
    expect(shown.stdout).toMatch(/imported from a results file: summaries only/)
    expect(shown.stdout).toMatch(/^start +PASS +duration +samples +3 +p50 .* summary only$/m)

    const wrongGate = await runGate(['baseline', 'save', 'slow', '--from', 'artifacts/tiny.json'], {cwd: elsewhere})
    expect(wrongGate.code).toBe(2)
    expect(wrongGate.stderr).toMatch(/artifacts\/tiny\.json is a run of gate "tiny", not "slow"/)
  })
})

describe('an empty, damaged or interrupted history', () => {
  it('says how to start a history when there is none (exit 0), and a baseline needs a run (exit 2)', async () => {
    const dir = project()
    const r = await runGate(['history', 'tiny'], {cwd: dir})
    expect(r).toMatchObject({code: 0, stdout: ''})
    expect(r.stderr).toBe('no runs recorded for tiny in .gate/history.db: run `gate check tiny` first.\n')
    const saved = await runGate(['baseline', 'save', 'tiny'], {cwd: dir})
    expect(saved.code).toBe(2)
    expect(saved.stderr).toMatch(
      new RegExp(
        String.raw`no runs recorded for tiny in \.gate\/history\.db: run ` +
          '`gate check tiny` first, or pin a results file with --from FILE',
      ),
    )
    expect(existsSync(path.join(dir, '.gate'))).toBe(false)
  })

  it(
    'a damaged history.db: `gate history` exits 2 naming it; `gate check` still saves its results and ' + 'warns',
    async () => {
      const dir = project()
      mkdirSync(path.join(dir, '.gate'))
      writeFileSync(path.join(dir, '.gate', 'history.db'), 'not a database')
      const history = await runGate(['history', 'tiny'], {cwd: dir})
      expect(history.code).toBe(2)
      expect(history.stderr).toMatch(/^\.gate\/history\.db is damaged or not a database .*move it aside/)

      const check = await runGate(['check', 'tiny'], {cwd: dir})
      const saved = readdirSync(path.join(dir, '.gate', 'runs'))
      expect(saved).toHaveLength(1)
      // The run decided as usual: its exit code is its decision's.
      expect(check.code).toBe(exitCodeFor(readJson(path.join(dir, '.gate', 'runs', saved[0]!)).decision.outcome))
      const warnings = check.stderr.split('\n').filter((line) => line.startsWith('warning:'))
      expect(warnings).toEqual([
        expect.stringMatching(
          new RegExp(
            String.raw`^warning: run tiny-\S+ was not recorded in the history \(its results file is saved\): ` +
              String.raw`\.gate\/history\.db is damaged`,
          ),
        ),
      ])
    },
  )

  it('records an interrupted run as interrupted, and refuses it as a baseline', async () => {
    const dir = project()
    const started = startGate(['check', 'slow'], {cwd: dir})
    let stderr = ''
    started.child.stderr!.on('data', (chunk) => (stderr += chunk))
    try {
      expect(await waitFor(() => stderr.includes('[1/1] sleep'), 30_000)).toBe(true)
      started.child.kill('SIGINT')
      expect((await started.done).code).toBe(130)
    } finally {
      if (started.child.exitCode === null && started.child.signalCode === null) started.child.kill('SIGKILL')
    }

    const json = JSON.parse((await runGate(['history', 'slow', '--json'], {cwd: dir})).stdout)
    expect(json.rows).toHaveLength(1)
    expect(json.rows[0]).toMatchObject({interrupted: true})
    const saved = await runGate(['baseline', 'save', 'slow'], {cwd: dir})
    expect(saved.code).toBe(2)
    expect(saved.stderr).toMatch(/was interrupted, so it measured only part of the gate/)
  })
})

describe('help', () => {
  it.each(['history', 'baseline save', 'baseline show'])('`gate %s --help` has examples', async (id) => {
    const r = await runGate([...id.split(' '), '--help'], {cwd: process.cwd()})
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`\\$ gate ${id} `))
  })
})
