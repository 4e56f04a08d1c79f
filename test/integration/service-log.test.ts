// Quiet runs: what services print goes to .gate/runs/<run>.services.log, not to the terminal, unless a service fails
// (its last lines and the log's path are shown) or --verbose asks for it. Progress lines stay.
import {readFileSync, readdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {makeProject, runGate} from './helpers.js'

// Chatters on stdout and stderr, then serves 200 on 127.0.0.1; with a life in ms, it dies after it, saying why.
const SERVICE = `import http from 'node:http'
for (let i = 1; i <= 5; i++) console.log('chatter ' + i)
console.error('warning: running on a laptop')
const life = Number(process.argv[2] ?? 0)
const server = http.createServer((req, res) => res.end('ok'))
server.listen(0, '127.0.0.1', () => {
  console.log('listening on http://127.0.0.1:' + server.address().port)
  if (life > 0) setTimeout(() => { console.log('out of memory (simulated)'); process.exit(3) }, life)
})
`
const gate = (life: number) => `version: 1
services:
  web:
    command: node chatty.mjs ${life}
    ready: { log: 'listening on (?<url>http://\\S+)', timeout: 20s }
targets:
  - id: ping
    validator: http
    with: { url: "\${services.web.url}/", requests: 20, connections: 1 }
    expect: [ "max(latency) < 1h" ]
  - id: later
    validator: command
    with: { run: "node -e \\"setTimeout(() => {}, 1500)\\"", runs: 1, warmup: 0 }
    expect: [ "failures == 0" ]
  - id: after-death
    validator: http
    with: { url: "\${services.web.url}/", requests: 5, connections: 1 }
    expect: [ "max(latency) < 1h" ]
`

const project = makeProject({quiet: gate(0), dying: gate(1000)})
afterAll(() => project.cleanup())
const {dir} = project
writeFileSync(path.join(dir, 'chatty.mjs'), SERVICE)

const SERVICE_LINE = /^\s*\[web\]/m

function logFiles(): string[] {
  return readdirSync(path.join(dir, '.gate', 'runs')).filter((file) => file.endsWith('.services.log'))
}

describe('the services’ output', () => {
  it('goes to a log file beside the run’s results, not to stderr; progress lines stay', async () => {
    const r = await runGate(['check', 'quiet', '--progress', 'plain'], {cwd: dir, timeoutMs: 60_000})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).not.toMatch(SERVICE_LINE)
    expect(r.stderr).toMatch(/▶ \[1\/3\] ping \(http\)/)
    const shown = /services ready: web at http:\/\/127\.0\.0\.1:\d+; their output goes to (\S+\.services\.log)/.exec(
      r.stderr,
    )
    expect(shown, r.stderr).not.toBeNull()
    const results = /results: (\S+)\.json/.exec(r.stderr)![1]!
    expect(shown![1]).toBe(`${results}.services.log`)
    const log = readFileSync(path.join(dir, shown![1]!), 'utf8')
    expect(log).toContain('[web] chatter 5\n')
    expect(log).toContain('[web] warning: running on a laptop\n')
    expect(log).toMatch(/\[web\] listening on http:\/\/127\.0\.0\.1:\d+\n/)
  })

  it('is shown as it comes with --verbose', async () => {
    const r = await runGate(['check', 'quiet', '--progress', 'plain', '--verbose'], {cwd: dir, timeoutMs: 60_000})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('  [web] chatter 1\n')
    expect(r.stderr).toContain('  [web] warning: running on a laptop\n')
  })

  it('of a service that dies mid-run is shown: its last lines and where the whole log is', async () => {
    const r = await runGate(['check', 'dying', '--progress', 'plain', '--json'], {cwd: dir, timeoutMs: 60_000})
    expect(r.code, r.stderr).toBe(1)
    const died = /service web exited with code 3 while the gate was running[^]*?full log: (\S+\.services\.log)/.exec(
      r.stderr,
    )
    expect(died, r.stderr).not.toBeNull()
    expect(r.stderr).toContain('| out of memory (simulated)')
    expect(readFileSync(path.join(dir, died![1]!), 'utf8')).toContain('[web] chatter 1\n')
    const run = JSON.parse(r.stdout) as {warnings: string[]; targets: Array<{id: string; status: string}>}
    expect(run.warnings.some((warning) => warning.includes(`full log: ${died![1]}`))).toBe(true)
    expect(run.targets.find((target) => target.id === 'after-death')?.status).toBe('NO_DATA')
  })

  it('of a service that never gets ready is shown with where the whole log is', async () => {
    writeFileSync(
      path.join(dir, 'gates', 'broken.yaml'),
      gate(0).replace('node chatty.mjs 0', 'node -e "console.log(\'chatter 1\'); process.exit(4)"'),
    )
    const r = await runGate(['check', 'broken', '--progress', 'plain'], {cwd: dir, timeoutMs: 60_000})
    expect(r.code, r.stderr).toBe(1)
    expect(r.stderr).toMatch(/service web exited with code 4 before it was ready[^]*\| chatter 1[^]*full log: \S+/)
    expect(logFiles().length).toBeGreaterThan(0)
  })
})
