// The code cache the bundle keeps per command (dist/bundle/start.js, from scripts/bundle-start.js): written by the
// first run of a command, taken by the next, and never a reason for a run to differ or fail.
import {createHash} from 'node:crypto'
import {chmodSync, globSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {afterAll, beforeEach, describe, expect, it} from 'vitest'
import {type CliResult, ROOT, makeProject, runGate} from './helpers.js'

const project = makeProject({
  'one-claim':
    'version: 1\ntargets:\n  - id: claimed\n    validator: claim\n' +
    '    with: {metric: latency, value: 10ms, source: bench}\n    expect: [latency < 1s]\n',
})
const work = mkdtempSync(path.join(os.tmpdir(), 'phasegate-code-cache-'))
afterAll(() => {
  project.cleanup()
  rmSync(work, {force: true, recursive: true})
})

let cacheDir: string
let runs = 0
beforeEach(() => {
  cacheDir = path.join(work, `cache-${runs++}`)
})

/** gate ARGS with this test's cache directory, telling what it does with each cache (NODE_DEBUG). */
function gate(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return runGate(args, {
    cwd: project.dir,
    env: {NODE_COMPILE_CACHE: cacheDir, NODE_DEBUG: 'phasegate_cache', ...env},
  })
}

/** The cache files of the test's cache directory (in Node's folder for this Node), by name. */
function caches(pattern = '*'): string[] {
  return globSync(`*/phasegate/${pattern}`, {cwd: cacheDir}).sort()
}

const VALIDATE = ['validate', 'one-claim']

/** The cache of commands.cjs for `gate validate`, named by the SHA-256 of the script's text. */
function commandsCache(): string {
  const script = readFileSync(path.join(ROOT, 'dist', 'bundle', 'commands.cjs'))
  const [file] = caches(`${createHash('sha256').update(script).digest('hex').slice(0, 16)}-validate.cache`)
  expect(file).toBeDefined()
  return file!
}

describe("the bundle's code cache", () => {
  it('is written by the first run of a command and taken by the next, which answers the same', async () => {
    const first = await gate(VALIDATE)
    expect(first.code, first.stderr).toBe(0)
    // The CLI's two scripts: oclif's (cli.cjs) and the commands' (commands.cjs).
    expect(first.stderr).toMatch(/cli\.cjs: no cache, kept when the command ends/)
    expect(first.stderr).toMatch(/commands\.cjs: no cache, kept when the command ends/)
    expect(caches()).toEqual([expect.stringMatching(/-validate\.cache$/), expect.stringMatching(/-validate\.cache$/)])

    const second = await gate(VALIDATE)
    expect(second.stderr).toMatch(/cli\.cjs: cache accepted[^]*commands\.cjs: cache accepted/)
    expect(second.stderr).not.toMatch(/cache written/)
    expect([second.code, second.stdout]).toEqual([first.code, first.stdout])

    // Another command keeps a cache of its own; listing the validators runs every bundled plugin's script too.
    const listed = await gate(['validators'])
    expect(listed.code, listed.stderr).toBe(0)
    expect(caches('*-validators.cache')).toHaveLength(8)
    expect(caches('*-validate.cache')).toHaveLength(2)
    // --help is oclif's alone: it does not read the commands' script.
    const help = await gate(['--help'])
    expect(help.code, help.stderr).toBe(0)
    expect(help.stderr).toMatch(/cli\.cjs: no cache/)
    expect(help.stderr).not.toMatch(/commands\.cjs/)
  })

  it('is rejected when damaged: the run is the same, and a whole cache replaces it', async () => {
    const first = await gate(VALIDATE)
    const file = commandsCache()
    const whole = readFileSync(path.join(cacheDir, file))
    for (const damaged of [whole.subarray(0, whole.length >> 1), Buffer.alloc(whole.length, 0x5a)]) {
      writeFileSync(path.join(cacheDir, file), damaged)
      const run = await gate(VALIDATE)
      expect(run.stderr).toMatch(/commands\.cjs: cache rejected, kept when the command ends/)
      expect([run.code, run.stdout]).toEqual([first.code, first.stdout])
      expect((await gate(VALIDATE)).stderr).toMatch(/commands\.cjs: cache accepted/)
    }
  })

  it('is neither read nor written when Node compile cache is off (NODE_DISABLE_COMPILE_CACHE=1)', async () => {
    const run = await gate(VALIDATE, {NODE_DISABLE_COMPILE_CACHE: '1'})
    expect(run.code, run.stderr).toBe(0)
    expect(run.stderr).not.toMatch(/phasegate_cache|PHASEGATE_CACHE/i)
    expect(caches()).toEqual([])
  })

  it('that cannot be written leaves the run as it was, and no partial file', async () => {
    const first = await gate(VALIDATE)
    // Where the caches go is a file, not a folder.
    const folder = path.dirname(path.join(cacheDir, commandsCache()))
    rmSync(folder, {recursive: true})
    writeFileSync(folder, 'in the way')
    const run = await gate(VALIDATE)
    expect(run.stderr).toMatch(/commands\.cjs: cache not written: /)
    expect([run.code, run.stdout]).toEqual([first.code, first.stdout])
    expect(globSync('**/*.tmp', {cwd: cacheDir})).toEqual([])
  })

  it('is neither read nor written in a folder others may write to (its code runs as the user)', async () => {
    const first = await gate(VALIDATE)
    const folder = path.dirname(path.join(cacheDir, commandsCache()))
    expect(statSync(folder).mode & 0o777).toBe(0o700)
    chmodSync(folder, 0o777)
    const planted = readdirSync(folder).map((file) => [file, readFileSync(path.join(folder, file))] as const)
    const run = await gate(VALIDATE)
    expect(run.stderr).toMatch(/phasegate is not this user's alone: its caches are not used/)
    expect(run.stderr).not.toMatch(/cache accepted|cache written/)
    expect([run.code, run.stdout]).toEqual([first.code, first.stdout])
    for (const [file, bytes] of planted) expect(readFileSync(path.join(folder, file)).equals(bytes)).toBe(true)
  })

  it('is one whole file when runs of a command start together without one', async () => {
    const together = await Promise.all([1, 2, 3, 4].map(() => gate(VALIDATE)))
    for (const run of together) expect([run.code, run.stdout]).toEqual([together[0]!.code, together[0]!.stdout])
    expect(caches()).toHaveLength(2)
    expect(globSync('**/*.tmp', {cwd: cacheDir})).toEqual([])
    expect((await gate(VALIDATE)).stderr).toMatch(/cli\.cjs: cache accepted[^]*commands\.cjs: cache accepted/)
  })
})
