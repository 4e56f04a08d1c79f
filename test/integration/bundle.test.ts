// The CLI as a release of the GitHub Action carries it (scripts/action-release.sh): the tracked files plus the bundle
// (dist/bundle/), with no node_modules but better-sqlite3 — the one package action.yml installs. It must answer the
// commands the Action and a first-time user run without anything else installed.
import {spawn} from 'node:child_process'
import {type Server, createServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {cpSync, globSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {parse} from 'acorn'
// @ts-expect-error: a build script, JavaScript without types
import {walk} from '../../scripts/bundle-rewrites.mjs'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type CliResult, ROOT, readJson} from './helpers.js'

const RELEASED = ['bin', 'dist/bundle', 'gates', 'schemas', 'templates', 'package.json', 'oclif.manifest.json']
let work: string
let release: string
let project: string
let server: Server

function runReleased(args: string[]): Promise<CliResult> {
  const child = spawn(process.execPath, [path.join(release, 'bin', 'run.js'), ...args], {
    cwd: project,
    env: {...process.env, GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', NO_COLOR: '1'},
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (chunk) => (stdout += chunk))
  child.stderr.on('data', (chunk) => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({code, signal, stderr, stdout})
    }),
  )
}

beforeAll(async () => {
  // GET /cache: counters that move on every read, for the cache plugin's JSON stats (read with undici's request).
  let reads = 0
  server = createServer((request, response) => {
    if (request.url !== '/cache') return response.end('ok')
    reads++
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({hits: reads * 9, misses: reads}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  work = mkdtempSync(path.join(os.tmpdir(), 'phasegate-bundle-'))
  release = path.join(work, 'action')
  for (const entry of RELEASED) cpSync(path.join(ROOT, entry), path.join(release, entry), {recursive: true})
  mkdirSync(path.join(release, 'node_modules'))
  symlinkSync(path.join(ROOT, 'node_modules', 'better-sqlite3'), path.join(release, 'node_modules', 'better-sqlite3'))
  project = path.join(work, 'project')
  mkdirSync(path.join(project, 'gates'), {recursive: true})
  writeFileSync(
    path.join(project, 'gates', 'one-claim.yaml'),
    'version: 1\ntargets:\n  - id: claimed\n    validator: claim\n' +
      '    with: {metric: latency, value: 10ms, source: a benchmark}\n    expect: [latency < 1s]\n',
  )
  // What the bundle loads on first use (dist/bundle/lazy/): undici and the HDR histograms for http, handlebars and
  // ajv's 2020 build for a report read back from the results file.
  writeFileSync(
    path.join(project, 'gates', 'http.yaml'),
    'version: 1\ntargets:\n  - id: served\n    validator: http\n' +
      `    with: {url: "${url}", connections: 2, requests: 300}\n    expect: ["p95(latency) < 10s"]\n`,
  )
  // Packages the code imports dynamically (import('undici') here, in a plugin): the bundle must give their names.
  writeFileSync(
    path.join(project, 'gates', 'cache.yaml'),
    'version: 1\ntargets:\n  - id: cached\n    validator: cache\n' +
      `    with: {url: "${url}cache", window: 200ms}\n    expect: ["hits > 0"]\n`,
  )
})

afterAll(() => {
  server.close()
  rmSync(work, {force: true, recursive: true})
})

describe('the bundled CLI without node_modules', () => {
  it('answers --help with the commands of the manifest', async () => {
    const help = await runReleased(['--help'])
    expect(help.code, help.stderr).toBe(0)
    expect(help.stdout).toContain('$ gate check smoke')
    for (const id of Object.keys(readJson(path.join(ROOT, 'oclif.manifest.json')).commands)) {
      expect(help.stdout).toContain(id.split(':')[0])
    }
  })

  it('lists the built-in validators and those of every bundled plugin', async () => {
    const listed = await runReleased(['validators', '--json'])
    expect(listed.code, listed.stderr).toBe(0)
    // oclif's own plugins are not there, and nothing warns about them.
    expect(listed.stderr).toBe('')
    const plugins = Object.fromEntries(
      (JSON.parse(listed.stdout) as Array<{name: string; plugin: string}>).map((v) => [v.name, v.plugin]),
    )
    // Each under the plugin that provides it, as when the plugins are installed packages.
    expect(plugins).toMatchObject({
      cache: 'gate-validator-cache',
      claim: 'phasegate',
      command: 'phasegate',
      dashboard: 'gate-validator-dashboard',
      db: 'gate-validator-db',
      fleet: 'gate-validator-fleet',
      http: 'phasegate',
      swarm: 'gate-validator-swarm',
      wasm: 'gate-validator-wasm',
    })
  })

  it('checks a one-claim gate: decides and records the run in the history', async () => {
    const checked = await runReleased(['check', 'one-claim', '--progress', 'none', '--json'])
    // A claim alone is never PASS: the gate BLOCKs (exit 1) with a decision, not an error.
    expect(checked.code, checked.stderr).toBe(1)
    expect(JSON.parse(checked.stdout).decision.outcome).toBe('BLOCK')
    const history = await runReleased(['history', 'one-claim', '--json'])
    expect(history.code, history.stderr).toBe(0)
    expect(history.stdout).toContain('claimed')
  })

  it('measures through a package a plugin imports dynamically (the cache plugin reads stats with undici)', async () => {
    const checked = await runReleased(['check', 'cache', '--progress', 'none', '--json'])
    expect(checked.code, checked.stderr).not.toBe(2)
    const [target] = JSON.parse(checked.stdout).targets
    expect(target.status, JSON.stringify(target)).toBe('PASS')
  })

  it('measures an http target and renders the saved run as Markdown', async () => {
    const checked = await runReleased(['check', 'http', '--progress', 'none', '--json'])
    expect(checked.code, checked.stderr).not.toBe(2)
    const run = JSON.parse(checked.stdout)
    expect(run.targets[0].status).toBe('PASS')
    const report = await runReleased(['report', '--format', 'md'])
    expect(report.code, report.stderr).toBe(0)
    expect(report.stdout).toContain('# Gate report: http')
  })
})

describe('the bundled validator plugins', () => {
  it('are not loaded for a gate of built-in validators: a check runs with their code gone', async () => {
    // The script each bundled plugin's hook loads when its validators are needed.
    const commands = readFileSync(path.join(release, 'dist', 'bundle', 'commands.cjs'), 'utf8')
    const scripts = [...commands.matchAll(/__gateLoad\("(plugin-[a-z]+\.cjs)"\)\.default\.call\(this,options\)/g)].map(
      (match) => match[1]!,
    )
    expect(scripts).toHaveLength(
      readJson(path.join(ROOT, 'package.json')).oclif.plugins.filter((name: string) =>
        name.startsWith('gate-validator-'),
      ).length,
    )
    const removed = scripts.map((script) => path.join(release, 'dist', 'bundle', script))
    const kept = removed.map((file) => readFileSync(file))
    try {
      for (const file of removed) rmSync(file)
      const checked = await runReleased(['check', 'one-claim', '--progress', 'none', '--json'])
      expect(checked.code, checked.stderr).toBe(1)
      expect(checked.stderr).not.toContain('could not provide validators')
      expect(JSON.parse(checked.stdout).targets[0].status).toBe('INCONCLUSIVE')
      // A mistyped name: every plugin is asked, so the message lists them (here: says which could not answer).
      writeFileSync(
        path.join(project, 'gates', 'typo.yaml'),
        'version: 1\ntargets:\n  - id: t\n    validator: dbb\n    with: {}\n    expect: ["latency < 1s"]\n',
      )
      const typo = await runReleased(['validate', 'typo'])
      expect(typo.stdout + typo.stderr).toContain('plugin gate-validator-db could not provide validators')
      // Asked for all, the plugins are missed, each named.
      const listed = await runReleased(['validators'])
      expect(listed.stderr).toContain('plugin gate-validator-db could not provide validators')
    } finally {
      removed.forEach((file, i) => writeFileSync(file, kept[i]!))
    }
  })
})

describe('the bundle as built', () => {
  // A module body left as a method is compiled on every start, after Node's compile cache was written
  // (scripts/bundle.mjs, eagerModuleBodies).
  it('wraps every module of the packages loaded on first use in a parenthesized function, never a method', () => {
    const files = globSync('lazy/*.cjs', {cwd: path.join(ROOT, 'dist', 'bundle')})
    let wrapped = 0
    for (const file of files) {
      const source = readFileSync(path.join(ROOT, 'dist', 'bundle', file), 'utf8')
      expect(source, file).not.toMatch(/__(commonJS|esm)\(\{"[^"]*"\(/)
      wrapped += source.match(/__(commonJS|esm)\(\{"[^"]*":\(function\(/g)?.length ?? 0
    }
    expect(wrapped).toBeGreaterThan(300)
  })

  // start.js reads them as one byte a character, and a script compiled by node:vm cannot import() by itself.
  it('writes the scripts start.js runs in ASCII, each import() through start.js', () => {
    const scripts = globSync('*.cjs', {cwd: path.join(ROOT, 'dist', 'bundle')})
    expect(scripts).toEqual(expect.arrayContaining(['cli.cjs', 'commands.cjs']))
    for (const file of scripts) {
      const source = readFileSync(path.join(ROOT, 'dist', 'bundle', file), 'utf8')
      expect(source.match(/[^\0-\x7f]/)?.[0], file).toBeUndefined()
      let imports = 0
      walk(parse(source, {ecmaVersion: 'latest', sourceType: 'script'}), (node: {type: string}) => {
        if (node.type === 'ImportExpression') imports++
      })
      expect(imports, file).toBe(0)
    }
  })
})
