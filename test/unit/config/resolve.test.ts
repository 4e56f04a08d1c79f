import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {listGates} from '../../../src/config/list.js'
import {resolveGateFile} from '../../../src/config/load.js'
import {UserError} from '../../../src/errors.js'
import {FIXTURES, REPO, VALID} from './helpers.js'

const fixtures = path.join(REPO, 'test/fixtures')

function thrown(action: () => unknown): UserError {
  try {
    action()
  } catch (error) {
    if (error instanceof UserError) return error
    throw error
  }

  throw new Error('expected a UserError')
}

describe('resolveGateFile', () => {
  it('finds a gate by name in gates/, as .yaml or .yml', () => {
    expect(resolveGateFile('phase-2', fixtures)).toBe(path.join(fixtures, 'gates/phase-2.yaml'))
    expect(resolveGateFile('minimal', fixtures)).toBe(path.join(fixtures, 'gates/minimal.yml'))
  })

  it('reads anything with a slash or a YAML extension as a path from cwd', () => {
    expect(resolveGateFile(`${FIXTURES}/typo.yaml`, REPO)).toBe(path.join(REPO, FIXTURES, 'typo.yaml'))
    expect(resolveGateFile('phase-2.yaml', path.join(fixtures, 'gates'))).toBe(
      path.join(fixtures, 'gates/phase-2.yaml'),
    )
    expect(resolveGateFile(path.join(fixtures, 'gates/minimal.yml'), '/')).toBe(
      path.join(fixtures, 'gates/minimal.yml'),
    )
  })

  it('lists the gates and suggests the nearest name when a name is not found', () => {
    const error = thrown(() => resolveGateFile('phase2', fixtures))
    expect(error.message).toBe('no gate named "phase2" in gates/')
    expect(error.issues).toEqual([{hint: 'did you mean "phase-2"?', message: 'available: minimal, phase-2, typo'}])
    expect(thrown(() => resolveGateFile('release', fixtures)).issues).toEqual([
      {message: 'available: minimal, phase-2, typo'},
    ])
  })

  it('suggests the nearest file when a path is not found', () => {
    const error = thrown(() => resolveGateFile(`${FIXTURES}/phase-3.yaml`, REPO))
    expect(error.message).toBe(`gate file ${FIXTURES}/phase-3.yaml not found`)
    expect(error.issues[0]?.hint).toBe('did you mean "phase-2.yaml"?')
  })

  it("falls back to phasegate's own gate for a bundled name only, and a project's gate of that name wins", () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'phasegate-'))
    expect(resolveGateFile('smoke', empty)).toBe(path.join(REPO, 'gates', 'smoke.yaml'))
    expect(thrown(() => resolveGateFile('phase-2', empty)).message).toBe('no gate named "phase-2" in gates/')
    mkdirSync(path.join(empty, 'gates'))
    writeFileSync(path.join(empty, 'gates', 'smoke.yml'), 'version: 1\n')
    expect(resolveGateFile('smoke', empty)).toBe(path.join(empty, 'gates', 'smoke.yml'))
  })

  it('says how to start when there is no gates/ folder', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'phasegate-'))
    const error = thrown(() => resolveGateFile('release', empty))
    expect(error.issues[0]?.message).toBe(`${path.join(empty, 'gates')} holds no .yaml gate files`)
    expect(error.issues[0]?.hint).toMatch(/write gates\/NAME\.yaml/)
  })
})

describe('listGates', () => {
  it('lists every gate with its title and target count, and a broken one with its first problem', () => {
    expect(listGates(fixtures, {})).toEqual([
      {file: 'gates/minimal.yml', name: 'minimal', targets: 1, title: 'minimal'},
      {
        file: 'gates/phase-2.yaml',
        name: 'phase-2',
        targets: 3,
        title: 'Phase 2 — fleet manager and advanced capabilities',
      },
      {
        error:
          'gates/typo.yaml:4:5: missing required key "expect" in targets[0] — Expectation(s) that must all hold, ' +
          'e.g. "p95(latency) < 100ms" or "error_rate < 1%".',
        file: 'gates/typo.yaml',
        name: 'typo',
        targets: 0,
        title: 'typo',
      },
    ])
  })

  it('lists nothing when there is no gates/ folder, and ignores other files', () => {
    const project = mkdtempSync(path.join(tmpdir(), 'phasegate-'))
    expect(listGates(project, {})).toEqual([])
    mkdirSync(path.join(project, 'gates'))
    writeFileSync(path.join(project, 'gates', 'notes.md'), '# not a gate\n')
    writeFileSync(path.join(project, 'gates', 'one.yaml'), VALID)
    expect(listGates(project, {}).map((gate) => gate.name)).toEqual(['one'])
  })
})
