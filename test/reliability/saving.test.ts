// A run that is decided but cannot be saved, through the real CLI: the report still reaches stdout, the message names
// the file
// and what to do, and the exit code says "not saved" (4) rather than BLOCK (1), whatever the decision was.
import {existsSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {makeProject, runGate} from '../integration/helpers.js'

const projects: Array<{cleanup(): void}> = []
afterAll(() => projects.forEach((project) => project.cleanup()))

/** A project whose gates/quick.yaml decides PROCEED at once: one run of `true`. */
function quickProject(): string {
  const made = makeProject({
    quick:
      'version: 1\ntargets:\n  - { id: runs, validator: command, with: { run: "true", runs: 1, warmup: 0 }, expect: ' +
      '[ "failures == 0" ] }\n',
  })
  projects.push(made)
  return made.dir
}

describe('a decided run that cannot be saved', () => {
  it('.gate is a file: exit 4, the report on stdout, the results path named with what to do', async () => {
    const dir = quickProject()
    writeFileSync(path.join(dir, '.gate'), 'not a directory')
    const r = await runGate(['check', 'quick'], {cwd: dir, timeoutMs: 30_000})
    expect(r.code, r.stderr).toBe(4)
    expect(r.stdout).toContain('PROCEED')
    expect(r.stderr).toMatch(/error: could not write the results to \.gate[/\\]runs[/\\]quick-\S+\.json: /)
    expect(r.stderr).toContain('not saved (exit 4): free space or make that directory writable')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('--json still prints the results object when they cannot be saved', async () => {
    const dir = quickProject()
    writeFileSync(path.join(dir, '.gate'), 'not a directory')
    const r = await runGate(['check', 'quick', '--json'], {cwd: dir, timeoutMs: 30_000})
    expect(r.code, r.stderr).toBe(4)
    expect(JSON.parse(r.stdout).decision.outcome).toBe('PROCEED')
  })

  it(
    '--out onto a file: exit 4, the terminal summary printed, the run itself saved, the report path ' + 'named',
    async () => {
      const dir = quickProject()
      writeFileSync(path.join(dir, 'report'), 'a file, not a directory')
      const r = await runGate(['check', 'quick', '--out', 'report', '--format', 'md'], {cwd: dir, timeoutMs: 30_000})
      expect(r.code, r.stderr).toBe(4)
      expect(r.stdout).toContain('PROCEED')
      expect(r.stderr).toMatch(/error: could not write the md report to report[/\\]\S+\.md: .*or pass another --out/)
      expect(existsSync(path.join(dir, '.gate/latest.json'))).toBe(true)
    },
  )

  it.runIf(process.platform === 'linux')(
    '--out /proc/nope ends (no endless mkdir) with exit 4 and the path named',
    async () => {
      const dir = quickProject()
      const r = await runGate(['check', 'quick', '--out', '/proc/nope', '--format', 'md'], {
        cwd: dir,
        timeoutMs: 30_000,
      })
      expect(r.signal, 'the CLI spun until it was killed').toBeNull()
      expect(r.code, r.stderr).toBe(4)
      expect(r.stderr).toContain('could not write the md report to /proc/nope/')
    },
  )
})
