import {_, Ajv} from 'ajv'
import standaloneCode from 'ajv/dist/standalone/index.js'
import {readFileSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {fileURLToPath} from 'node:url'
import {describe, expect, it} from 'vitest'

import type {DocPath, GateConfig, SourcePosition, TargetConfig} from '../../../src/config/types.js'
import {createRedactor} from '../../../src/redact.js'
import {builtinValidators} from '../../../src/validators/builtin.js'
import {
  checkOptionsSchema,
  checkTargetOptions,
  META_VALIDATOR_FILE,
  OPTIONS_AJV,
  OPTIONS_VALIDATORS_FILE,
  optionsChecker,
  URI_FORMAT,
  SERVICE_URL_PLACEHOLDER,
  withPlaceholders,
} from '../../../src/validators/options.js'
import {registerValidators} from '../../../src/validators/registry.js'
import {defineValidator} from '../../../src/validators/types.js'
import {parseExpectation} from '../../../src/engine/expectation.js'

// A validator with a URL option, as http-like plugins have.
const probe = defineValidator<{url: string}>({
  collect: async () => ({kind: 'measured', metrics: {}, source: 'probe'}),
  description: 'probe',
  metrics: [{description: '', dimension: 'duration', name: 'latency', type: 'samples'}],
  name: 'probe',
  options: {
    additionalProperties: false,
    properties: {url: {format: 'uri', type: 'string'}},
    required: ['url'],
    type: 'object',
  },
})

const {validators} = registerValidators([{plugin: 'phasegate', result: [...builtinValidators, probe]}])

/**
 * A gate whose locate() puts every node on its own line: line = position in `nodes`, so each
 * issue can be traced to the exact path. Paths not listed are absent from the file (locate throws).
 */
/** Expectations as written; the gate file's loader parses them (a syntax error never reaches these checks). */
type TargetSketch = Omit<Partial<TargetConfig>, 'expect'> & {expect?: string[]; validator: string}

function gateWith(targets: TargetSketch[], nodes: string[]): GateConfig {
  const locate = (path: DocPath): SourcePosition => {
    const line = nodes.indexOf(path.join('.'))
    if (line < 0) throw new Error(`no node at ${path.join('.')}`)
    return {column: 3, file: 'gates/g.yaml', line: line + 1}
  }

  return {
    args: {},
    decision: {confidence: 0.95, minConsensus: 0.85, resamples: 2000, seed: 1},
    defaults: {timeoutMs: 120_000},
    dir: '/project/gates',
    file: '/project/gates/g.yaml',
    locate,
    name: 'g',
    nextPhase: [],
    redactor: createRedactor([]),
    root: '/project',
    secrets: [],
    services: [],
    sha256: '',
    targets: targets.map(({expect = [], ...target}, index) => ({
      allowRemote: false,
      expect: expect.map((text) => parseExpectation(text)),
      id: `t${index}`,
      index,
      level: 'error',
      required: false,
      timeoutMs: 1000,
      title: '',
      weight: 1,
      with: {},
      ...target,
    })),
    title: 'g',
    version: 1,
  }
}

/** Issues as "line: message — hint" with the node path instead of the line number. */
function check(gate: GateConfig, nodes: string[]): string[] {
  return checkTargetOptions(gate, validators).map(
    ({hint, message, position}) =>
      `${position ? nodes[position.line - 1] : '?'}: ${message}${hint ? ` — ${hint}` : ''}`,
  )
}

describe('checkTargetOptions', () => {
  it('accepts the shipped smoke gate targets', () => {
    const nodes = ['targets.0']
    const gate = gateWith(
      [
        {
          expect: ['p95(duration) < 500ms', 'failures == 0', 'p95(rss) < 100MiB'],
          validator: 'command',
          with: {run: 'node -e 0', runs: 20, warmup: 2},
        },
      ],
      nodes,
    )
    expect(check(gate, nodes)).toEqual([])
  })

  it('names the nearest validator and the installed ones for an unknown validator', () => {
    const nodes = ['targets.0', 'targets.0.validator', 'targets.1.validator']
    const gate = gateWith([{validator: 'comand'}, {validator: 'fleet'}], nodes)
    expect(check(gate, nodes)).toEqual([
      'targets.0.validator: unknown validator "comand" — did you mean "command"? installed: artifact, claim, ' +
        'command, http, probe, prometheus',
      'targets.1.validator: unknown validator "fleet" — installed: artifact, claim, command, http, probe, prometheus',
    ])
  })

  it('points at the exact option, suggesting the nearest key for an unknown one', () => {
    const nodes = [
      'targets.0',
      'targets.0.with',
      'targets.0.with.run',
      'targets.0.with.rns',
      'targets.0.with.timeout',
      'targets.0.with.env.A',
    ]
    const gate = gateWith([{validator: 'command', with: {env: {A: 1}, rns: 5, run: 'true', timeout: 'sixty'}}], nodes)
    expect(check(gate, nodes)).toEqual([
      'targets.0.with.rns: unknown option "rns" for validator "command" — did you mean "runs"? ' +
        '"command" takes: cwd, env, memory, printed, run, runs, timeout, warmup',
      'targets.0.with.env.A: option "env.A" must be string — Quote numbers and booleans: "1", "true".',
      'targets.0.with.timeout: option "timeout" is not valid: "sixty" — Limit for each run; a run over it is killed ' +
        'and counts as a failure. A duration such as 500ms, 60s or 2m.',
    ])
  })

  it('puts a missing required option at the nearest node that exists', () => {
    const nodes = ['targets.0']
    const gate = gateWith([{validator: 'claim', with: {metric: 'x', value: '3s'}}], nodes)
    expect(check(gate, nodes)).toEqual([
      'targets.0: validator "claim" needs option "source" — Who claims it and where, e.g. "vendor report, 2025-10-09".',
    ])
  })

  it('lists what an enum allows', () => {
    const nodes = ['targets.0.with.dimension']
    const gate = gateWith([{validator: 'claim', with: {dimension: 'speed', metric: 'x', source: 's', value: 3}}], nodes)
    expect(check(gate, nodes)[0]).toMatch(
      new RegExp(
        String.raw`^targets\.0\.with\.dimension: option "dimension" is "speed"; it must be one of: duration, size, ` +
          String.raw`ratio, proportion, rate, count — `,
      ),
    )
  })

  it('validates options holding ${services.NAME.url} with a placeholder URL', () => {
    const nodes = ['targets.0', 'targets.1.with.url']
    const gate = gateWith(
      [
        {validator: 'probe', with: {url: '${services.demo.url}/health'}},
        {validator: 'probe', with: {url: 'not a url'}},
      ],
      nodes,
    )
    expect(check(gate, nodes)).toEqual(['targets.1.with.url: option "url" is not valid: "not a url"'])
    expect(withPlaceholders({a: ['${services.x.url}/p'], b: 2})).toEqual({a: [`${SERVICE_URL_PLACEHOLDER}/p`], b: 2})
  })

  it('says which formats an artifact can read', () => {
    const nodes = ['targets.0.with.format']
    const gate = gateWith(
      [{validator: 'artifact', with: {file: 'x.csv', format: 'csv', metric: 'm', path: 'a'}}],
      nodes,
    )
    expect(check(gate, nodes)).toEqual([
      'targets.0.with.format: option "format" is "csv"; it must be one of: json, ndjson, k6, autocannon, hyperfine, ' +
        'junit — The tool that wrote the file: json (any JSON), ndjson (one JSON value per line), k6 (a k6 ' +
        'summary), autocannon (--json), hyperfine (--export-json) or junit (JUnit XML).',
    ])
  })

  it('reports options that fit the schema but not together, at `with`', () => {
    const nodes = ['targets.0.with']
    const gate = gateWith(
      [{validator: 'artifact', with: {file: 'x.json', metric: 'm', metrics: {n: {path: 'b'}}, path: 'a'}}],
      nodes,
    )
    expect(check(gate, nodes)).toEqual([
      'targets.0.with: validator "artifact": give either `path` and `metric` (one metric) or `metrics` (several), ' +
        'not both',
    ])
  })

  it('checks each expectation against the metrics the validator reports for these options', () => {
    const nodes = [
      'targets.0.expect.0',
      'targets.0.expect.1',
      'targets.0.expect.2',
      'targets.0.expect.3',
      'targets.1.expect.0',
    ]
    const gate = gateWith(
      [
        {
          expect: ['p95(duraton) < 1s', 'duration < 1s', 'p95(rss) < 100ms', 'p95(duration) < 1s'],
          validator: 'command',
          with: {run: 'true'},
        },
        {
          expect: ['p95(refresh_latency) < 1s'],
          validator: 'claim',
          with: {metric: 'refresh_latency', source: 'vendor', value: '850ms'},
        },
      ],
      nodes,
    )
    const issues = check(gate, nodes)
    expect(issues).toHaveLength(4)
    expect(issues[0]).toBe(
      'targets.0.expect.0: unknown metric "duraton" — did you mean "duration"? (it reports duration, rss, failures, ' +
        'memory_per_instance, memory_per_second, leak)',
    )
    expect(issues[1]).toMatch(/^targets\.0\.expect\.1: "duration" has many samples, so a bare "duration" is ambiguous/)
    expect(issues[2]).toBe('targets.0.expect.2: "p95(rss)" is a size but 100ms is a duration; they cannot be compared')
    expect(issues[3]).toMatch(
      /^targets\.1\.expect\.0: "refresh_latency" is a single value, so p95\(refresh_latency\) does not fit/,
    )
  })

  it("stops a gate at the validator when its plugin's options schema fails only when compiled (strict mode)", () => {
    const odd = defineValidator({
      ...probe,
      name: 'odd',
      options: {type: 'object', properties: {n: {type: 'number', unknownKeyword: true}}},
    })
    const registered = registerValidators([{plugin: 'gate-validator-odd', result: [odd]}])
    expect(registered.warnings).toEqual([])
    const nodes = ['targets.0.validator']
    expect(
      checkTargetOptions(gateWith([{validator: 'odd'}], nodes), registered.validators).map(({message}) => message),
    ).toEqual([
      expect.stringMatching(
        new RegExp(
          String.raw`^validator "odd" of plugin gate-validator-odd cannot check its options: its options schema is ` +
            String.raw`not valid: strict mode: unknown keyword: "unknownKeyword"`,
        ),
      ),
    ])
  })
})

describe("the built-in validators' options schemas, compiled ahead of time", () => {
  it('are in schemas/options.validate.cjs as ajv compiles them, each with the schema it was made from', () => {
    // The same check as URI_FORMAT, as code the generated module carries.
    const formats = _`{uri: {type: "string", validate: (text) => URL.canParse(text)}}`
    const ajv = new Ajv({...OPTIONS_AJV, code: {formats, source: true}})
    ajv.addFormat('uri', URI_FORMAT)
    for (const validator of builtinValidators) ajv.addSchema(validator.options, validator.name)
    const code = standaloneCode.default(ajv, Object.fromEntries(builtinValidators.map(({name}) => [name, name])))
    const schemas = Object.fromEntries(builtinValidators.map(({name, options}) => [name, JSON.stringify(options)]))
    const text =
      `// Generated from the built-in validators' options schemas by test/unit/validators/options.test.ts (ajv ` +
      `standalone code); do not edit.\nconst validators = (() => {\nconst exports = {};\n${code}\nreturn exports\n` +
      `})();\nmodule.exports = {schemas: ${JSON.stringify(schemas)}, validators};\n`
    // Regenerate with: UPDATE_SCHEMAS=1 npx vitest run test/unit/validators/options.test.ts
    if (process.env.UPDATE_SCHEMAS) writeFileSync(OPTIONS_VALIDATORS_FILE, text)
    expect(readFileSync(OPTIONS_VALIDATORS_FILE, 'utf8')).toBe(text)
  })

  it('check and fill in options as the compiled schema does, and a changed schema is compiled again', () => {
    const http = builtinValidators.find(({name}) => name === 'http')!
    const precompiled = optionsChecker(http)
    const generated = createRequire(import.meta.url)(fileURLToPath(OPTIONS_VALIDATORS_FILE)) as {
      validators: Record<string, unknown>
    }
    expect(precompiled).toBe(generated.validators.http)
    // The same schema with its keys in another order: the text no longer matches, so it is compiled at run time.
    const changed = {...http, options: Object.fromEntries(Object.entries(http.options).reverse())}
    const compiled = optionsChecker(changed)
    expect(compiled).not.toBe(precompiled)
    for (const options of [{url: 'http://127.0.0.1:1/'}, {url: 'not a url'}, {}, {url: 'http://127.0.0.1:1/', x: 1}]) {
      const [a, b] = [structuredClone(options), structuredClone(options)]
      expect(precompiled(a)).toBe(compiled(b))
      expect(a).toEqual(b)
      expect(precompiled.errors ?? null).toEqual(compiled.errors ?? null)
    }
  })
})

describe('checkOptionsSchema', () => {
  it("uses draft-07's meta-schema precompiled in schemas/ as ajv compiles it", () => {
    const ajv = new Ajv({...OPTIONS_AJV, code: {source: true}})
    const text =
      `// Generated from ajv's JSON Schema draft-07 meta-schema by test/unit/validators/options.test.ts ` +
      `(ajv standalone code); do not ` +
      `edit.\n${standaloneCode.default(ajv, ajv.getSchema('http://json-schema.org/draft-07/schema')!)}\n`
    // Regenerate with: UPDATE_SCHEMAS=1 npx vitest run test/unit/validators/options.test.ts
    if (process.env.UPDATE_SCHEMAS) writeFileSync(META_VALIDATOR_FILE, text)
    expect(readFileSync(META_VALIDATOR_FILE, 'utf8')).toBe(text)
  })

  it('says what ajv says about a schema that breaks the meta-schema, with or without $schema', () => {
    const broken = {properties: {a: {type: 'strng'}}, type: 'object'}
    const ajvSays = (schema: object): string => {
      try {
        new Ajv(OPTIONS_AJV).compile(schema)
        return 'compiled'
      } catch (error) {
        return (error as Error).message
      }
    }
    for (const options of [
      broken,
      {$schema: 'http://json-schema.org/draft-07/schema#', ...broken},
      {$schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object'},
    ]) {
      expect(() => checkOptionsSchema({...probe, options} as never)).toThrow(ajvSays(options))
    }
    expect(() => checkOptionsSchema(probe)).not.toThrow()
  })
})
