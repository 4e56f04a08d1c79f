// Baselines that pin a set of runs (`gate baseline save --runs N`) and baselines that travel between histories
// (`gate baseline export` → `gate baseline import` / `gate check --baseline-file`): real histories in temp folders.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {UserError} from '../../../src/errors.js'
import {
  baselineJson,
  baselinesFor,
  exportBaseline,
  type History,
  importBaseline,
  openHistory,
  readBaselineFile,
  saveBaseline,
} from '../../../src/history/index.js'
import {makeRun, minutesAfter} from './fixtures.js'

const T0 = '2026-11-23T10:00:00.000Z'
const GATE = {name: 'shop', targets: [{id: 'api'}, {id: 'claim'}]}

let dirs: string[] = []
let cwd: string
let history: History
const project = () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-transfer-'))
  dirs.push(dir)
  return dir
}
beforeEach(() => {
  cwd = project()
  history = openHistory(cwd)
})
afterEach(() => {
  history.close()
  for (const dir of dirs) rmSync(dir, {force: true, recursive: true})
  dirs = []
})

function recordAt(minutes: number, shape: Parameters<typeof makeRun>[0] = {}): string {
  const {collected, results} = makeRun({startedAt: minutesAfter(T0, minutes), ...shape})
  return history.record(results, collected)
}

function message(run: () => unknown): string {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(UserError)
    return (error as Error).message
  }

  throw new Error('expected a UserError')
}

describe('a baseline that pins a set of runs', () => {
  it('pins the last N complete runs (of a branch), newest first, and gives each target every pinned run', () => {
    const ids = [0, 1, 2, 3].map((i) => recordAt(i, {latencyMs: 100 + i}))
    recordAt(4, {interrupted: true})
    recordAt(5, {branch: 'dev'})
    const saved = saveBaseline(history, cwd, 'shop', {branch: 'main', runs: 3})
    expect(saved.baseline).toMatchObject({run: ids[3], runs: [ids[3], ids[2], ids[1]]})
    expect(saved.warnings).toEqual([])
    const api = baselinesFor(GATE, cwd).get('api') as {run: string; runs: Array<{run: string; metrics: object}>}
    expect(api.run).toBe(ids[3])
    expect(api.runs.map((pinned) => pinned.run)).toEqual([ids[3], ids[2], ids[1]])
    expect(api.runs[2]!.metrics).toEqual(history.baseline('shop', 'main')!.pinned[2]!.targets.api!.metrics)
    // `baseline show --json` names the set's runs and counts the newest's samples, never lists them all.
    const shown = baselineJson(history.baseline('shop', 'main')!) as Record<string, unknown>
    expect(shown).toMatchObject({runs: [ids[3], ids[2], ids[1]], set: true})
    expect(shown).not.toHaveProperty('pinned')

    // Pinning one run again drops the set: a single run is compared by its samples, with no `runs`.
    saveBaseline(history, cwd, 'shop', {from: ids[0]!})
    expect(history.baseline('shop', 'main')!.runs).toEqual([ids[0]])
    expect(baselinesFor(GATE, cwd).get('api')).not.toHaveProperty('runs')
  })

  it('pins what there is when fewer runs than asked are recorded, and says so', () => {
    const only = recordAt(0)
    const saved = saveBaseline(history, cwd, 'shop', {runs: 5})
    expect(saved.baseline.runs).toEqual([only])
    expect(saved.warnings[0]).toMatch(/only 1 complete run of shop recorded, 5 asked/)
    // Still a set: its one run has no spread, so relative expectations say how many more to pin.
    expect(saved.baseline.set).toBe(true)
    expect((baselinesFor(GATE, cwd).get('api') as {runs: unknown[]}).runs).toHaveLength(1)
    expect(message(() => saveBaseline(history, cwd, 'shop', {branch: 'nope', runs: 3}))).toMatch(
      /no complete run of shop on branch nope/,
    )
  })
})

describe('baseline files', () => {
  it('carry every pinned run with its kept samples into another history, once, under the same or another name', () => {
    const ids = [0, 1, 2].map((i) => recordAt(i, {latencyMs: 100 + 10 * i}))
    history.saveBaseline('shop', 'main', ids)
    const file = JSON.parse(JSON.stringify(exportBaseline(history, 'shop', 'main')))
    expect(file).toMatchObject({gate: 'shop', kind: 'phasegate-baseline', name: 'main', set: true, version: 1})
    expect(file.runs).toHaveLength(3)

    const elsewhere = openHistory(project())
    try {
      const pinned = importBaseline(elsewhere, file)
      expect(pinned).toMatchObject({name: 'main', run: ids[2], runs: [ids[2], ids[1], ids[0]]})
      expect(importBaseline(elsewhere, file, {name: 'from-ci'}).runs).toEqual(pinned.runs)
      expect(elsewhere.runs('shop')).toHaveLength(3)
      const there = elsewhere.baseline('shop', 'from-ci')!
      const here = history.baseline('shop', 'main')!
      expect(there.pinned.map((run) => run.targets)).toEqual(here.pinned.map((run) => run.targets))
      expect(there.targets.api!.metrics.latency!.evidence).toMatchObject({type: 'samples'})
    } finally {
      elsewhere.close()
    }
  })

  it('serve `--baseline-file` as the history would, and a missing file leaves the step to take', () => {
    const ids = [0, 1, 2].map((i) => recordAt(i))
    history.saveBaseline('shop', 'main', ids)
    const fileDir = project()
    const file = path.join(fileDir, 'shop.json')
    writeFileSync(file, JSON.stringify(exportBaseline(history, 'shop', 'main')))
    const fromFile = baselinesFor(GATE, fileDir, 'ignored', 'shop.json').get('api') as {runs: unknown[]}
    const fromHistory = baselinesFor(GATE, cwd).get('api') as {runs: unknown[]}
    expect(fromFile.runs).toEqual(fromHistory.runs)
    expect(baselinesFor(GATE, fileDir, 'main', 'none.json').get('api')).toEqual({
      missing: expect.stringMatching(/^no baseline file at none\.json: .*gate baseline export GATE > none\.json/),
    })
    expect(baselinesFor({...GATE, name: 'other'}, fileDir, 'main', 'shop.json').get('api')).toEqual({
      missing: expect.stringContaining('holds a baseline of gate "shop", not "other"'),
    })
  })

  it('refuse what is not a baseline file, naming the file and the field', () => {
    const dir = project()
    const write = (content: unknown) => {
      writeFileSync(path.join(dir, 'b.json'), typeof content === 'string' ? content : JSON.stringify(content))
      return message(() => readBaselineFile('b.json', dir))
    }
    expect(write('{not json')).toMatch(/^b\.json cannot be read as a baseline file: /)
    expect(write({kind: 'other'})).toMatch(/^b\.json: not a phasegate baseline file/)
    expect(write({kind: 'phasegate-baseline', version: 9})).toMatch(/version 9; this phasegate reads version 1/)
    const good = {gate: 'shop', kind: 'phasegate-baseline', name: 'main', savedAt: T0, set: true, version: 1}
    expect(write({...good, set: 'yes'})).toMatch(/"set" must be true or false/)
    expect(write({...good, runs: []})).toMatch(/"runs" must list at least one run/)
    const run = {finished_at: T0, gate: 'other', gate_sha256: 'a', id: 'x', started_at: T0}
    expect(write({...good, runs: [{metrics: [], run, targets: []}]})).toMatch(
      /runs\[0\] is a run of gate "other", not "shop"/,
    )
    expect(message(() => exportBaseline(history, 'shop', 'main'))).toMatch(/no baseline "main" saved for gate shop/)
  })
})
