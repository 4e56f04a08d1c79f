import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {mergeRuns} from '../../src/run/merge.js'
import type {RunEvidence} from '../../src/results/types.js'
import {validateResults} from '../../src/results/validate.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-merge-narrative-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

/** Shard `index` of 2 of a one-target gate whose file gives the target a narrative and the gate next_phase. */
function shard(index: number): string {
  const evidence: RunEvidence = {
    finishedAt: '2026-12-06T09:00:10.000Z',
    gate: {file: 'gates/g.yaml', name: 'g', nextPhase: ['measure it on staging'], sha256: '0'.repeat(64), title: 'G'},
    interrupted: false,
    run: `g-${index}`,
    settings: {confidence: 0.95, minConsensus: 0.85, resamples: 200, seed: 1},
    shard: {count: 2, index},
    startedAt: '2026-12-06T09:00:00.000Z',
    targets: [
      {
        collected: {
          evidence: {kind: 'measured', metrics: {v: {dimension: 'count', type: 'value', value: 1}}, source: 's'},
        },
        expectations: ['v < 10'],
        id: 'api',
        level: 'error',
        narrative: {owner: 'api team', risk: {impact: 'high', likelihood: 'low', mitigation: 'roll back'}},
        required: true,
        title: 'API',
        validator: 'test',
        weight: 1,
      },
    ],
    version: 1,
    warnings: [],
  }
  const file = path.join(dir, `g-${index}.evidence.json`)
  writeFileSync(file, JSON.stringify(evidence))
  return file
}

describe('gate merge', () => {
  it("keeps the gate file's narrative and next_phase, so the merged run's reports show them", async () => {
    const {results} = await mergeRuns({cwd: dir, env: {}, runs: [shard(1), shard(2)], toolVersion: '0.0.0'})
    expect(results.gate.nextPhase).toEqual(['measure it on staging'])
    expect(results.targets[0]!.narrative).toEqual({
      owner: 'api team',
      risk: {impact: 'high', likelihood: 'low', mitigation: 'roll back'},
    })
    expect(() => validateResults(JSON.parse(JSON.stringify(results)))).not.toThrow()
  })
})
