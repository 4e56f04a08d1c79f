// Live progress as a person and a CI log see it: `gate check` in a real pseudo-terminal (util-linux
// `script`) draws listr2's display on stderr and gives the terminal back; piped, in CI or with --json it
// writes one plain line per target start and end, without escape codes.
import {type ChildProcess, spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import http from 'node:http'
import type {AddressInfo} from 'node:net'
import path from 'node:path'
import {stripVTControlCharacters} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {GATE_BIN, makeProject, ROOT, runGate, waitFor} from './helpers.js'
import {requireProgram} from './servers/required.js'

const SCRIPT = requireProgram(
  'script (util-linux, runs a command in a pseudo-terminal)',
  'apt-get install util-linux',
  'script',
)

const ESC = '\u001B'
const CURSOR_HIDE = `${ESC}[?25l`
const CURSOR_SHOW = `${ESC}[?25h`
const SIGINT_LINE =
  'SIGINT: stopping the running target and the services; partial results will be saved (Ctrl-C again to force).'

interface PtyRun {
  child: ChildProcess
  /** Everything the terminal received so far (stdout and stderr share it), with CRLF turned back into LF. */
  output(): string
  done: Promise<{code: number | null; output: string}>
}

const running = new Set<ChildProcess>()
const quote = (word: string): string => `'${word.replaceAll("'", "'\\''")}'`

/** Runs `node ARGS` in a pseudo-terminal of 120x40 (a bare pty reports no width); killed if it hangs. */
function inPty(args: string[], opts: {cwd: string; env: NodeJS.ProcessEnv}): PtyRun {
  const command = `stty cols 120 rows 40; exec ${[process.execPath, ...args].map(quote).join(' ')}`
  const child = spawn(SCRIPT!, ['-qfec', command, '/dev/null'], {
    cwd: opts.cwd,
    env: {...process.env, GITHUB_ACTIONS: '', GITHUB_STEP_SUMMARY: '', NO_COLOR: '1', ...opts.env},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  running.add(child)
  let raw = ''
  child.stdout!.on('data', (chunk) => (raw += chunk))
  child.stderr!.on('data', (chunk) => (raw += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
  const output = (): string => raw.replaceAll('\r\n', '\n')
  const done = new Promise<{code: number | null; output: string}>((resolve) => {
    child.on('close', (code) => {
      clearTimeout(timer)
      running.delete(child)
      resolve({code, output: output()})
    })
  })
  return {child, done, output}
}

/** Whether the terminal ends with its cursor shown: a show after the last hide. */
function cursorRestored(output: string): boolean {
  return output.lastIndexOf(CURSOR_SHOW) > output.lastIndexOf(CURSOR_HIDE)
}

const count = (text: string, part: string): number => text.split(part).length - 1

/** A loopback port nobody listens on: one the system just gave out and took back. */
async function closedPort(): Promise<number> {
  const probe = http.createServer()
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
  const {port} = probe.address() as AddressInfo
  await new Promise((resolve) => probe.close(resolve))
  return port
}

describe.skipIf(!SCRIPT)('live progress', () => {
  let server: http.Server
  let project: ReturnType<typeof makeProject>

  beforeAll(async () => {
    server = http.createServer((_request, response) => response.end('ok'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const {port} = server.address() as AddressInfo
    project = makeProject({
      live: `version: 1
title: Live
decision: {min_consensus: 0.5, confidence: 0.9}
targets:
  - id: hello
    title: hello answers
    validator: http
    with: {url: "http://127.0.0.1:${port}/", duration: 2s, connections: 2}
    expect: [p95(latency) < 1s]
  - id: refused
    title: nobody listens there
    validator: http
    with: {url: "http://127.0.0.1:${await closedPort()}/", duration: 1s, connections: 1}
    expect: [p95(latency) < 1s]
`,
      claimed: `version: 1
title: Claimed
targets:
  - id: vendor-figure
    title: dashboard refreshes in under 1 s
    validator: claim
    with: {metric: refresh_latency, value: 850ms, source: "vendor report"}
    expect: [refresh_latency < 1s]
`,
    })
  })

  afterAll(async () => {
    for (const child of running) child.kill('SIGKILL')
    server?.closeAllConnections()
    await new Promise((resolve) => server?.close(resolve))
    project?.cleanup()
  })

  it(
    "draws listr2's display at a terminal: live rate, ✔ and ✖ marks left on screen, then the report, cursor " +
      'restored',
    async () => {
      const {code, output} = await inPty([GATE_BIN, 'check', 'live'], {
        cwd: project.dir,
        env: {CI: '', TERM: 'xterm-256color'},
      }).done
      expect(code, output).toBe(0)
      expect(output).toContain(`${ESC}[1A`) // listr2 (log-update) redraws by moving the cursor up
      // The planned time is estimated from the validator's fraction done, so a busy machine may show 2.1 s.
      expect(output).toMatch(/\[1\/2\] hello \(http\) · running \d+\.\d s of 2\.\d s · [\d,.]+ req\/s · 0 errors/)
      expect(output).toMatch(/✔ \[1\/2\] hello \(http\) · collected in [\d.]+ [µm]?s \(measured\)/)
      expect(output).toMatch(/✖ \[2\/2\] refused \(http\) · no data after [\d.]+ m?s: validator http failed/)
      expect(output).not.toContain('▶ [') // not the plain lines
      const report = output.slice(output.lastIndexOf('✖ [2/2] refused'))
      expect(report).toMatch(/Gate Live \(live\)[\s\S]*PROCEED[\s\S]*results: \.gate\/runs\//)
      expect(output.indexOf(CURSOR_HIDE)).toBeGreaterThanOrEqual(0)
      expect(cursorRestored(output)).toBe(true)
    },
  )

  it(
    'writes one plain line per target start and end when stderr is piped, and keeps stdout for the ' + 'report',
    async () => {
      const r = await runGate(['check', 'live'], {cwd: project.dir, env: {CI: ''}})
      expect(r.code, r.stderr).toBe(0)
      const lines = r.stderr.split('\n')
      expect(lines.filter((line) => line.startsWith('▶ '))).toEqual(['▶ [1/2] hello (http)', '▶ [2/2] refused (http)'])
      const ends = lines.filter((line) => /^[✔✖] /.test(line))
      expect(ends).toHaveLength(2)
      expect(ends[0]).toMatch(/^✔ \[1\/2\] hello \(http\): collected in [\d.]+ [µm]?s \(measured\)$/)
      expect(ends[1]).toMatch(/^✖ \[2\/2\] refused \(http\): no data after [\d.]+ m?s: validator http failed/)
      expect(r.stderr).not.toContain(ESC)
      expect(r.stdout).toMatch(/^Gate Live \(live\)/)
      expect(r.stdout).not.toMatch(/[▶✔✖] \[/)
    },
  )

  it('stays plain with CI=true even in a terminal: no escape codes at all', async () => {
    const {code, output} = await inPty([GATE_BIN, 'check', 'live'], {
      cwd: project.dir,
      env: {CI: 'true', TERM: 'xterm-256color'},
    }).done
    expect(code, output).toBe(0)
    expect(output).not.toContain(ESC)
    expect(count(output, '▶ [1/2] hello (http)\n')).toBe(1)
    expect(count(output, '✔ [1/2] hello (http): collected in')).toBe(1)
    expect(count(output, '▶ [2/2] refused (http)\n')).toBe(1)
    expect(count(output, '✖ [2/2] refused (http): no data after')).toBe(1)
  })

  it('does what --progress asks: plain lines even at a terminal, none at all with none', async () => {
    const plain = await inPty([GATE_BIN, 'check', 'claimed', '--progress', 'plain'], {
      cwd: project.dir,
      env: {CI: '', TERM: 'xterm-256color'},
    }).done
    expect(plain.output).not.toContain(ESC)
    expect(plain.output).toMatch(
      /^▶ \[1\/1\] vendor-figure \(claim\)\n✔ \[1\/1\] vendor-figure \(claim\): collected in [\d.]+ [µm]?s \(claim\)$/m,
    )
    const none = await runGate(['check', 'claimed', '--progress', 'none'], {cwd: project.dir})
    expect(none.stdout).toMatch(/vendor-figure|dashboard refreshes/)
    expect(none.stderr).not.toMatch(/[▶✔✖] \[/)
    expect(none.stderr).toMatch(/^results: /m)
  })

  it('prints nothing but the JSON on stdout with --json; progress stays plain lines on stderr', async () => {
    const r = await runGate(['check', 'live', '--json'], {cwd: project.dir, env: {CI: ''}})
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout).decision.outcome).toBe('PROCEED')
    expect(r.stdout).not.toMatch(/[▶✔✖] \[|req\/s|running/)
    expect(r.stderr).toContain('▶ [1/2] hello (http)')
    expect(r.stderr).not.toContain(ESC)
  })

  it(
    'stops the display cleanly on Ctrl-C: the target marked ✖, the SIGINT line readable, the cursor ' + 'back',
    async () => {
      const run = inPty([GATE_BIN, 'check', 'live'], {cwd: project.dir, env: {CI: '', TERM: 'xterm-256color'}})
      // The terminal turns ^C into SIGINT for the foreground process, as a person's Ctrl-C does.
      const drawing = await waitFor(() => run.output().includes('req/s'), 30_000)
      expect(drawing, run.output()).toBe(true)
      run.child.stdin!.write('\u0003')
      const {code, output} = await run.done
      expect(code, output).toBe(130)
      expect(output.split('\n')).toContain(SIGINT_LINE)
      expect(output).toMatch(/✖ \[1\/2\] hello \(http\) · no data after [\d.]+ m?s: interrupted/)
      expect(output).toMatch(/INTERRUPTED/)
      expect(cursorRestored(output)).toBe(true)
    },
  )

  it(
    "shows a target's log lines under it, and gives stderr and the cursor back when the process exits " + 'mid-target',
    async () => {
      const file = path.join(project.dir, 'exit-mid-target.mjs')
      writeFileSync(
        file,
        `import {TerminalProgress} from ${JSON.stringify(path.join(ROOT, 'dist', 'progress', 'terminal.js'))}
const progress = new TerminalProgress()
progress.targetStarted(
  {
    expect: [], id: 'stuck', index: 0, level: 'error', required: false, timeoutMs: 60000,
    title: 'stuck', validator: 'command', weight: 1, with: {},
  },
  0,
  1,
)
progress.log('[stuck] waiting for the fleet')
setTimeout(() => {
  process.stderr.write('written while the display held stderr\\n')
  process.exit(130)
}, 700)
`,
      )
      const {code, output} = await inPty([file], {cwd: project.dir, env: {CI: '', TERM: 'xterm-256color'}}).done
      expect(code, output).toBe(130)
      expect(output).toContain('[1/1] stuck (command) · running')
      expect(output).toContain('› [stuck] waiting for the fleet') // a validator's log line, under its target
      // On a line of its own; escape codes the display wrote before it (hiding the cursor) are not text.
      expect(stripVTControlCharacters(output).split('\n')).toContain('written while the display held stderr')
      expect(cursorRestored(output)).toBe(true)
    },
  )
})
