// Checks a gate document against gateSchema and says what is wrong in plain words, one message per place.
import type {ErrorObject} from 'ajv'

import {DURATION_EXPECTED, formatPath, labelOf, listWords, mustBe, type Problem} from './problem.js'
import type {GateDocument} from './schema.js'
import {nearest} from '../engine/suggest.js'
import {parsePointer} from '../json-path.js'
import {precompiledValidator} from '../lazy.js'
import type {DocPath} from './types.js'

type SchemaNode = Record<string, unknown>

// Keywords that constrain one value: every failure of them at one place becomes a single "must be ..." message.
const VALUE_KEYWORDS = new Set([
  'const',
  'enum',
  'exclusiveMaximum',
  'exclusiveMinimum',
  'format',
  'maxItems',
  'maxLength',
  'maximum',
  'minItems',
  'minLength',
  'minimum',
  'multipleOf',
  'pattern',
  'type',
  'uniqueItems',
])
// Keywords whose own error explains the errors of their subschemas.
const EXPLAINING_KEYWORDS = new Set(['anyOf', 'oneOf', 'propertyNames'])

/** What a value of a kind (a schema's `title`) must be, where the schema's keywords would read badly. */
const KIND_PHRASES: Readonly<Record<string, string>> = {
  duration: DURATION_EXPECTED,
  'env-name': 'an environment variable name: letters, digits and "_", not starting with a digit',
  expectations: 'an expectation such as "p95(latency) < 100ms", or a list of them',
  slug: 'a slug: lowercase letters, digits, "-", "_" or "."',
}

/**
 * gateSchema compiled ahead of time by ajv (standalone code, the same from src/config/ and dist/config/):
 * compiling it on every gate load took ~40-60 ms of start-up. test/unit/config/schema.test.ts generates it
 * and fails when it is stale.
 */
export const GATE_VALIDATOR_FILE = new URL('../../schemas/gate-v1.validate.cjs', import.meta.url)

const gateValidator = precompiledValidator<GateDocument>(GATE_VALIDATOR_FILE)

/** Checks `data` against the gate schema, filling in the schema's defaults in place. */
export function checkSchema(data: unknown): {document?: GateDocument; problems: Problem[]} {
  const validate = gateValidator()
  return validate(data) ? {document: data, problems: []} : {problems: schemaProblems(validate.errors ?? [])}
}

/**
 * Turns ajv errors (from a schema compiled with `verbose: true`) into problems: unknown keys with
 * the nearest valid key, missing keys at their mapping, one "must be ..." per value, and one
 * message for an anyOf/oneOf instead of one per branch.
 */
export function schemaProblems(errors: readonly ErrorObject[]): Problem[] {
  const explaining = groupBy(
    errors.filter((error) => EXPLAINING_KEYWORDS.has(error.keyword)),
    (error) => error.instancePath,
  )
  const kept = errors.filter((error) => !explainedByAnother(error, explaining))
  const required = groupBy(
    kept.filter((error) => error.keyword === 'required'),
    (error) => error.instancePath,
  )
  const problems = new Map<string, Problem>()
  for (const error of kept) {
    const problem =
      error.keyword === 'required' ? missingKeys(required.get(error.instancePath) ?? [error]) : describeError(error)
    problems.set(JSON.stringify([problem.path, problem.key, problem.message]), problem)
  }

  return [...problems.values()]
}

function groupBy<T>(items: readonly T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>()
  for (const item of items) {
    const key = keyOf(item)
    const group = groups.get(key)
    if (group) group.push(item)
    else groups.set(key, [item])
  }

  return groups
}

/** An error inside an anyOf/oneOf/propertyNames that failed at the same place or above is told by that error. */
function explainedByAnother(error: ErrorObject, explaining: ReadonlyMap<string, readonly ErrorObject[]>): boolean {
  for (let place = error.instancePath; ; place = place.slice(0, place.lastIndexOf('/'))) {
    if (explaining.get(place)?.some((other) => error.schemaPath.startsWith(`${other.schemaPath}/`))) return true
    if (place === '') return false
  }
}

function describeError(error: ErrorObject): Problem {
  const path = parsePointer(error.instancePath)
  const parent = (error.parentSchema ?? {}) as SchemaNode
  switch (error.keyword) {
    case 'additionalProperties':
      return unknownKey(path, String(error.params.additionalProperty), parent)
    case 'propertyNames':
      return badName(path, String(error.params.propertyName), error.schema as SchemaNode)
    case 'anyOf':
    case 'oneOf':
      return alternatives(path, error, parent)
    default:
      if (VALUE_KEYWORDS.has(error.keyword)) return {path, message: mustBe(path, expectedOf(parent), error.data)}
      return {path, message: `${labelOf(path)} ${error.message ?? 'is not valid'}`}
  }
}

function unknownKey(path: DocPath, key: string, parent: SchemaNode): Problem {
  const known = Object.keys((parent.properties ?? {}) as SchemaNode)
  const guess = nearest(key, known)
  const hint = guess ? `did you mean "${guess}"?` : known.length > 0 ? `valid keys: ${known.join(', ')}` : undefined
  return {
    path: [...path, key],
    key: true,
    message: `unknown key "${key}" in ${formatPath(path)}`,
    ...(hint ? {hint} : {}),
  }
}

/** All keys missing from one mapping, in one message at the mapping. */
function missingKeys(errors: readonly ErrorObject[]): Problem {
  const path = parsePointer(errors[0]?.instancePath ?? '')
  const parent = (errors[0]?.parentSchema ?? {}) as SchemaNode
  const keys = errors.map((error) => String(error.params.missingProperty))
  const quoted = listWords(
    keys.map((key) => `"${key}"`),
    'and',
  )
  const hint = keys.length === 1 ? descriptionOf(((parent.properties ?? {}) as SchemaNode)[keys[0]!]) : undefined
  // A named mapping (services.api) is best shown at its name; a list item or the file at its start.
  const atName = typeof path.at(-1) === 'string'
  return {
    path,
    ...(atName ? {key: true} : {}),
    message: `missing required key${keys.length === 1 ? '' : 's'} ${quoted} in ${formatPath(path)}`,
    ...(hint ? {hint} : {}),
  }
}

function badName(path: DocPath, name: string, namesSchema: SchemaNode): Problem {
  const hint = descriptionOf(namesSchema)
  return {
    path: [...path, name],
    key: true,
    message: `"${name}" is not a valid name in ${formatPath(path)}`,
    ...(hint ? {hint} : {}),
  }
}

function alternatives(path: DocPath, error: ErrorObject, parent: SchemaNode): Problem {
  const branches = (error.schema ?? []) as SchemaNode[]
  const keys = branches.map(requiredOnly)
  if (keys.every((key) => key !== undefined)) {
    const quoted = listWords(keys.map((key) => `"${key}"`))
    const tooMany = error.keyword === 'oneOf' && Array.isArray(error.params.passingSchemas)
    const hint = descriptionOf(parent)
    return {
      path,
      message: `${labelOf(path)} ${tooMany ? 'takes only one of' : 'needs one of'} ${quoted}`,
      ...(hint ? {hint} : {}),
    }
  }

  const expected = listWords(branches.map((branch) => expectedOf(branch)))
  return {path, message: mustBe(path, expected, error.data)}
}

/** The key a branch like `{required: ['log']}` asks for. */
function requiredOnly(branch: SchemaNode): string | undefined {
  const required = branch.required
  return Object.keys(branch).length === 1 && Array.isArray(required) && required.length === 1
    ? String(required[0])
    : undefined
}

/** "a number ≥ 0", "one of "error" or "warn"", "a duration like 30s, 2m or 500ms". */
function expectedOf(schema: SchemaNode): string {
  const phrase = typeof schema.title === 'string' ? KIND_PHRASES[schema.title] : undefined
  if (phrase) return phrase
  if ('const' in schema) return JSON.stringify(schema.const)
  if (Array.isArray(schema.enum)) return `one of ${listWords(schema.enum.map((value) => JSON.stringify(value)))}`
  const types = Array.isArray(schema.type)
    ? (schema.type as string[])
    : typeof schema.type === 'string'
      ? [schema.type]
      : []
  return types.length > 0 ? listWords(types.map((type) => typePhrase(type, schema))) : 'valid'
}

function typePhrase(type: string, schema: SchemaNode): string {
  switch (type) {
    case 'integer':
    case 'number':
      return [type === 'integer' ? 'an integer' : 'a number', ...bounds(schema)].join(' ')
    case 'string':
      return Number(schema.minLength) >= 1 ? 'a non-empty string' : 'a string'
    case 'boolean':
      return 'true or false'
    case 'object':
      return 'a mapping'
    case 'array':
      return Number(schema.minItems) >= 1 ? 'a non-empty list' : 'a list'
    default:
      return type
  }
}

function bounds(schema: SchemaNode): string[] {
  const limits: Array<[string, string]> = [
    ['minimum', '≥'],
    ['exclusiveMinimum', '>'],
    ['maximum', '≤'],
    ['exclusiveMaximum', '<'],
  ]
  const parts = limits
    .filter(([keyword]) => typeof schema[keyword] === 'number')
    .map(([keyword, sign]) => `${sign} ${String(schema[keyword])}`)
  return parts.length > 0 ? [parts.join(' and ')] : []
}

function descriptionOf(schema: unknown): string | undefined {
  const description = (schema as SchemaNode | undefined)?.description
  return typeof description === 'string' ? description : undefined
}
