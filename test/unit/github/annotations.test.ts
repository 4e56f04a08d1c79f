import {createHash} from 'node:crypto'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {targetAnnotations} from '../../../src/github/annotations.js'
import {conclusionFor} from '../../../src/github/check-run.js'
import type {RunResults} from '../../../src/results/types.js'
import {loadFixture} from '../report/helpers.js'
import {parseWorkflowCommand} from './runner-commands.js'

const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-annotations-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

/** The block-required-fail run, as if it had measured a gate file with these bytes. */
function runOf(gateText: string, sha = createHash('sha256').update(gateText).digest('hex')): RunResults {
  writeFileSync(path.join(dir, 'gate.yaml'), gateText)
  const results = structuredClone(loadFixture('block-required-fail')) as RunResults
  results.gate = {...results.gate, file: 'gate.yaml', sha256: sha}
  return results
}

const GATE = `version: 1
targets:
  - id: fleet-allocation
    validator: fleet
    with: {url: x}
    expect: [p95(allocation_latency) < 100ms]
`

describe('annotations', () => {
  it('one per target that did not pass, on the line where the target starts, relative to the workspace', () => {
    const results = runOf(GATE)
    const lines = targetAnnotations(results, {cwd: dir, workspace: path.dirname(dir)}).map(parseWorkflowCommand)
    const failing = results.targets.filter((t) => t.status !== 'PASS')
    expect(lines).toHaveLength(failing.length)
    expect(lines[0]).toMatchObject({
      command: 'error',
      properties: {
        file: `${path.basename(dir)}/gate.yaml`,
        line: '3',
        title: 'phasegate phase-2: fleet-allocation FAIL',
      },
    })
  })

  it('no line when the gate file changed since the run, or is gone; the file is still named', () => {
    const edited = runOf(GATE, 'f'.repeat(64))
    expect(targetAnnotations(edited, {cwd: dir}).map(parseWorkflowCommand)[0]!.properties).toEqual({
      file: 'gate.yaml',
      title: 'phasegate phase-2: fleet-allocation FAIL',
    })
    const gone = runOf(GATE)
    gone.gate.file = 'missing.yaml'
    expect(targetAnnotations(gone, {cwd: dir}).map(parseWorkflowCommand)[0]!.properties).toEqual({
      file: 'missing.yaml',
      title: 'phasegate phase-2: fleet-allocation FAIL',
    })
  })

  it('hostile titles stay on one line and read back as plain text', () => {
    const results = loadFixture('hostile')
    for (const line of targetAnnotations(results, {cwd: dir})) {
      expect(line).not.toMatch(/[\r\n\u001b]/)
      expect(parseWorkflowCommand(line).message).not.toMatch(/[\r\n]/)
    }
  })
})

describe('check run conclusion', () => {
  it('PROCEED → success, BLOCK → failure, INCONCLUSIVE → neutral, an interrupted run → cancelled', () => {
    expect(conclusionFor(loadFixture('proceed'))).toBe('success')
    expect(conclusionFor(loadFixture('block-required-fail'))).toBe('failure')
    expect(conclusionFor(loadFixture('inconclusive'))).toBe('neutral')
    expect(loadFixture('no-data').interrupted).toBe(true)
    expect(conclusionFor(loadFixture('no-data'))).toBe('cancelled')
  })
})
