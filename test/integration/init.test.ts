// `gate init` through the CLI: what it writes passes `gate validate`, it never overwrites by itself, --json only
// shows, and in a terminal (a pty from util-linux `script`) it asks.
import {spawn} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'

import {requireProgram} from './servers/required.js'
import {GATE_BIN, makeProject, ROOT, runGate} from './helpers.js'

const K6_SUMMARY = path.join(ROOT, 'test/fixtures/artifacts/k6-summary-export.json')
const projects: Array<{dir: string; cleanup(): void}> = []
const project = (): string => {
  const made = makeProject({})
  projects.push(made)
  return made.dir
}

afterEach(() => {
  for (const made of projects.splice(0)) made.cleanup()
})

describe('gate init', () => {
  it('writes a gate from flags that `gate validate` accepts, every template included', async () => {
    const dir = project()
    mkdirSync(path.join(dir, 'out'))
    writeFileSync(path.join(dir, 'out/summary.json'), readFileSync(K6_SUMMARY))
    const flags = ['--service', 'node server.js --port 0', '--k6', 'out/summary.json']
    const templates = ['fleet', 'dashboard', 'swarm', 'cache'].flatMap((name) => ['--template', name])
    const init = await runGate(['init', 'api', ...flags, ...templates], {cwd: dir})
    expect(init.stderr).toBe('')
    expect(init.stdout).toBe('✓ wrote gates/api.yaml; next: gate check api\n')
    expect(init.code).toBe(0)
    const validate = await runGate(['validate', 'api'], {cwd: dir})
    expect(validate.stdout).toBe('✓ gates/api.yaml is valid: 6 target(s), 1 service(s).\n')
    expect(validate.code).toBe(0)
  })

  it('--json prints what it would write and writes nothing', async () => {
    const dir = project()
    const r = await runGate(['init', 'api', '--url', 'http://127.0.0.1:8080/health', '--json'], {cwd: dir})
    expect(r.code).toBe(0)
    const shown = JSON.parse(r.stdout)
    expect(shown).toMatchObject({file: 'gates/api.yaml', written: false})
    expect(shown.gate).toMatch(/url: "http:\/\/127\.0\.0\.1:8080\/health"/)
    expect(existsSync(path.join(dir, 'gates/api.yaml'))).toBe(false)
    // What it showed is a gate `gate validate` accepts, byte for byte what a run without --json writes.
    writeFileSync(path.join(dir, 'gates/shown.yaml'), shown.gate)
    expect((await runGate(['validate', 'shown'], {cwd: dir})).code).toBe(0)
  })

  it('never overwrites without --force', async () => {
    const dir = project()
    writeFileSync(path.join(dir, 'gates/api.yaml'), 'mine\n')
    const refused = await runGate(['init', 'api', '--url', 'http://127.0.0.1:1/'], {cwd: dir})
    expect(refused.code).toBe(2)
    expect(refused.stderr).toBe(
      'gates/api.yaml exists; nothing was written\n' +
        '  gate init never overwrites by itself — pass --force to replace it, or choose another name\n',
    )
    expect(readFileSync(path.join(dir, 'gates/api.yaml'), 'utf8')).toBe('mine\n')
    const forced = await runGate(['init', 'api', '--url', 'http://127.0.0.1:1/', '--force'], {cwd: dir})
    expect(forced.code).toBe(0)
    expect(readFileSync(path.join(dir, 'gates/api.yaml'), 'utf8')).toMatch(/validator: http/)
  })

  it.each<[string, string[], RegExp]>([
    ['nothing to measure, off a terminal', [], /nothing to measure — give --url, --service, --k6 or --template/],
    ['an unknown template', ['--template', 'dashbord'], /unknown template "dashbord"\n.*did you mean "dashboard"\?/],
    ['a missing k6 summary', ['--k6', 'nope.json'], /--k6 nope\.json: no such file/],
    [
      'a gate `gate validate` would refuse',
      ['--url', 'http://127.0.0.1:1/${env.PHASEGATE_UNSET}'],
      /gates\/api\.yaml: a problem in the gate file.*\n\s+gates\/api\.yaml:\d+:\d+: .*PHASEGATE_UNSET/,
    ],
  ])('refuses %s: exit 2, a message, nothing written', async (_, flags, message) => {
    const dir = project()
    const r = await runGate(['init', 'api', ...flags], {cwd: dir})
    expect(r.stderr).toMatch(message)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.code).toBe(2)
    expect(existsSync(path.join(dir, 'gates/api.yaml'))).toBe(false)
  })

  // util-linux `script` gives the CLI a terminal; Debian's bsdutils (an essential package) ships it.
  const SCRIPT = requireProgram('script (util-linux)', 'apt-get install bsdutils', 'script')
  it.skipIf(!SCRIPT)('in a terminal without flags, asks and writes what was answered', async () => {
    const dir = project()
    const answers: Array<[string, string]> = [
      ['Gate name', 'web'],
      ['Title', ''],
      ['Command that starts', 'node server.js --port 0'],
      ['Log line that says it is ready', ''],
      ['URL to load', ''],
      ['k6 summary', ''],
      ['Seed targets', 'dashboard'],
    ]
    const command = [process.execPath, GATE_BIN, 'init', '--cwd', dir].map((part) => `'${part}'`).join(' ')
    const child = spawn(SCRIPT!, ['-qec', command, '/dev/null'], {env: {...process.env, NO_COLOR: '1'}})
    let seen = ''
    let next = 0
    // Each answer is typed once its question is on the screen, as a person would.
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      seen += chunk
      while (next < answers.length && seen.includes(`${answers[next]![0]}`)) {
        const [question, reply] = answers[next++]!
        seen = seen.slice(seen.indexOf(question) + question.length)
        child.stdin.write(`${reply}\r`)
      }
    })
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    clearTimeout(timer)
    expect(next).toBe(answers.length)
    expect(code).toBe(0)
    const gate = readFileSync(path.join(dir, 'gates/web.yaml'), 'utf8')
    expect(gate).toMatch(/title: "web gate"/)
    expect(gate).toMatch(/command: "node server.js --port 0"/)
    expect(gate).toMatch(/id: dashboard-refresh/)
    expect((await runGate(['validate', 'web'], {cwd: dir})).code).toBe(0)
  })
})
