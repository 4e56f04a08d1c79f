// Hostile bytes from what a gate reads, through the real CLI: terminal escapes in a service's log and in an artifact a
// message quotes, artifacts that are huge or not files, a ready.log pattern that backtracks forever. Each ends in a
// clear outcome, with nothing raw on the terminal and the CLI able to exit.
import {execFileSync} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {alive, makeProject, ROOT, runGate, startGate, waitFor} from '../integration/helpers.js'

const SERVERS = path.join(ROOT, 'test/fixtures/servers')
const projects: Array<{cleanup(): void}> = []
afterAll(() => projects.forEach((project) => project.cleanup()))

function project(gates: Record<string, string>): string {
  const made = makeProject(gates)
  projects.push(made)
  return made.dir
}

/** ESC, BEL and C1 controls: what clears a screen, retitles a window or hides text at a terminal. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/

describe('terminal escapes', () => {
  it(
    'a service log line and artifact bytes quoted in a NO_DATA reason reach stderr with their control characters ' +
      'shown, not sent',
    async () => {
      const dir = project({
        escapes: `version: 1
services:
  web:
    command: "printf 'hello \\\\033[2J\\\\033]0;pwned\\\\007 there\\\\n'; node ${path.join(SERVERS, 'hello.mjs')}"
    ready: { log: 'listening on (?<url>http://\\S+)' }
targets:
  - { id: art, validator: artifact, with: { file: bad.json, format: json, path: x, metric: x }, expect: [ "x < 1" ] }
`,
      })
      writeFileSync(path.join(dir, 'gates', 'bad.json'), '{"x": \u001b[2J\u001b]0;pwned\u0007 }')
      const r = await runGate(['check', 'escapes', '--progress', 'plain', '--verbose'], {cwd: dir, timeoutMs: 60_000})
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toContain('[web] hello \\x1b[2J\\x1b]0;pwned\\x07 there')
      // The services' log file, which a person may cat to a terminal, shows them the same way.
      const log = /their output goes to (\S+)/.exec(r.stderr)![1]!
      expect(readFileSync(path.join(dir, log), 'utf8')).toContain('[web] hello \\x1b[2J\\x1b]0;pwned\\x07 there')
      expect(r.stderr).toMatch(/art \(artifact\): no data .*not valid JSON: .*\\x1b/)
      expect(r.stderr).not.toMatch(CONTROL)
      expect(r.stdout).not.toMatch(CONTROL)
    },
  )
})

describe('artifacts that cannot be read as one', () => {
  it(
    'a FIFO and a 17 MB single-line ndjson file: each target NO_DATA with the reason, the run saved, the CLI ' +
      'exits',
    async () => {
      const dir = project({
        artifacts: `version: 1
targets:
  - { id: fifo, validator: artifact,
      with: { file: pipe.ndjson, format: ndjson, path: v, metric: x, type: samples }, expect: [ "p50(x) < 1" ] }
  - { id: huge, validator: artifact,
      with: { file: huge.ndjson, format: ndjson, path: v, metric: x, type: samples }, expect: [ "p50(x) < 1" ] }
`,
      })
      execFileSync('mkfifo', [path.join(dir, 'gates', 'pipe.ndjson')])
      writeFileSync(path.join(dir, 'gates', 'huge.ndjson'), '1'.repeat(17 * 1024 * 1024))
      const r = await runGate(['check', 'artifacts', '--json'], {cwd: dir, timeoutMs: 60_000})
      expect(r.signal, 'the CLI never exited').toBeNull()
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).not.toMatch(/RangeError|\n\s+at /)
      const [fifo, huge] = JSON.parse(r.stdout).targets
      expect(fifo.reason).toMatch(
        /artifact pipe\.ndjson is not a regular file .*write the tool's output to a file first/,
      )
      expect(huge.reason).toMatch(
        /artifact huge\.ndjson: line 1 is over 16 Mi characters; ndjson holds one value per line/,
      )
    },
  )
})

describe('a ready.log pattern that backtracks for ever', () => {
  // The service prints a line on which ^(?<url>(a+)+)$ backtracks for longer than any test runs, then records its pid.
  const gate = (dir: string, timeout: string) => {
    const recordPid = `require('fs').writeFileSync('${path.join(dir, 'web.pid')}', String(process.pid))`
    return `version: 1
services:
  web:
    command: "node -e \\"console.log('a'.repeat(40) + 'b'); ${recordPid}; setInterval(() => {}, 1000)\\""
    ready: { log: '^(?<url>(a+)+)$', timeout: ${timeout} }
targets:
  - { id: t, validator: command,
      with: { run: "true \${services.web.url}", runs: 1, warmup: 0 }, expect: [ "failures == 0" ] }
`
  }
  const dirs: string[] = []
  const webPid = (dir: string): number => Number(readFileSync(path.join(dir, 'web.pid'), 'utf8'))
  // A failed assertion must not leave the service behind.
  afterAll(() => {
    for (const pid of dirs
      .filter((dir) => existsSync(path.join(dir, 'web.pid')))
      .map(webPid)
      .filter(alive))
      process.kill(pid, 'SIGKILL')
  })

  it(
    'the ready timeout still fires: the service is stopped, the run saved with the reason, the CLI ' + 'exits',
    async () => {
      const dir = project({})
      dirs.push(dir)
      writeFileSync(path.join(dir, 'gates', 'redos.yaml'), gate(dir, '2s'))
      const r = await runGate(['check', 'redos', '--json'], {cwd: dir, timeoutMs: 60_000})
      expect(r.signal, 'the CLI hung in the pattern').toBeNull()
      expect(r.code, r.stderr).toBe(1)
      const results = JSON.parse(r.stdout)
      expect(results.targets[0].reason).toContain('service web was not ready after 2 s')
      expect(await waitFor(() => !alive(webPid(dir)), 5000)).toBe(true)
    },
  )

  it('one SIGINT while the pattern backtracks ends the run with exit 130 and stops the service', async () => {
    const dir = project({})
    dirs.push(dir)
    writeFileSync(path.join(dir, 'gates', 'redos.yaml'), gate(dir, '60s'))
    const {child, done} = startGate(['check', 'redos'], {cwd: dir, timeoutMs: 60_000})
    expect(
      await waitFor(
        () => existsSync(path.join(dir, 'web.pid')) && readFileSync(path.join(dir, 'web.pid'), 'utf8') !== '',
      ),
    ).toBe(true)
    child.kill('SIGINT')
    const r = await done
    expect(r.signal, 'SIGINT was ignored').toBeNull()
    expect(r.code, r.stderr).toBe(130)
    expect(await waitFor(() => !alive(webPid(dir)), 5000)).toBe(true)
  })
})
