// The history under several writers at once and under a writer killed mid-transaction (real processes, the built
// dist/).
import Database from 'better-sqlite3'
import {type ChildProcess, spawn} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {historyFile} from '../../../src/history/index.js'
import {latencies, makeRun} from '../../unit/history/fixtures.js'
import {ROOT, waitFor} from '../helpers.js'

const RECORDER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'recorder.mjs')
const DIST_HISTORY = path.join(ROOT, 'dist', 'history', 'index.js')

// Each run: 2 targets, 4 metrics, 4 expectations; 20,000 latency samples so a write takes long enough to be cut.
const {collected, results} = makeRun({latency: latencies(20_000, 90, 'concurrency')})
const TARGETS = results.targets.length
const METRICS = results.targets.reduce((sum, target) => sum + (target.evidence?.metrics.length ?? 0), 0)

let dir: string
let fixture: string
const children = new Set<ChildProcess>()

beforeAll(() => {
  if (!existsSync(DIST_HISTORY)) throw new Error(`${DIST_HISTORY} is missing: run \`npx tsc -b\` first`)
  dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-history-it-'))
  fixture = path.join(dir, 'run.json')
  writeFileSync(fixture, JSON.stringify({collected, results}))
})

afterAll(() => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
  rmSync(dir, {force: true, recursive: true})
})

/** Starts a recorder; `committed` lists the ids it has printed so far. */
function startRecorder(
  cwd: string,
  label: string,
  count: number,
  mode: 'keep' | 'reopen',
): {child: ChildProcess; committed: string[]; done: Promise<{code: number | null; stderr: string}>} {
  const child = spawn(process.execPath, [RECORDER, DIST_HISTORY, cwd, fixture, label, String(count), mode], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  const committed: string[] = []
  let stdout = ''
  let stderr = ''
  child.stdout!.on('data', (chunk) => {
    stdout += chunk
    const lines = stdout.split('\n')
    stdout = lines.pop()!
    for (const line of lines) committed.push(line.replace(/^committed /, ''))
  })
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const done = new Promise<{code: number | null; stderr: string}>((resolve) =>
    child.on('close', (code) => resolve({code, stderr})),
  )
  return {child, committed, done}
}

/** Integrity, and every run complete: each run row has all its targets and metrics, and no metric lacks its run. */
function checkHistory(cwd: string): {runs: Map<string, {targets: number; metrics: number}>} {
  const db = new Database(historyFile(cwd), {readonly: true})
  try {
    expect(db.pragma('integrity_check', {simple: true})).toBe('ok')
    expect(db.pragma('foreign_key_check')).toEqual([])
    const rows = db
      .prepare(
        'SELECT r.id, (SELECT count(*) FROM targets t WHERE t.run_id = r.id) AS targets, (SELECT count(*) FROM ' +
          'metrics m WHERE m.run_id = r.id) AS metrics FROM runs r',
      )
      .all() as Array<{id: string; targets: number; metrics: number}>
    for (const row of rows) expect(row, `run ${row.id} is partial`).toMatchObject({metrics: METRICS, targets: TARGETS})
    expect(
      (db.prepare('SELECT count(*) AS n FROM metrics WHERE run_id NOT IN (SELECT id FROM runs)').get() as {n: number})
        .n,
    ).toBe(0)
    return {runs: new Map(rows.map((row) => [row.id, row]))}
  } finally {
    db.close()
  }
}

describe('the history under concurrent writers', () => {
  it('keeps every run of three processes recording into a new history at the same time', async () => {
    const cwd = mkdtempSync(path.join(dir, 'shared-'))
    const writers = ['a', 'b', 'c'].map((label) => startRecorder(cwd, label, 8, 'reopen'))
    const outcomes = await Promise.all(writers.map((writer) => writer.done))
    for (const outcome of outcomes) expect(outcome).toEqual({code: 0, stderr: ''})
    const {runs} = checkHistory(cwd)
    const expected = ['a', 'b', 'c'].flatMap((label) => Array.from({length: 8}, (_, i) => `${label}-${i}`))
    expect([...runs.keys()].sort()).toEqual(expected.sort())
  })
})

describe('the history when a writer is killed mid-write', () => {
  it('opens with integrity ok, every reported run complete and no partial run, over several kills', async () => {
    const cwd = mkdtempSync(path.join(dir, 'killed-'))
    const reported = new Set<string>()
    for (let round = 0; round < 6; round++) {
      // One connection: kills land inside a run's transaction; reopening: also inside the checkpoint at close.
      const writer = startRecorder(cwd, `round${round}`, 200, round % 2 === 0 ? 'keep' : 'reopen')
      // Kill at a random moment after the first commit.
      expect(await waitFor(() => writer.committed.length > 0, 30_000, 5)).toBe(true)
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 400))
      writer.child.kill('SIGKILL')
      await writer.done
      for (const id of writer.committed) reported.add(id)
      const {runs} = checkHistory(cwd)
      for (const id of reported) expect(runs.has(id), `run ${id} was reported committed`).toBe(true)
    }
  })
})
