import {execFileSync} from 'node:child_process'
import {copyFileSync, cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {ROOT, runGate} from './helpers.js'

const COMMANDS = ['check', 'comment', 'history', 'init', 'list', 'merge', 'report', 'schema', 'validate', 'validators']

describe('the command surface', () => {
  it('oclif.manifest.json is what `oclif manifest` generates from the current build', () => {
    const scratch = mkdtempSync(path.join(os.tmpdir(), 'phasegate-manifest-'))
    try {
      copyFileSync(path.join(ROOT, 'package.json'), path.join(scratch, 'package.json'))
      // A real copy: oclif records each command's path relative to the package, and a symlink would leak the real path.
      cpSync(path.join(ROOT, 'dist'), path.join(scratch, 'dist'), {recursive: true})
      symlinkSync(path.join(ROOT, 'node_modules'), path.join(scratch, 'node_modules'))
      execFileSync(path.join(ROOT, 'node_modules/.bin/oclif'), ['manifest'], {cwd: scratch, stdio: 'ignore'})
      const fresh = JSON.parse(readFileSync(path.join(scratch, 'oclif.manifest.json'), 'utf8'))
      const committed = JSON.parse(readFileSync(path.join(ROOT, 'oclif.manifest.json'), 'utf8'))
      expect(committed, 'oclif.manifest.json is stale: run `npm run build` and commit it').toEqual(fresh)
    } finally {
      rmSync(scratch, {force: true, recursive: true})
    }
  })

  it('`gate --help` lists every command, with examples and the exit codes', async () => {
    const r = await runGate(['--help'], {cwd: ROOT})
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/\$ gate check smoke/)
    expect(r.stdout).toMatch(/0 PROCEED, 1 BLOCK/)
    for (const id of COMMANDS) expect(r.stdout).toMatch(new RegExp(`^\\s+${id}\\s`, 'm'))
  })

  it.each(COMMANDS)('`gate %s --help` has examples', async (id) => {
    const r = await runGate([id, '--help'], {cwd: ROOT})
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/EXAMPLES/)
    expect(r.stdout).toMatch(new RegExp(`\\$ gate ${id}`))
  })

  it('`gate validators` lists the generic validators with their plugin, metrics and options', async () => {
    const r = await runGate(['validators', '--json'], {cwd: ROOT})
    expect(r.code).toBe(0)
    const rows = JSON.parse(r.stdout) as Array<{name: string; plugin: string; options: string[]; metrics: unknown}>
    const byName = new Map(rows.map((row) => [row.name, row]))
    for (const name of ['command', 'claim', 'artifact']) expect(byName.get(name)?.plugin).toBe('phasegate')
    expect(byName.get('command')?.options).toEqual(expect.arrayContaining(['run', 'runs', 'warmup']))
    expect(JSON.stringify(byName.get('command')?.metrics)).toMatch(/duration/)
  })

  it('`gate schema` prints a JSON Schema that names the gate-file keys', async () => {
    const r = await runGate(['schema'], {cwd: ROOT})
    expect(r.code).toBe(0)
    const schema = JSON.parse(r.stdout)
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['version', 'decision', 'services', 'targets']),
    )
    const results = JSON.parse((await runGate(['schema', '--results'], {cwd: ROOT})).stdout)
    expect(results.properties.decision).toBeDefined()
  })

  it('`gate list` lists the shipped gates', async () => {
    const r = await runGate(['list', '--json'], {cwd: ROOT})
    expect(r.code).toBe(0)
    expect(JSON.parse(r.stdout).map((g: {name: string}) => g.name)).toContain('smoke')
  })

  it('`gate validate smoke` accepts the shipped gate', async () => {
    const r = await runGate(['validate', 'smoke'], {cwd: ROOT})
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  })
})
