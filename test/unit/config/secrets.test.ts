import {describe, expect, it} from 'vitest'

import {columnOf, format, load, problems, rejection, yaml} from './helpers.js'

const GATE = yaml`
  version: 1
  secrets: [API_TOKEN, PGPASSWORD, NOT_SET]
  targets:
    - id: api
      validator: http
      with: {url: "http://127.0.0.1:3000/", headers: {authorization: "Bearer \${env.API_TOKEN}"}}
      expect: p95(latency) < 100ms
`

describe('secrets: in a gate file', () => {
  it("names the variables, and the gate's redactor hides their values as set when it was loaded", () => {
    const gate = load(GATE, {API_TOKEN: 'tok3n-XYZ', PGPASSWORD: 'pg-pass-1'})
    expect(gate.secrets).toEqual(['API_TOKEN', 'PGPASSWORD', 'NOT_SET'])
    expect(gate.targets[0]!.with.headers).toEqual({authorization: 'Bearer tok3n-XYZ'})
    expect(gate.redactor.text('Bearer tok3n-XYZ, pg-pass-1')).toBe('Bearer ***, ***')
    expect(gate.redactor.warnings).toEqual([])
  })

  it('defaults to none: nothing but URL passwords is redacted', () => {
    const gate = load(GATE.replace(/^secrets:.*\n/m, ''), {API_TOKEN: 'tok3n-XYZ'})
    expect(gate.secrets).toEqual([])
    expect(gate.redactor.text('tok3n-XYZ redis://:pw@127.0.0.1')).toBe('tok3n-XYZ redis://:***@127.0.0.1')
  })

  it('warns about a value too short to redact', () => {
    expect(load(GATE, {API_TOKEN: 'abc'}).redactor.warnings).toEqual([
      'secret API_TOKEN is shorter than 4 characters, so it is not redacted from the output',
    ])
  })

  it('rejects a name that is not an environment variable name, at its line', () => {
    expect(problems(GATE.replace('NOT_SET', '1BAD'), {API_TOKEN: 'tok3n-XYZ'})).toEqual([
      `2:${columnOf(GATE, 2, 'NOT_SET')} secrets[2] must be an environment variable name: letters, digits and "_", ` +
        `not starting with a digit (got "1BAD")`,
    ])
  })

  it(
    'keeps the secret out of a configuration error that quotes an interpolated value, even when another key is ' +
      'wrong too',
    () => {
      const text = yaml`
      version: 1
      secrets: [API_TOKEN]
      services:
        api: {command: "node server.js", ready: {http: "\${env.API_TOKEN}"}}
      targets:
        - id: api
          validator: http
          with: {url: "\${services.api.url}"}
          expect: p95(latency) < 100ms
    `
      const error = rejection(text, {API_TOKEN: 'tok3n-XYZ'})
      const shown = error.issues.map((issue) => format(issue))
      expect(shown).toEqual([`4:${columnOf(text, 4, '"${')} "http" must be an http:// or https:// URL (got "***")`])
      expect(rejection(`${text}bogus: 1\n`, {API_TOKEN: 'tok3n-XYZ'}).describe()).not.toContain('tok3n-XYZ')
    },
  )
})
