// Saving a run: a second run of the same id (two runs started in the same second) gets a name of its own, and the id
// inside each file is the id of its name, as --json, the history and `gate report ID` give it.
import {mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'

import {loadResults, saveResults} from '../../../src/results/store.js'
import {makeRun} from '../history/fixtures.js'

let cwd: string
beforeEach(() => {
  cwd = mkdtempSync(path.join(os.tmpdir(), 'phasegate-store-'))
})
afterEach(() => rmSync(cwd, {force: true, recursive: true}))

describe('saveResults', () => {
  it('saves runs of one id as <id>.json, <id>-2.json, <id>-3.json, each holding the id of its name', () => {
    const {results} = makeRun()
    const saved = [1, 2, 3].map(() => saveResults(results, cwd))
    const ids = [results.id, `${results.id}-2`, `${results.id}-3`]
    expect(saved.map((s) => s.results.id)).toEqual(ids)
    expect(saved.map((s) => path.basename(s.file))).toEqual(ids.map((id) => `${id}.json`))
    for (const [i, id] of ids.entries()) {
      expect(JSON.parse(readFileSync(saved[i]!.file, 'utf8')).id).toBe(id)
      expect(loadResults(id, cwd).results.id).toBe(id)
    }
    // latest.json is the last run saved; the run passed in is left as it was.
    expect(JSON.parse(readFileSync(path.join(cwd, '.gate', 'latest.json'), 'utf8')).id).toBe(ids[2])
    expect(results.id).toBe(ids[0])
    expect(readdirSync(path.join(cwd, '.gate', 'runs')).filter((file) => file.endsWith('.tmp'))).toEqual([])
  })
})
