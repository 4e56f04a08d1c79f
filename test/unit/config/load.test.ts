import {createHash} from 'node:crypto'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {loadGate, parseGate} from '../../../src/config/load.js'
import {GateConfigError} from '../../../src/errors.js'
import {FIXTURES, GATE_FILE, PROJECT, REPO, columnOf, format, load, yaml} from './helpers.js'
import {parseExpectation} from '../../../src/engine/expectation.js'

describe('loadGate: the example gate of gate-file.md', () => {
  const gate = loadGate('phase-2', {cwd: path.join(REPO, 'test/fixtures'), env: {}})
  const file = path.join(REPO, FIXTURES, 'phase-2.yaml')

  it('knows where it came from', () => {
    expect(gate.version).toBe(1)
    expect(gate.name).toBe('phase-2')
    expect(gate.title).toBe('Phase 2 — fleet manager and advanced capabilities')
    expect(gate.file).toBe(file)
    expect(gate.dir).toBe(path.dirname(file))
    expect(gate.root).toBe(path.join(REPO, 'test/fixtures'))
    expect(gate.sha256).toBe(createHash('sha256').update(readFileSync(file)).digest('hex'))
  })

  it('fills in the decision settings it does not name', () => {
    expect(gate.decision).toEqual({confidence: 0.95, minConsensus: 0.85, resamples: 2000, seed: 1})
    expect(gate.defaults).toEqual({timeoutMs: 120_000})
  })

  it('turns services into what the service runner needs', () => {
    expect(gate.services).toEqual([
      {
        command: 'node demo/dist/server.js --port 0',
        cwd: gate.root,
        env: {DEMO_SEED: '1'},
        name: 'demo',
        ready: {log: 'listening on (?<url>http://\\S+)', timeoutMs: 20_000},
        stopTimeoutMs: 5000,
      },
    ])
  })

  it('fills target defaults and keeps ${services.*} for later', () => {
    const [fleet, cache, claim] = gate.targets
    expect(fleet).toEqual({
      expect: ['p95(allocation_latency) < 100ms', 'allocated_agents >= 1000'].map((text) => parseExpectation(text)),
      id: 'fleet-allocation',
      allowRemote: false,
      index: 0,
      level: 'error',
      required: true,
      timeoutMs: 120_000,
      title: 'Fleet manager — 1000+ agents, allocation under 100 ms',
      validator: 'fleet',
      weight: 3,
      with: {agents: 1000, duration: '10s', url: '${services.demo.url}'},
    })
    expect(cache).toMatchObject({
      id: 'cache-hit-rate',
      index: 1,
      level: 'warn',
      required: false,
      title: 'cache-hit-rate',
      weight: 1,
    })
    expect(claim).toMatchObject({
      expect: ['refresh_latency < 1s'].map((text) => parseExpectation(text)),
      id: 'dashboard-claim',
      level: 'error',
      title: 'dashboard-claim',
    })
    expect(claim).not.toHaveProperty('quality')
  })

  it('locates nodes for errors found later, falling back to the nearest ancestor', () => {
    const display = path.join('gates', 'phase-2.yaml')
    expect(gate.locate(['targets', 0, 'with', 'url'])).toEqual({column: 12, file: display, line: 20})
    const text = readFileSync(file, 'utf8')
    expect(gate.locate(['targets', 1, 'with', 'window'])).toEqual({
      column: columnOf(text, 30, '30s'),
      file: display,
      line: 30,
    })
    expect(gate.locate(['targets', 1, 'with', 'window'])).toEqual(
      gate.locate(['targets', 1, 'with', 'window', 'deeper']),
    )
    expect(gate.locate(['targets', 0, 'with', 'no-such-option'])).toEqual({column: 7, file: display, line: 20})
    expect(gate.locate(['targets', 7])).toEqual({column: 3, file: display, line: 16})
    expect(gate.locate([])).toEqual({column: 1, file: display, line: 1})
  })
})

describe('defaults and conversions', () => {
  it('names a gate after its file and titles it with its name', () => {
    const gate = loadGate(path.join(FIXTURES, 'minimal.yml'), {cwd: REPO, env: {}})
    expect(gate).toMatchObject({name: 'minimal', title: 'minimal'})
    expect(gate.targets[0]).toMatchObject({
      expect: ['p95(duration) < 500ms'].map((text) => parseExpectation(text)),
      title: 'node-starts',
      weight: 1,
      with: {run: 'node -e 0'},
    })
  })

  it('reads durations written with units or as milliseconds', () => {
    const gate = load(yaml`
      version: 1
      defaults: {timeout: 1.5s}
      services:
        api: {command: serve, ready: {http: "http://127.0.0.1:8080/health", timeout: 250}, stop_timeout: 2m}
      targets:
        - {id: a, validator: http, expect: x < 1}
        - {id: b, validator: http, expect: x < 1, timeout: 500ms, quality: 0.5}
    `)
    expect(gate.defaults.timeoutMs).toBe(1500)
    expect(gate.services[0]).toMatchObject({
      ready: {http: 'http://127.0.0.1:8080/health', timeoutMs: 250},
      stopTimeoutMs: 120_000,
    })
    expect(gate.targets.map((target) => target.timeoutMs)).toEqual([1500, 500])
    expect(gate.targets[1]!.quality).toBe(0.5)
  })

  it('expands ${env.*} and ${gate.dir} in with:, commands, cwd and env, and nowhere else', () => {
    const gate = load(
      yaml`
      version: 1
      title: "\${env.TITLE}"
      services:
        api:
          command: serve --token \${env.TOKEN}
          cwd: \${env.SUBDIR}
          env: {DATA: "\${gate.dir}/data", PORT: 8080, DEBUG: true}
          ready: {http: "http://127.0.0.1:\${env.PORT}/"}
      targets:
        - id: a
          validator: http
          with: {headers: {authorization: "Bearer \${env.TOKEN}"}, paths: ["\${gate.dir}/a", 1]}
          expect: x < 1
    `,
      {PORT: '9000', SUBDIR: 'demo', TITLE: 'no', TOKEN: 's3cret'},
    )
    expect(gate.title).toBe('${env.TITLE}')
    expect(gate.services[0]).toMatchObject({
      command: 'serve --token s3cret',
      cwd: `${PROJECT}/demo`,
      env: {DATA: `${PROJECT}/gates/data`, DEBUG: 'true', PORT: '8080'},
      ready: {http: 'http://127.0.0.1:9000/'},
    })
    expect(gate.targets[0]!.with).toEqual({headers: {authorization: 'Bearer s3cret'}, paths: [`${PROJECT}/gates/a`, 1]})
  })

  it('expands ${args.*} from --arg, else the default, and records the values', () => {
    const text = yaml`
      version: 1
      args:
        db: {default: state.sqlite, description: which database}
        rows: {default: 1000}
      services:
        api: {command: "serve --db \${args.db}", ready: {http: "http://127.0.0.1:1/"}}
      targets: [{id: a, validator: db, with: {url: "\${args.db}", n: "\${args.rows}"}, expect: x < 1}]
    `
    const byDefault = load(text)
    expect(byDefault.args).toEqual({db: 'state.sqlite', rows: '1000'})
    expect(byDefault.targets[0]!.with).toEqual({n: '1000', url: 'state.sqlite'})
    const given = parseGate(Buffer.from(text), GATE_FILE, {
      args: {db: 'postgres://127.0.0.1:5432/x'},
      cwd: PROJECT,
      env: {},
    })
    expect(given.targets[0]!.with).toEqual({n: '1000', url: 'postgres://127.0.0.1:5432/x'})
    expect(given.services[0]!.command).toBe('serve --db postgres://127.0.0.1:5432/x')
  })

  it('rejects an --arg the gate does not declare, and an arg with no value, at their places', () => {
    const text = yaml`
      version: 1
      args: {db: {}, rows: {default: 5}}
      targets: [{id: a, validator: db, with: {url: "\${args.db}"}, expect: x < 1}]
    `
    let error: unknown
    try {
      parseGate(Buffer.from(text), GATE_FILE, {args: {row: '7'}, cwd: PROJECT, env: {}})
    } catch (caught) {
      error = caught
    }

    expect((error as GateConfigError).issues.map((issue) => format(issue))).toEqual([
      '2:7 --arg row is not an argument of this gate — did you mean --arg rows=...?',
      `3:${columnOf(text, 3, '"${') + 1} argument db has no value — pass --arg db=VALUE, or give it a default under ` +
        `args.db`,
    ])
  })

  it('never expands what a variable holds', () => {
    const gate = load(
      yaml`
      version: 1
      targets: [{id: a, validator: http, with: {x: "\${env.A}"}, expect: x < 1}]
    `,
      {A: '${env.B} ${gate.dir}'},
    )
    expect(gate.targets[0]!.with).toEqual({x: '${env.B} ${gate.dir}'})
  })

  it('takes the project root from a gates/ folder, else the gate directory', () => {
    const text = 'version: 1\ntargets: [{id: a, validator: v, expect: x < 1}]\n'
    expect(parseGate(Buffer.from(text), GATE_FILE, {cwd: PROJECT, env: {}})).toMatchObject({
      dir: `${PROJECT}/gates`,
      root: PROJECT,
    })
    expect(parseGate(Buffer.from(text), '/somewhere/g.yaml', {cwd: '/', env: {}})).toMatchObject({
      dir: '/somewhere',
      root: '/somewhere',
    })
  })

  it('gives each target its own with: even when an alias shares it', () => {
    const gate = load(yaml`
      version: 1
      targets:
        - {id: a, validator: v, with: &opts {n: 1}, expect: x < 1}
        - {id: b, validator: v, with: *opts, expect: x < 1}
    `)
    gate.targets[0]!.with.n = 2
    expect(gate.targets[1]!.with).toEqual({n: 1})
  })
})
