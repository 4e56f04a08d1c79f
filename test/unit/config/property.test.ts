import fc from 'fast-check'
import {readFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'
import {parse, stringify} from 'yaml'

import {parseGate} from '../../../src/config/load.js'
import type {DocPath} from '../../../src/config/types.js'
import {UserError} from '../../../src/errors.js'
import {FIXTURES, GATE_FILE, PROJECT, REPO} from './helpers.js'

const EXAMPLE = readFileSync(path.join(REPO, FIXTURES, 'phase-2.yaml'), 'utf8')
const ENV = {HOME: '/home/me', X: '1'}

/**
 * Loads `text` and checks the one promise made about any input: a GateConfig, or a UserError
 * whose issues all say something and point inside the file. Anything else thrown fails the property.
 */
function loadsOrExplains(text: string, probe: DocPath = []): boolean {
  const lines = text.split('\n').length
  try {
    const gate = parseGate(Buffer.from(text), GATE_FILE, {cwd: PROJECT, env: ENV})
    expect(gate.targets.length).toBeGreaterThan(0)
    expect(gate.locate(probe).line).toBeGreaterThanOrEqual(1)
    return true
  } catch (error) {
    if (!(error instanceof UserError)) throw error
    expect(error.describe()).toContain(error.message)
    for (const issue of error.issues) {
      expect(issue.message.length).toBeGreaterThan(0)
      if (!issue.position) continue
      expect(issue.position.file).toBe('gates/test.yaml')
      expect(issue.position.line).toBeGreaterThanOrEqual(1)
      expect(issue.position.line).toBeLessThanOrEqual(lines + 1)
      expect(issue.position.column).toBeGreaterThanOrEqual(1)
    }

    return true
  }
}

// Characters and fragments that mean something to YAML, to interpolation or to the expectation grammar.
const SNIPPETS = [
  '[',
  ']',
  '{',
  '}',
  ',',
  ': ',
  '- ',
  '? ',
  '&a ',
  '*a',
  '*b',
  '!!binary ',
  '!tag ',
  '.nan',
  '.inf',
  '~',
  'null',
  '-1',
  '1e999',
  '${',
  '}',
  '${env.X}',
  '${env.NOPE}',
  '${gate.dir}',
  '${services.demo.url}',
  '${services.x.url}',
  '${eval(1)}',
  '"',
  "'",
  "''",
  '\\',
  '\\"',
  '\t',
  '\n',
  '\n  ',
  '#',
  '|\n',
  '>-\n',
  '---\n',
  '...\n',
  '%YAML 1.1\n',
  '<<: *a\n',
  'p95(',
  ')',
  '>=',
  '=>',
  ' 100ms',
  '90%',
  'µs',
  'baseline',
  'expect:',
  'expct:',
  'required: true',
  'level: warn',
  'weight: -1',
  'targets:',
  'id: a',
  'validator: v',
  'timeout: fast',
  '\u0000',
  '\uFEFF',
  'é',
  '💥',
]
const snippet = fc.constantFrom(...SNIPPETS)

type Mutation = (text: string) => string
const position = (text: string, at: number) => Math.floor(at * (text.length + 1))
const lineOf = (text: string, at: number) => Math.floor(at * text.split('\n').length)
const fraction = fc.double({max: 0.999_999, min: 0, noNaN: true})

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fraction, snippet).map(
    ([at, piece]): Mutation =>
      (text) =>
        text.slice(0, position(text, at)) + piece + text.slice(position(text, at)),
  ),
  fc.tuple(fraction, fc.integer({max: 40, min: 1})).map(
    ([at, length]): Mutation =>
      (text) =>
        text.slice(0, position(text, at)) + text.slice(position(text, at) + length),
  ),
  fc.tuple(fraction, fraction).map(([a, b]): Mutation => (text) => {
    const lines = text.split('\n')
    const [i, j] = [lineOf(text, a), lineOf(text, b)]
    ;[lines[i], lines[j]] = [lines[j]!, lines[i]!]
    return lines.join('\n')
  }),
  fc.tuple(fraction, fc.integer({max: 4, min: -4})).map(([at, shift]): Mutation => (text) => {
    const lines = text.split('\n')
    const i = lineOf(text, at)
    lines[i] = shift >= 0 ? ' '.repeat(shift) + lines[i] : lines[i]!.slice(-shift)
    return lines.join('\n')
  }),
  fraction.map((at): Mutation => (text) => {
    const lines = text.split('\n')
    lines.splice(lineOf(text, at), 0, lines[lineOf(text, at)]!)
    return lines.join('\n')
  }),
)

/** A path into the example gate's data, to replace or delete what is there. */
const docPath = fc.array(
  fc.oneof(
    fc.constantFrom(
      'version',
      'gate',
      'title',
      'decision',
      'defaults',
      'services',
      'targets',
      'demo',
      'ready',
      'log',
      'env',
      'with',
      'expect',
      'id',
      'weight',
      'timeout',
      'min_consensus',
    ),
    fc.nat({max: 3}),
  ),
  {maxLength: 5, minLength: 1},
)

function setAt(data: unknown, at: DocPath, value: unknown): unknown {
  const [step, ...rest] = at
  if (step === undefined) return value
  if (data === null || typeof data !== 'object') return data
  const copy = (Array.isArray(data) ? [...data] : {...data}) as Record<string | number, unknown>
  if (value === undefined && rest.length === 0) delete copy[step]
  else copy[step] = setAt(copy[step], rest, value)
  return copy
}

describe('any input gives a GateConfig or a UserError with places, never a crash', () => {
  it('text made of YAML-significant pieces', () => {
    fc.assert(
      fc.property(fc.array(snippet, {maxLength: 60}), (pieces) => loadsOrExplains(pieces.join(''))),
      {numRuns: 500},
    )
  })

  it('arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({maxLength: 300, unit: 'binary'}), (text) => loadsOrExplains(text)),
      {numRuns: 300},
    )
  })

  it('the example gate with its text mutated', () => {
    fc.assert(
      fc.property(fc.array(mutation, {maxLength: 6, minLength: 1}), docPath, (mutations, probe) =>
        loadsOrExplains(
          mutations.reduce((text, mutate) => mutate(text), EXAMPLE),
          probe,
        ),
      ),
      {numRuns: 500},
    )
  })

  it('the example gate with values replaced or removed', () => {
    const value = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({maxDepth: 3}),
      snippet,
      fc.constantFrom(0, -1, 0.5, 1, 2, 1e9, '2m', 'warn', 'x < 1', ['x < 1'], {}, []),
    )
    fc.assert(
      fc.property(fc.array(fc.tuple(docPath, value), {maxLength: 4, minLength: 1}), docPath, (edits, probe) => {
        const data = edits.reduce<unknown>(
          (current, [at, replacement]) => setAt(current, at, replacement),
          parse(EXAMPLE),
        )
        return loadsOrExplains(stringify(data) ?? '', probe)
      }),
      {numRuns: 500},
    )
  })
})
