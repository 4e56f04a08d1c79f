// What a user gets from `npm install phasegate`: the packed tarballs (the CLI and its validator plugins, as they
// would be published) installed without dev dependencies in an empty folder, then run there with npx.
import {execFile} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {ROOT} from './helpers.js'

const run = promisify(execFile)
const PLUGINS = readdirSync(path.join(ROOT, 'plugins')).map((name) => `plugins/${name}`)
// npm, npx and the CLI they start run on the Node that runs the tests, not on an older system Node.
const env = {
  ...process.env,
  GITHUB_ACTIONS: '',
  GITHUB_STEP_SUMMARY: '',
  NO_COLOR: '1',
  PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH}`,
}

let work: string
let app: string

/** Sizes in bytes of the files under `dir`, symlinks not followed. */
function sizeOf(dir: string): number {
  let total = 0
  for (const entry of readdirSync(dir, {recursive: true, withFileTypes: true})) {
    if (entry.isFile()) total += readFileSync(path.join(entry.parentPath, entry.name)).byteLength
  }

  return total
}

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'phasegate-pack-'))
  app = path.join(work, 'app')
  mkdirSync(app)
  // dist/ is built by the test command before any test runs; packing must not rebuild it under the tests.
  const packed = await run(
    'npm',
    [
      'pack',
      ...['--ignore-scripts', '--json', '--pack-destination', work, '--include-workspace-root'],
      ...PLUGINS.flatMap((plugin) => ['-w', plugin]),
    ],
    {cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024},
  )
  const tarballs = (JSON.parse(packed.stdout) as Array<{filename: string}>).map((t) => path.join(work, t.filename))
  writeFileSync(path.join(app, 'package.json'), JSON.stringify({name: 'app', private: true}))
  await run('npm', ['install', '--omit=dev', '--no-audit', '--no-fund', ...tarballs], {cwd: app, env})
}, 300_000)

afterAll(() => rmSync(work, {force: true, recursive: true}))

describe('the packed package, installed in an empty folder', () => {
  it('holds only what gate needs at run time: no compiler, test runner, oclif CLI, demo or its toolchain', () => {
    const installed = readdirSync(path.join(app, 'node_modules'))
    for (const dev of ['typescript', 'vitest', 'oclif', 'assemblyscript', 'binaryen', 'eslint', 'node', 'vite']) {
      expect(installed, dev).not.toContain(dev)
    }

    expect(installed).not.toContain('phasegate-demo')
    const shipped = readdirSync(path.join(app, 'node_modules', 'phasegate'))
    expect(shipped).not.toContain('src')
    expect(shipped).not.toContain('test')
    // Reported so the README's figure can be checked against a real install.
    console.log(`installed size: ${(sizeOf(path.join(app, 'node_modules')) / 1e6).toFixed(1)} MB`)
  })

  it('runs `gate check smoke` from its bundled gate and decides', async () => {
    const result = await run('npx', ['gate', 'check', 'smoke', '--format', 'json', '--out', 'report'], {
      cwd: app,
      env,
      timeout: 240_000,
    }).catch((error: {code: number; stdout: string; stderr: string}) => error)
    // 0 PROCEED, 1 BLOCK or 3 INCONCLUSIVE: a decision; a busy machine may slow Node past the smoke's limits.
    expect([0, 1, 3], result.stderr).toContain('code' in result ? result.code : 0)
    const [file] = readdirSync(path.join(app, 'report')).filter((name) => name.endsWith('.json'))
    const results = JSON.parse(readFileSync(path.join(app, 'report', file!), 'utf8'))
    expect(results.gate.file).toMatch(/node_modules[/\\]phasegate[/\\]gates[/\\]smoke\.yaml$/)
    for (const target of results.targets) expect(target.status, target.id).not.toBe('NO_DATA')
  }, 300_000)

  it('lists the validators of the CLI and of every bundled plugin', async () => {
    const {stdout} = await run('npx', ['gate', 'validators'], {cwd: app, env})
    for (const name of ['http', 'command', 'artifact', 'prometheus', 'claim']) expect(stdout).toMatch(`${name} `)
    for (const name of ['fleet', 'dashboard', 'swarm', 'wasm', 'db', 'cache']) {
      expect(stdout).toMatch(`${name}  (gate-validator-${name}`)
    }
  })
})
