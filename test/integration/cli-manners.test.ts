// How the CLI treats a person at a terminal and a script: a mistyped command, shell completion, --json errors,
// NO_COLOR, and a linked plugin. The real CLI each time; a terminal is a pseudo-terminal made by script(1).
import {spawn, spawnSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {afterAll, describe, expect, it} from 'vitest'

import {type CliResult, GATE_BIN, ROOT, runGate} from './helpers.js'

const scratch = mkdtempSync(path.join(os.tmpdir(), 'phasegate-manners-'))
afterAll(() => rmSync(scratch, {force: true, recursive: true}))
/** oclif's cache, data and config directories in the scratch directory, not the user's; NODE_ENV as a user has it. */
const XDG = {
  // vitest sets NODE_ENV=test, which oclif reads as development (and then skips its linked-plugin warning).
  NODE_ENV: '',
  XDG_CACHE_HOME: path.join(scratch, 'cache'),
  XDG_CONFIG_HOME: path.join(scratch, 'config'),
  XDG_DATA_HOME: path.join(scratch, 'data'),
}
const gate = (args: string[], env: NodeJS.ProcessEnv = {}) => runGate(args, {cwd: ROOT, env: {...XDG, ...env}})

const hasScript = spawnSync('script', ['--version']).status === 0
const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`

/** The CLI at a pseudo-terminal, typing `input`: what a person at a terminal sees (stdout and stderr together). */
function atTerminal(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliResult> {
  const command = [process.execPath, GATE_BIN, ...args].map(quote).join(' ')
  return new Promise((resolve) => {
    const child = spawn('script', ['-qec', command, '/dev/null'], {
      cwd: ROOT,
      env: {...process.env, ...XDG, GITHUB_ACTIONS: '', TERM: 'xterm', ...env},
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    child.stdin.end(input)
    let stdout = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stderr: '', stdout})
    })
  })
}

describe('a mistyped command', () => {
  it('in a script: names the command as typed and points at gate help, exit 127', async () => {
    const r = await gate(['chek', 'smoke'])
    expect(r.code).toBe(127)
    expect(r.stderr).toContain('chek smoke is not a gate command.')
    expect(r.stderr).toContain('Run gate help for a list of available commands.')
    expect(r.stderr).not.toContain('chek:smoke')
  })

  // A topic of gate's own commands starts oclif as its commands do; a word after it that is no command must still
  // reach not-found.
  it('under a topic (gate baseline shwo): the same, exit 127, pointing at the topic', async () => {
    const r = await gate(['baseline', 'shwo'])
    expect(r.code).toBe(127)
    expect(r.stderr).toContain('baseline shwo is not a gate command.')
    expect(r.stderr).toContain('Run gate help baseline for a list of available commands.')
  })

  it.skipIf(!hasScript)('at a terminal: asks whether the closest command was meant', async () => {
    const r = await atTerminal(['chek', 'smoke'], {NO_COLOR: '1'}, 'n\r')
    expect(r.stdout).toMatch(/Did you mean check\?/)
    expect(r.stdout).toContain('Run gate help for a list of available commands.')
  })
})

describe('gate autocomplete', () => {
  it('sets up bash completion that completes commands and their flags', async () => {
    const setup = await gate(['autocomplete', 'script', 'bash'])
    expect(setup.code, setup.stderr).toBe(0)
    const complete = (words: string[]) =>
      spawnSync(
        'bash',
        [
          '--norc',
          '-c',
          `${setup.stdout}\nCOMP_WORDS=(${words.map(quote).join(' ')}); COMP_CWORD=${words.length - 1}; ` +
            '_gate_autocomplete; echo "${COMPREPLY[*]}"',
        ],
        {encoding: 'utf8'},
      ).stdout.trim()
    // The first `autocomplete` builds the completion functions into oclif's cache directory.
    const built = await gate(['autocomplete', 'bash'])
    expect(built.code, built.stderr).toBe(0)
    expect(complete(['gate', 'chec'])).toBe('check')
    expect(complete(['gate', 'comment', '--pr-'])).toBe('--pr-file')
  })
})

describe('a reader that stops early', () => {
  it('closes the pipe (gate --help | head -1): the CLI exits 0, quietly', async () => {
    const child = spawn(process.execPath, [GATE_BIN, '--help'], {cwd: ROOT, env: {...process.env, ...XDG}})
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    // Read the first chunk only, then close the pipe as head does.
    child.stdout.once('data', () => child.stdout.destroy())
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    clearTimeout(timer)
    expect({code, stderr}).toEqual({code: 0, stderr: ''})
  })
})

describe('--json errors', () => {
  it.each([
    [['check', '--json'], 'Missing 1 required arg:\ngate  Gate name'],
    [['check', 'smoke', '--json', '--bogus'], 'Nonexistent flag: --bogus'],
  ])('%j: a short JSON error on stdout, exit 2', async (args, message) => {
    const r = await gate(args)
    expect(r.code).toBe(2)
    // oclif's default put the parser's whole state here: about 95 KB.
    expect(r.stdout.length).toBeLessThan(1000)
    expect(JSON.parse(r.stdout)).toEqual({error: {message: expect.stringContaining(message), name: 'Error'}})
  })
})

describe.skipIf(!hasScript)('colour at a terminal', () => {
  const report = ['report', path.join(ROOT, 'test', 'fixtures', 'results', 'block-required-fail.json')]
  const RED = '\u001b[31m'

  it('an empty NO_COLOR leaves colour on (no-color.org: only a non-empty value turns it off)', async () => {
    expect((await atTerminal(report, {NO_COLOR: ''})).stdout).toContain(RED)
    expect((await atTerminal(report, {NO_COLOR: '1'})).stdout).not.toContain(RED)
  })
})

describe('a linked plugin', () => {
  it("runs from its compiled source without oclif's linked-ESM warning on every command", async () => {
    const plugin = path.join(scratch, 'gate-validator-linked')
    mkdirSync(path.join(plugin, 'dist'), {recursive: true})
    mkdirSync(path.join(plugin, 'src'))
    const pkg = {name: 'gate-validator-linked', oclif: {hooks: {'gate:validators': './dist/hook.js'}}, type: 'module'}
    writeFileSync(path.join(plugin, 'package.json'), JSON.stringify({...pkg, version: '0.0.1'}))
    // A TypeScript plugin as `gate plugins link` sees one in development: tsconfig, src/ and the compiled dist/.
    writeFileSync(path.join(plugin, 'tsconfig.json'), '{"compilerOptions": {"outDir": "dist", "rootDir": "src"}}')
    const hook = `export default async ({api}) => [api.defineValidator({
  name: 'linked-probe', description: 'A linked plugin loaded', metrics: [],
  options: {type: 'object', properties: {}, additionalProperties: false},
  async collect() { return {kind: 'measured', source: 'probe', metrics: {}} },
})]\n`
    writeFileSync(path.join(plugin, 'dist', 'hook.js'), hook)
    writeFileSync(path.join(plugin, 'src', 'hook.ts'), hook)
    const linked = await gate(['plugins', 'link', plugin, '--no-install'])
    expect(linked.code, linked.stderr).toBe(0)

    const listed = await gate(['validators'])
    expect(listed.code, listed.stderr).toBe(0)
    expect(listed.stdout).toContain('linked-probe')
    expect(listed.stderr).not.toContain('linked ESM module')
    // Whoever wants oclif's warning back can have it.
    const asked = await gate(['validators'], {OCLIF_DISABLE_LINKED_ESM_WARNING: 'false'})
    expect(asked.stderr).toContain('gate-validator-linked is a linked ESM module')
  })
})
