// The bundle replaces some of oclif's packages with stand-ins that load them on first use, one of which answers a
// plain-text EJS render itself (scripts/bundle.mjs, OCLIF_ON_FIRST_USE). Whatever help the bundled CLI prints must be
// what oclif prints from the unbundled packages, byte for byte: the root, every command, and the oclif plugins'
// commands whose texts are real EJS templates (`<%= config.bin %>`, `config.scopedEnvVarKey(...)`).
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {GATE_BIN, ROOT, readJson} from './helpers.js'

let work: string
let unbundled: string

function help(entry: string, argv: string[]): Promise<{code: number | null; output: string}> {
  const child = spawn(process.execPath, [entry, ...argv, '--help'], {
    cwd: ROOT,
    env: {...process.env, COLUMNS: '100', NO_COLOR: '1', OCLIF_DISABLE_LINKED_ESM_WARNING: 'true'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout.on('data', (chunk) => (output += chunk))
  child.stderr.on('data', (chunk) => (output += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({code, output})
    }),
  )
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), 'phasegate-help-'))
  unbundled = path.join(work, 'unbundled.mjs')
  const core = pathToFileURL(path.join(ROOT, 'node_modules', '@oclif', 'core', 'lib', 'index.js')).href
  writeFileSync(
    unbundled,
    `import {execute} from '${core}'\n` +
      `await execute({args: process.argv.slice(2), dir: '${pathToFileURL(GATE_BIN).href}'})\n`,
  )
})

afterAll(() => rmSync(work, {force: true, recursive: true}))

describe('help from the bundle', () => {
  const ids: string[] = Object.keys(readJson(path.join(ROOT, 'oclif.manifest.json')).commands)
  const topics = [...new Set(ids.filter((id) => id.includes(':')).map((id) => id.split(':')[0]!))]
  const others = ['help', 'plugins', 'plugins:install', 'plugins:link', 'autocomplete']
  const cases = [[], ...[...ids, ...topics, ...others].map((id) => id.split(':'))]

  it.each(cases.map((argv): [string, string[]] => [argv.join(' ') || '(root)', argv]))(
    '%s: the same as oclif prints unbundled',
    async (_, argv) => {
      const [bundled, reference] = await Promise.all([help(GATE_BIN, argv), help(unbundled, argv)])
      expect(reference.code, reference.output).toBe(0)
      expect(reference.output.length).toBeGreaterThan(100)
      expect(bundled.code, bundled.output).toBe(0)
      expect(bundled.output).toBe(reference.output)
    },
  )

  it('renders the EJS in texts that have it (the oclif plugins use config.bin and scopedEnvVarKey)', async () => {
    const install = await help(GATE_BIN, ['plugins', 'install'])
    expect(install.output).toContain('Installs a plugin into gate.')
    expect(install.output).toContain('GATE_NPM_LOG_LEVEL')
    expect(install.output).not.toContain('<%')
  })
})
