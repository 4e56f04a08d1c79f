import {Ajv2020} from 'ajv/dist/2020.js'
import standaloneCode from 'ajv/dist/standalone/index.js'
import fc from 'fast-check'
import {readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {describe, expect, it} from 'vitest'

import {GATE_VALIDATOR_FILE} from '../../../src/config/schema-check.js'
import {gateSchema} from '../../../src/config/schema.js'
import {UNITS, parseDuration} from '../../../src/engine/units.js'
import {REPO} from './helpers.js'

type Node = Record<string, unknown>

/** Every subschema with the path that leads to it, e.g. properties.targets.items.properties.id. */
function subschemas(schema: Node, at = ''): Array<[string, Node]> {
  const children: Array<[string, Node]> = []
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, Node>))
    children.push([`${at}.${name}`, child])
  for (const keyword of ['items', 'additionalProperties', 'propertyNames'] as const) {
    const child = schema[keyword]
    if (child && typeof child === 'object') children.push([`${at}[${keyword}]`, child as Node])
  }

  return [[at, schema], ...children.flatMap(([childAt, child]) => subschemas(child, childAt))]
}

describe('gateSchema', () => {
  it('compiles under ajv strict mode', () => {
    expect(() =>
      new Ajv2020({allowUnionTypes: true, strict: true, strictRequired: false}).compile(gateSchema),
    ).not.toThrow()
  })

  it('has the keys of format version 1', () => {
    const properties = gateSchema.properties
    expect(Object.keys(properties)).toEqual([
      'version',
      'gate',
      'title',
      'decision',
      'args',
      'secrets',
      'defaults',
      'build',
      'services',
      'targets',
      'next_phase',
    ])
    expect(Object.keys(properties.decision.properties)).toEqual(['min_consensus', 'confidence', 'seed', 'resamples'])
    expect(Object.keys(properties.defaults.properties)).toEqual(['timeout'])
    expect(Object.keys(properties.services.additionalProperties.properties)).toEqual([
      'command',
      'cwd',
      'env',
      'ready',
      'stop_timeout',
    ])
    expect(Object.keys(properties.services.additionalProperties.properties.ready.properties)).toEqual([
      'log',
      'http',
      'timeout',
    ])
    expect(Object.keys(properties.targets.items.properties)).toEqual([
      'id',
      'title',
      'validator',
      'with',
      'expect',
      'weight',
      'required',
      'level',
      'timeout',
      'quality',
      'allow_remote',
      'owner',
      'notes',
      'recommendation',
      'risk',
    ])
  })

  it('describes every property, for editors', () => {
    const undescribed = subschemas(gateSchema)
      .filter(([, schema]) => typeof schema.description !== 'string')
      .map(([at]) => at)
    expect(undescribed).toEqual([])
  })

  it('closes every mapping except with:, env: and the args and services maps', () => {
    const open = subschemas(gateSchema)
      .filter(([, schema]) => schema.type === 'object' && schema.additionalProperties !== false)
      .map(([at]) => at)
    expect(open).toEqual(['.args', '.services', '.services[additionalProperties].env', '.targets[items].with'])
  })

  it('is published in schemas/ as it is in the code', () => {
    const file = path.join(REPO, 'schemas/gate-v1.schema.json')
    const text = `${JSON.stringify(gateSchema, null, 2)}\n`
    // Regenerate with: UPDATE_SCHEMAS=1 npx vitest run test/unit/config/schema.test.ts
    if (process.env.UPDATE_SCHEMAS) writeFileSync(file, text)
    expect(readFileSync(file, 'utf8')).toBe(text)
  })

  it('is precompiled in schemas/ for the CLI as it is in the code', () => {
    // strictRequired is off because `ready`'s anyOf branches require keys defined beside them, which that check cannot
    // see.
    const ajv = new Ajv2020({
      allErrors: true,
      allowUnionTypes: true,
      code: {source: true},
      strict: true,
      strictRequired: false,
      useDefaults: true,
      verbose: true,
    })
    const text =
      `// Generated from src/config/schema.ts by test/unit/config/schema.test.ts (ajv standalone code); ` +
      `do not edit.\n${standaloneCode.default(ajv, ajv.compile(gateSchema))}\n`
    // Regenerate with: UPDATE_SCHEMAS=1 npx vitest run test/unit/config/schema.test.ts
    if (process.env.UPDATE_SCHEMAS) writeFileSync(GATE_VALIDATOR_FILE, text)
    expect(readFileSync(GATE_VALIDATOR_FILE, 'utf8')).toBe(text)
  })
})

describe('the duration pattern', () => {
  const pattern = new RegExp(gateSchema.properties.defaults.properties.timeout.pattern, 'u')
  const piece = fc.constantFrom(
    ...Object.keys(UNITS),
    '',
    ' ',
    '-',
    '.',
    'e',
    'e+',
    '0',
    '1',
    '05',
    '2.5',
    'min',
    'sec',
    'ms ',
    'x',
  )
  const text = fc.array(piece, {maxLength: 5}).map((pieces) => pieces.join(''))

  it('accepts only what parseDuration reads', () => {
    fc.assert(fc.property(text, (duration) => !pattern.test(duration) || parseDuration(duration) !== null))
  })

  it('accepts every non-negative duration parseDuration reads', () => {
    fc.assert(
      fc.property(
        text,
        (duration) => duration.includes('-') || parseDuration(duration) === null || pattern.test(duration),
      ),
    )
  })
})
