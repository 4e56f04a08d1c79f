// A gate's secrets: through the real CLI. The secret reaches the run every way it can (${env.X} in options,
// a service and a command validator that inherited the variable and print it, a configuration error that
// quotes it) and must then appear in nothing the run prints or saves, while *** shows where it was.
import {readFileSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {renderComment} from '../../src/github/index.js'
import {makeProject, readJson, runGate} from '../integration/helpers.js'

const SECRET = 'tok-7Qz9-s3cr3t-4f2b'
/** The mask as written, or as Markdown escapes it. */
const MASKED = /\*\*\*|\\\*\\\*\\\*/
const GATE = `version: 1
secrets: [API_TOKEN, NOT_SET_ANYWHERE]
services:
  leaky:
    command: node leaky-service.mjs
    ready: { log: 'listening on (?<url>http://\\S+)', timeout: 10s }
targets:
  - id: api
    validator: http
    with: { url: "\${services.leaky.url}/", headers: { authorization: "Bearer \${env.API_TOKEN}" }, requests: 5 }
    expect: [ "p95(latency) < 1s" ]
  - id: login-script
    validator: command
    with: { run: "echo \\"inherited $API_TOKEN, given \${env.API_TOKEN}\\" >&2; exit 3", runs: 2, warmup: 0 }
    expect: [ "failures == 0" ]
    required: true
  - id: vendor
    validator: claim
    with: { metric: latency, value: 5ms, source: "report fetched with \${env.API_TOKEN}" }
    expect: [ "latency < 10ms" ]
`
// Dies before it is ready, after printing the token it inherited: its last log lines become the targets' NO_DATA
// reason.
const SERVICE = `console.log('starting with API_TOKEN=' + process.env.API_TOKEN)
console.error('cannot authenticate with ' + process.env.API_TOKEN)
process.exit(4)
`

const project = makeProject({
  leaky: GATE,
  broken: GATE.replace("log: 'listening on (?<url>http://\\S+)'", 'http: "${env.API_TOKEN}"'),
})
afterAll(() => project.cleanup())
const dir = project.dir
writeFileSync(path.join(dir, 'leaky-service.mjs'), SERVICE)
const env = {API_TOKEN: SECRET, GITHUB_STEP_SUMMARY: path.join(dir, 'step-summary.md'), GITHUB_WORKSPACE: dir}

/** Every file under `root`, as bytes: the history database too, WAL and all. */
function filesUnder(root: string): Array<[string, Buffer]> {
  return readdirSync(root, {recursive: true, encoding: 'utf8'})
    .map((entry) => path.join(root, entry))
    .filter((file) => statSync(file).isFile())
    .map((file) => [path.relative(dir, file), readFileSync(file)])
}

function leaks(files: Array<[string, Buffer]>): string[] {
  return files.filter(([, bytes]) => bytes.includes(SECRET)).map(([file]) => file)
}

describe('secrets: redacted from everything a run prints or saves', () => {
  it(
    'gate check with every report format, progress lines, GitHub output and history shows *** and never the ' + 'value',
    async () => {
      const r = await runGate(
        [
          'check',
          'leaky',
          '--format',
          'md,junit,html,checklist',
          '--out',
          'reports',
          '--progress',
          'plain',
          '--github',
        ],
        {cwd: dir, env},
      )
      expect(r.code).toBe(1)
      expect(r.stdout).not.toContain(SECRET)
      expect(r.stderr).not.toContain(SECRET)
      // The service's log, its NO_DATA progress line and annotation quote what it printed.
      expect(r.stderr).toContain('cannot authenticate with ***')

      const files = filesUnder(dir)
      expect(leaks(files)).toEqual([])
      const shown = (file: string) => files.find(([name]) => name === file)?.[1].toString('utf8') ?? ''
      const reports = files.filter(([file]) => file.startsWith('reports/')).map(([file]) => file)
      expect(reports.map((file) => path.extname(file)).sort()).toEqual(['.html', '.md', '.md', '.xml'])
      // The checklist shows statuses, not reasons: it has nothing to redact, but it is among the files checked above.
      for (const report of reports.filter((file) => !file.endsWith('.checklist.md')))
        expect(shown(report), report).toMatch(MASKED)
      expect(shown('step-summary.md')).toContain('inherited \\*\\*\\*, given \\*\\*\\*')
      expect(shown('.gate/latest.json')).toContain('starting with API_TOKEN=***')
      expect(shown('.gate/history.db')).toContain('cannot authenticate with ***')

      const results = readJson(path.join(dir, '.gate/latest.json'))
      expect(results.targets.map((target: {status: string}) => target.status)).toEqual([
        'NO_DATA',
        'FAIL',
        'INCONCLUSIVE',
      ])
      const comment = renderComment(results)
      expect(comment).not.toContain(SECRET)
      expect(comment).toMatch(MASKED)
    },
  )

  it('gate check --json (a shard, so the evidence file is written too) prints and saves no secret', async () => {
    const r = await runGate(['check', 'leaky', '--json', '--shard', '1/1'], {cwd: dir, env})
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('report fetched with ***')
    expect([r.stdout.includes(SECRET), r.stderr.includes(SECRET)]).toEqual([false, false])
    const evidence = filesUnder(path.join(dir, '.gate')).filter(([file]) => file.endsWith('.evidence.json'))
    expect(evidence).toHaveLength(1)
    expect(evidence[0]![1].toString('utf8')).toContain('inherited ***, given ***')
    expect(leaks(filesUnder(dir))).toEqual([])
  })

  it('a configuration error that quotes the value shows *** instead (exit 2), in text and in --json', async () => {
    const text = await runGate(['validate', 'broken'], {cwd: dir, env})
    const json = await runGate(['check', 'broken', '--json'], {cwd: dir, env})
    for (const r of [text, json]) {
      expect(r.code).toBe(2)
      expect(r.stdout + r.stderr).not.toContain(SECRET)
      // In --json the message is a JSON string, its quotes escaped.
      expect(r.stdout + r.stderr).toMatch(/\(got \\?"\*\*\*\\?"\)/)
    }
  })
})

describe('secrets: redacted before any cut', () => {
  // Long enough that a cut at 37 or 8,192 characters falls inside it; its first 12 characters must never show.
  const LONG = `tok-${'9f3Kq2'.repeat(10)}`
  const prefix = LONG.slice(0, 12)
  const cut = makeProject({
    quoted:
      'version: 1\nsecrets: [LONG_TOKEN]\nservices:\n  web: { command: "true", ready: { http: "${env.LONG_TOKEN}" } ' +
      '}\ntargets:\n  - { id: t, validator: command, with: { run: "true" }, expect: [ "failures == 0" ] }\n',
    lines: `version: 1
secrets: [LONG_TOKEN]
services:
  web: { command: "node long-line.mjs", ready: { log: never printed, timeout: 10s } }
targets:
  - id: script
    validator: command
    with: { run: "node long-line.mjs", runs: 1, warmup: 0 }
    expect: [ "failures == 0" ]
`,
  })
  afterAll(() => cut.cleanup())
  // A line whose 8,192nd character falls inside the token, then the exit that quotes it.
  writeFileSync(
    path.join(cut.dir, 'long-line.mjs'),
    "console.error('x'.repeat(8180) + process.env.LONG_TOKEN + ' end'); process.exit(5)\n",
  )

  it('a configuration error quoting a value cut to 40 characters shows *** and no part of the token', async () => {
    const r = await runGate(['check', 'quoted'], {cwd: cut.dir, env: {LONG_TOKEN: LONG}})
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toContain('(got "***")')
    expect(r.stdout + r.stderr).not.toContain(prefix)
  })

  it(
    'a service and a command line cut at 8,192 characters show no part of the token, on stderr or in the ' + 'results',
    async () => {
      const r = await runGate(['check', 'lines', '--progress', 'plain'], {cwd: cut.dir, env: {LONG_TOKEN: LONG}})
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toContain('x'.repeat(100))
      expect(r.stdout + r.stderr).not.toContain(prefix)
      expect(readFileSync(path.join(cut.dir, '.gate/latest.json'), 'utf8')).not.toContain(prefix)
    },
  )
})

describe('URL passwords with "@", a space, a quote or a slash', () => {
  // Each password holds Zx9 and Qw7: neither may show anywhere.
  const URLS = [
    'postgres://app:Zx9@Qw7@127.0.0.1:5432/db',
    'postgres://app:Zx9 Qw7@127.0.0.1:5432/db',
    'redis://:Zx9"Qw7@127.0.0.1:6379/0',
    'postgres://app:Zx9/Qw7@127.0.0.1/db',
  ]
  const target =
    '{ id: script, validator: command, with: { run: "sh urls.sh", runs: 1, warmup: 0 }, expect: [ "failures == 0" ] }'
  const urls = makeProject({urls: `version: 1\ntargets:\n  - ${target}\n`})
  afterAll(() => urls.cleanup())
  writeFileSync(
    path.join(urls.dir, 'gates', 'urls.sh'),
    `${URLS.map((url) => `echo 'connecting to ${url} failed' >&2`).join('\n')}\nexit 3\n`,
  )

  it('are masked up to the "@" before the host, in what the run prints and saves', async () => {
    const r = await runGate(['check', 'urls', '--progress', 'plain', '--json'], {cwd: urls.dir})
    expect(r.code, r.stderr).toBe(1)
    const saved = filesUnder(path.join(urls.dir, '.gate')).map(([, bytes]) => bytes.toString('latin1'))
    for (const text of [r.stdout, r.stderr, ...saved]) expect(text).not.toMatch(/Zx9|Qw7/)
    const reason = JSON.stringify(JSON.parse(r.stdout).targets[0])
    for (const shown of [
      'postgres://app:***@127.0.0.1:5432/db',
      'redis://:***@127.0.0.1:6379/0',
      'postgres://app:***@127.0.0.1/db',
    ]) {
      expect(reason).toContain(shown)
    }
  })
})
