import {describe, expect, it} from 'vitest'

import {parseGate} from '../../../src/config/load.js'
import {MAX_GATE_BYTES} from '../../../src/config/source.js'
import {GateConfigError} from '../../../src/errors.js'
import {GATE_FILE, PROJECT, VALID, columnOf, format, problems, rejection, yaml} from './helpers.js'

describe('unknown keys', () => {
  it('points at the typo and suggests the nearest key of that mapping', () => {
    const text = yaml`
      version: 1
      targets:
        - id: api
          validator: http
          expct: p95(latency) < 100ms
    `
    expect(problems(text)).toEqual([
      '3:5 missing required key "expect" in targets[0] — Expectation(s) that must all hold, e.g. "p95(latency) < ' +
        '100ms" or "error_rate < 1%".',
      '5:5 unknown key "expct" in targets[0] — did you mean "expect"?',
    ])
  })

  it('suggests keys of the mapping the typo is in, swapped letters included', () => {
    const text = yaml`
      version: 1
      titel: Release
      decision: {min_consensus: 0.9, confidance: 0.99}
      services:
        api: {command: serve, ready: {htpt: "http://127.0.0.1:1/"}}
      targets: [{id: a, validator: v, expect: x < 1, wieght: 2}]
    `
    expect(problems(text)).toEqual([
      '2:1 unknown key "titel" in the gate file — did you mean "title"?',
      `3:${columnOf(text, 3, 'confidance')} unknown key "confidance" in decision — did you mean "confidence"?`,
      `5:${columnOf(text, 5, '{htpt')} "ready" needs one of "log" or "http" — How to tell that the service is up: a ` +
        `line in its output (log), an HTTP URL that answers (http), or both in that order.`,
      `5:${columnOf(text, 5, 'htpt')} unknown key "htpt" in services.api.ready — did you mean "http"?`,
      `6:${columnOf(text, 6, 'wieght')} unknown key "wieght" in targets[0] — did you mean "weight"?`,
    ])
  })

  it('lists the valid keys when nothing is close', () => {
    const text = yaml`
      version: 1
      defaults: {retries: 3}
      targets: [{id: a, validator: v, expect: x < 1}]
    `
    expect(problems(text)).toEqual([
      `2:${columnOf(text, 2, 'retries')} unknown key "retries" in defaults — valid keys: timeout`,
    ])
  })

  it('accepts any key inside with: and env:, which other schemas check', () => {
    expect(() =>
      parseGate(
        Buffer.from(yaml`
      version: 1
      services: {api: {command: x, ready: {log: up}, env: {ANY_NAME: "1"}}}
      targets: [{id: a, validator: v, with: {anything: {nested: [1]}}, expect: x < 1}]
    `),
        GATE_FILE,
        {cwd: PROJECT, env: {}},
      ),
    ).not.toThrow()
  })
})

describe('wrong types and values', () => {
  it('says what the value must be and what it got, at the value', () => {
    const text = yaml`
      version: 2
      decision:
        min_consensus: 85%
        confidence: 1
        resamples: 50
        seed: 1.5
      defaults:
        timeout: fast
      targets:
        - id: Fleet Allocation
          validator: fleet
          expect: allocated_agents >= 1000
          weight: high
          required: "yes"
          level: fatal
          quality: 0
    `
    expect(problems(text)).toEqual([
      '1:10 "version" must be 1 (got 2)',
      '3:18 "min_consensus" must be a number ≥ 0 and ≤ 1 (got "85%")',
      '4:15 "confidence" must be a number > 0.5 and < 1 (got 1)',
      '5:14 "resamples" must be an integer ≥ 100 and ≤ 1000000 (got 50)',
      '6:9 "seed" must be an integer (got 1.5)',
      '8:12 "timeout" must be a duration like 30s, 2m or 500ms (got "fast")',
      '10:9 "id" must be a slug: lowercase letters, digits, "-", "_" or "." (got "Fleet Allocation")',
      '13:13 "weight" must be a number ≥ 0 (got "high")',
      '14:15 "required" must be true or false (got "yes")',
      '15:12 "level" must be one of "error" or "warn" (got "fatal")',
      '16:14 "quality" must be a number > 0 and ≤ 1 (got 0)',
    ])
  })

  it('gives one message for a value that fails several rules', () => {
    const text = yaml`
      version: 1
      targets:
        - {id: a, validator: v, expect: [], timeout: -5}
        - {id: b, validator: v, expect: 42}
        - {id: c, validator: v, expect: [x < 1, 7]}
    `
    expect(problems(text)).toEqual([
      `3:${columnOf(text, 3, '[]')} "expect" must be an expectation such as "p95(latency) < 100ms", or a list of ` +
        `them (got an empty list)`,
      `3:${columnOf(text, 3, '-5')} "timeout" must be a duration like 30s, 2m or 500ms (got -5)`,
      `4:${columnOf(text, 4, '42')} "expect" must be an expectation such as "p95(latency) < 100ms", or a list of ` +
        `them (got 42)`,
      `5:${columnOf(text, 5, '7]')} expect[1] must be a non-empty string (got 7)`,
    ])
  })

  it('rejects names that ${services.NAME.url} and ${env.NAME} could not spell', () => {
    const text = yaml`
      version: 1
      services:
        my api: {command: x, ready: {log: up}, env: {"1X": "y"}}
      targets: [{id: a, validator: v, expect: x < 1}]
    `
    expect(problems(text)).toEqual([
      '3:3 "my api" is not a valid name in services — Letters, digits, "_" and "-", starting with a letter or "_", ' +
        'so ${services.NAME.url} can name it.',
      `3:${columnOf(text, 3, '"1X"')} "1X" is not a valid name in services.my api.env — Letters, digits and "_", ` +
        `not starting with a digit.`,
    ])
  })

  it('rejects .nan and .inf where a number is expected', () => {
    const text = yaml`
      version: 1
      targets: [{id: a, validator: v, expect: x < 1, weight: .nan, timeout: .inf}]
    `
    expect(problems(text)).toEqual([
      `2:${columnOf(text, 2, '.nan')} "weight" must be a number ≥ 0 (got NaN)`,
      `2:${columnOf(text, 2, '.inf')} "timeout" must be a duration like 30s, 2m or 500ms (got Infinity)`,
    ])
  })
})

describe('missing keys', () => {
  it('names every missing key at the mapping that lacks it', () => {
    const text = yaml`
      gate: release
      services:
        api:
          ready: {timeout: 10s}
      targets:
        - title: nothing else
    `
    expect(problems(text)).toEqual([
      '1:1 missing required key "version" in the gate file — Format version of this file. Always 1.',
      '3:3 missing required key "command" in services.api — Shell command line that starts the service, run from ' +
        'the project root in its own process group. ${env.NAME}, ${args.NAME} and ${gate.dir} are expanded.',
      `4:${columnOf(text, 4, '{')} "ready" needs one of "log" or "http" — How to tell that the service is up: a ` +
        `line in its output (log), an HTTP URL that answers (http), or both in that order.`,
      '6:5 missing required keys "id", "validator" and "expect" in targets[0]',
    ])
  })

  it('needs at least one target', () => {
    expect(problems('version: 1\ntargets: []\n')).toEqual([
      '2:10 "targets" must be a non-empty list (got an empty list)',
    ])
    expect(problems('version: 1\n')).toEqual([
      '1:1 missing required key "targets" in the gate file — What must hold for the gate to pass, each measured by ' +
        'a validator.',
    ])
  })

  it('points at the key of an empty value', () => {
    const text = yaml`
      version: 1
      targets:
        - id: a
          validator: v
          expect:
    `
    expect(problems(text)).toEqual([
      '5:5 "expect" must be an expectation such as "p95(latency) < 100ms", or a list of them (got an empty value)',
    ])
  })
})

describe('expectations', () => {
  it('points at the bad token of a plain scalar', () => {
    const text = yaml`
      version: 1
      targets:
        - id: a
          validator: v
          expect:
            - p95(latency) => 100ms
            - p99(latency) < 100 parsecs
            - pp95(latency) < 1s
    `
    expect(problems(text)).toEqual([
      `6:${columnOf(text, 6, '=>')} expected an operator (< <= > >= == !=) after "p95(latency)", found "=>" — write >=`,
      `7:${columnOf(text, 7, 'parsecs')} unknown unit "parsecs" — use ns us µs ms s m h B KB MB GB KiB MiB GiB % x ` +
        `/s or no unit`,
      `8:${columnOf(text, 8, 'pp95')} unknown statistic "pp95" — use min max mean median stddev count sum rate p50 ` +
        `p90 p95 p99 p99.9 or pN`,
    ])
  })

  it('accounts for quotes and escapes', () => {
    const text = [
      'version: 1',
      'targets:',
      '  - id: a',
      '    validator: v',
      '    expect:',
      "      - 'latency''s < 1'",
      '      - "p95(latency) \\"<\\" 100ms"',
      '      - "p95(\\u006Catency) < 1 parsecs"',
      "  - {id: b, validator: v, expect: 'x < 5 bogons'}",
    ].join('\n')
    const issues = problems(text).map((issue) => issue.split(' ')[0])
    expect(issues).toEqual([
      `6:${columnOf(text, 6, "''")}`,
      `7:${columnOf(text, 7, '\\"<')}`,
      `8:${columnOf(text, 8, 'parsecs')}`,
      `9:${columnOf(text, 9, 'bogons')}`,
    ])
  })

  it('points into folded and literal block scalars', () => {
    const text = yaml`
      version: 1
      targets:
        - id: a
          validator: v
          expect:
            - >-
              p95(latency)
              < 1 parsecs
            - |-
              max(rss) <= 1 GiBs
    `
    expect(problems(text).map((issue) => issue.split(' ')[0])).toEqual([
      `8:${columnOf(text, 8, 'parsecs')}`,
      `10:${columnOf(text, 10, 'GiBs')}`,
    ])
  })
})

describe('interpolation', () => {
  it('accepts only ${env.NAME}, ${args.NAME}, ${gate.dir} and ${services.NAME.url}, pointing at the ${', () => {
    const text = yaml`
      version: 1
      services:
        api: {command: "serve \${HOME} \${process.exit(1)}", ready: {log: "on (?<url>\\\\S+)"}}
      targets:
        - {id: a, validator: v, with: {url: "\${services.api}", x: "\${services.api.url"}, expect: x < 1}
    `
    expect(problems(text)).toEqual([
      `3:${columnOf(text, 3, '${HOME}')} "\${HOME}" cannot be expanded — did you mean \${env.HOME}? a gate file ` +
        `expands only \${env.NAME}, \${args.NAME}, \${gate.dir} and \${services.NAME.url}`,
      `3:${columnOf(text, 3, '${process')} "\${process.exit(1)}" cannot be expanded — a gate file expands only ` +
        `\${env.NAME}, \${args.NAME}, \${gate.dir} and \${services.NAME.url}`,
      `5:${columnOf(text, 5, '${services.api}')} "\${services.api}" cannot be expanded — did you mean ` +
        `\${services.api.url}? a gate file expands only \${env.NAME}, \${args.NAME}, \${gate.dir} and ` +
        `\${services.NAME.url}`,
      `5:${columnOf(text, 5, '${services.api.url')} "\${" is not closed — end it with "}": a gate file expands only ` +
        `\${env.NAME}, \${args.NAME}, \${gate.dir} and \${services.NAME.url}`,
    ])
  })

  it('names a missing environment variable and says to set it', () => {
    const text = yaml`
      version: 1
      targets:
        - id: a
          validator: v
          with: {token: "Bearer \${env.API_TOKEN}", user: "\${env.USER_NAME}"}
          expect: x < 1
    `
    expect(problems(text, {USER_NAME: 'me'})).toEqual([
      `5:${columnOf(text, 5, '${env.API_TOKEN}')} environment variable API_TOKEN is not set — set API_TOKEN before ` +
        `running the gate, e.g. API_TOKEN=... gate check`,
    ])
  })

  it('checks ${services.NAME.url} against the services the gate defines', () => {
    const text = yaml`
      version: 1
      services:
        demo: {command: serve, ready: {log: "listening on (?<url>http://\\\\S+)"}}
        quiet: {command: serve, ready: {log: "started"}}
      targets:
        - {id: a, validator: v, with: {url: "\${services.dmeo.url}/x"}, expect: x < 1}
        - {id: b, validator: v, with: {url: "\${services.quiet.url}"}, expect: x < 1}
        - {id: c, validator: v, with: {url: "\${services.zzz.url}"}, expect: x < 1}
    `
    expect(problems(text)).toEqual([
      `6:${columnOf(text, 6, '${')} unknown service "dmeo" in \${services.dmeo.url} — did you mean "demo"?`,
      `7:${columnOf(text, 7, '${')} service "quiet" has no URL for \${services.quiet.url} — give its ready.log a ` +
        `named group such as (?<url>http://\\S+), or set ready.http`,
      `8:${columnOf(text, 8, '${')} unknown service "zzz" in \${services.zzz.url} — services defined: demo, quiet`,
    ])
  })
})

describe('meaning', () => {
  it('rejects duplicate target ids at the repeat', () => {
    const text = yaml`
      version: 1
      targets:
        - {id: api, validator: v, expect: x < 1}
        - {id: db, validator: v, expect: x < 1}
        - {id: api, validator: v, expect: x < 1}
    `
    expect(problems(text)).toEqual([
      `5:${columnOf(text, 5, 'api')} duplicate target id "api" — targets[0] already uses it; ids must be unique`,
    ])
  })

  it('rejects a required target with level: warn', () => {
    const text = yaml`
      version: 1
      targets:
        - {id: a, validator: v, expect: x < 1, required: true, level: warn}
    `
    expect(problems(text)).toEqual([
      `3:${columnOf(text, 3, 'warn')} a required target cannot have level: warn — required targets must PASS while ` +
        `warn targets never block: drop "required: true" or "level: warn"`,
    ])
  })

  it('rejects ready.log patterns that are not regular expressions and ready.http that is not a URL', () => {
    const text = yaml`
      version: 1
      services:
        api: {command: serve, ready: {log: "listening (on", http: "localhost:80"}}
      targets: [{id: a, validator: v, expect: x < 1}]
    `
    expect(problems(text)).toEqual([
      `3:${columnOf(text, 3, '"listening')} "log" is not a valid regular expression (Unterminated group) — it is a ` +
        `JavaScript regular expression: escape ( ) [ ] { } . * + ? with \\ to match them literally`,
      `3:${columnOf(text, 3, '"localhost')} "http" must be an http:// or https:// URL (got "localhost:80")`,
    ])
  })

  it('rejects a gate whose targets all weigh nothing', () => {
    expect(problems('version: 1\ntargets: [{id: a, validator: v, expect: x < 1, weight: 0}]\n')).toEqual([
      '2:10 every target has weight 0, so there is no consensus to compute — give at least one target a positive ' +
        'weight',
    ])
  })
})

describe('YAML', () => {
  it('reports syntax errors at their place', () => {
    const text = yaml`
      version: 1
      targets:
        - id: a
         validator: v
    `
    expect(problems(text)).toEqual(['4:1 YAML: Sequence item without - indicator'])
  })

  it('reports an unclosed bracket', () => {
    const issues = problems('version: 1\ntargets: [{id: a, validator: v, expect: x < 1}\n')
    expect(issues).toEqual([
      '3:1 YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ])
  })

  it('rejects duplicate keys at the repeat, with everything else', () => {
    const text = yaml`
      version: 1
      targets:
        - id: a
          validator: v
          expect: x < 1
          validator: w
          weight: -1
    `
    expect(problems(text)).toEqual([
      '6:5 duplicate key "validator" — a key may appear once in a mapping',
      '7:13 "weight" must be a number ≥ 0 (got -1)',
    ])
  })

  it('rejects tags, tabs, several documents and keys that are not names', () => {
    expect(problems('version: !!binary aGk=\ntargets: []\n')).toEqual([
      '1:10 unsupported tag !!binary — gate files hold plain values: remove the tag',
    ])
    expect(problems('version: 1\ntargets:\n\t- id: a\n')[0]).toMatch(/^3:1 .* — indent with spaces, not tabs$/)
    expect(problems(`${VALID}---\n${VALID}`)).toEqual([
      '7:1 more than one YAML document — a gate file holds one document: remove the second "---"',
    ])
    expect(problems('version: 1\n? [a, b]\n: 1\n')).toEqual([
      '2:3 a key must be a plain name, not a list or a mapping — quote it if it is meant as text',
    ])
  })

  it('rejects documents that are not a mapping', () => {
    expect(problems('# only a comment\n')).toEqual([
      'the gate file is empty — a gate file is a mapping: version: 1, then targets: and the other keys (see `gate ' +
        'schema`)',
    ])
    expect(problems('- version: 1\n')[0]).toMatch(/^1:1 the gate file holds a list, not a mapping of keys/)
    expect(problems('just text\n')[0]).toMatch(/^1:1 the gate file holds a single value, not a mapping of keys/)
  })

  it('reads __proto__ as a plain (unknown) key and pollutes nothing', () => {
    const text = yaml`
      version: 1
      __proto__: {polluted: true}
      targets: [{id: a, validator: v, with: {__proto__: {polluted: true}}, expect: x < 1}]
    `
    expect(problems(text)).toEqual([
      '2:1 unknown key "__proto__" in the gate file — valid keys: ' +
        'version, gate, title, decision, args, secrets, defaults, build, services, targets, next_phase',
    ])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
  })
})

describe('hostile input', () => {
  it('rejects an alias bomb without expanding it', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for (let level = 1; level < 10; level++)
      levels.push(
        `l${level}: &l${level} [${Array(9)
          .fill(level === 1 ? '*a' : `*l${level - 1}`)
          .join(',')}]`,
      )
    const text = `version: 1\n${levels.join('\n')}\ntargets: *l9\n`
    expect(problems(text)).toEqual([
      `3:${columnOf(text, 3, '*a')} aliases expand into too much data — use fewer nested aliases (*name)`,
    ])
  })

  it('rejects many aliases of big nodes, which the alias check of yaml lets through', () => {
    const anchors = Array.from({length: 20}, (_, k) => `a${k}: &a${k} [${Array(200).fill(1).join(',')}]`)
    const text =
      `version: 1\n${anchors.join('\n')}\ntargets: ` +
      `[${anchors.flatMap((_, k) => Array(50).fill(`*a${k}`)).join(',')}]\n`
    expect(problems(text)[0]).toMatch(
      /^\d+:\d+ the data holds more than 100000 values once aliases are expanded — use fewer aliases/,
    )
    const many = `version: 1\na: &a 1\ntargets: [${Array(1001).fill('*a').join(',')}]\n`
    expect(problems(many)).toEqual([
      `3:${11 + 1000 * 3} the file uses more than 1000 aliases — a gate needs only a few aliases (*name)`,
    ])
  })

  it('rejects an alias that contains itself and one without an anchor', () => {
    const cycle = 'version: 1\ntargets: &t [{id: a, validator: v, expect: x < 1, with: {self: *t}}]\n'
    expect(problems(cycle)).toEqual([
      `2:${columnOf(cycle, 2, '*t')} an alias refers to a node that contains it — aliases may only repeat a ` +
        `finished node`,
    ])
    expect(problems('version: 1\ntargets: *nothing\n')).toEqual([
      '2:10 alias *nothing names no anchor — define &nothing before using it',
    ])
  })

  it('rejects deep nesting before parsing it', () => {
    const flow = `version: 1\ntargets: ${'['.repeat(10_000)}${']'.repeat(10_000)}\n`
    // The block mapping is one level, so the 64th bracket (at column 10 + 63) is one too many.
    expect(problems(flow)).toEqual([
      `2:${10 + 63} the file nests more than 64 levels deep — a gate needs only a few levels; check the brackets ` +
        `and indentation`,
    ])
    const block = `version: 1\ntargets:\n${'- '.repeat(10_000)}x\n`
    expect(problems(block)[0]).toMatch(/^3:1 the file nests more than 64 levels deep/)
    const stairs = Array.from({length: 100}, (_, depth) => `${' '.repeat(depth)}k${depth}:`).join('\n')
    expect(problems(stairs)[0]).toMatch(/^6\d:\d+ the file nests more than 64 levels deep/)
  })

  it('does not count brackets inside quotes or comments', () => {
    const text =
      `version: 1\n# ${'['.repeat(100)}\ntargets: [{id: a, validator: v, expect: x < 1, with: {re: ` +
      `'${'['.repeat(100)}', s: "${'{'.repeat(100)}"}}]\n`
    expect(() => parseGate(Buffer.from(text), GATE_FILE, {cwd: PROJECT, env: {}})).not.toThrow()
  })

  it('rejects a file over the size limit before reading it as YAML', () => {
    const error = rejection(`${VALID}# ${'x'.repeat(MAX_GATE_BYTES)}\n`)
    expect(error.issues.map((issue) => format(issue))).toEqual([
      `the file is ${Math.ceil((VALID.length + MAX_GATE_BYTES + 3) / 1024)} KiB; a gate file may be at most 256 KiB ` +
        `— keep data in files that validators read (artifact) and list only targets here`,
    ])
  })

  it('reports at most 50 problems of a file that is not a gate at all', () => {
    const text = Array.from({length: 500}, (_, index) => `key${index}: ${index}`).join('\n')
    const error = rejection(text)
    expect(error.issues).toHaveLength(51)
    expect(error.issues.at(-1)!.message).toBe('… and 451 more problems')
  })
})

describe('reporting', () => {
  it('collects every problem, sorted by line, in one error that names the file', () => {
    const text = yaml`
      version: 1
      targets:
        - id: b
          validator: v
          expect: p95(x) =< 1ms
          with: {u: "\${env.MISSING}"}
          wieght: 1
        - id: b
          validator: v
          expect: x < 1
          level: severe
    `
    const error = rejection(text)
    expect(error).toBeInstanceOf(GateConfigError)
    expect(error.message).toBe('gates/test.yaml: 5 problems in the gate file; nothing was measured.')
    expect(error.issues.map((issue) => issue.position?.line)).toEqual([5, 6, 7, 8, 11])
    expect(error.issues.every((issue) => issue.position?.file === 'gates/test.yaml')).toBe(true)
    expect(error.describe().split('\n')[1]).toBe(
      `  gates/test.yaml:5:${columnOf(text, 5, '=<')}: expected an operator (< <= > >= == !=) after "p95(x)", found ` +
        `"=<" — write <=`,
    )
  })
})
