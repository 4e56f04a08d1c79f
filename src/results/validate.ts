import {readFileSync} from 'node:fs'

import type {ErrorObject, ValidateFunction} from 'ajv/dist/2020.js'

import {UserError} from '../errors.js'
import {ajv2020} from '../lazy.js'
import {RESULTS_SCHEMA_ID, type RunResults} from './types.js'

/** The published schema file, resolved the same way from src/results/ and dist/results/. */
export const RESULTS_SCHEMA_FILE = new URL('../../schemas/results-v1.schema.json', import.meta.url)

/** A results file that cannot be read as RunResults: names the first bad place, e.g. `targets[2].status`. */
export class ResultsFileError extends UserError {
  readonly path: string
  constructor(path: string, problem: string, source = 'results') {
    super(`${source}: not a valid phasegate results file (${RESULTS_SCHEMA_ID}): ${path}: ${problem}`)
    this.name = 'ResultsFileError'
    this.path = path
  }
}

let compiled: ValidateFunction | undefined

/** Compiled once per process; the schema is a file so it ships with the package as a public contract. */
function schemaValidator(): ValidateFunction {
  if (compiled) return compiled
  const schema = JSON.parse(readFileSync(RESULTS_SCHEMA_FILE, 'utf8')) as {$id?: string}
  if (schema.$id !== RESULTS_SCHEMA_ID)
    throw new Error(`${RESULTS_SCHEMA_FILE.pathname}: $id is ${schema.$id}, expected ${RESULTS_SCHEMA_ID}`)
  compiled = new (ajv2020().Ajv2020)({allErrors: false, strict: true}).compile(schema)
  return compiled
}

/** Checks `data` against the results schema and the cross-references a schema cannot express. */
export function validateResults(data: unknown, source?: string): RunResults {
  const validate = schemaValidator()
  if (!validate(data)) {
    const error = validate.errors?.[0]
    if (!error) throw new ResultsFileError('(root)', 'does not match the schema', source)
    const {path, problem} = describeSchemaError(error, data)
    throw new ResultsFileError(path, problem, source)
  }
  const results = data as RunResults
  const problem = firstInconsistency(results)
  if (problem) throw new ResultsFileError(problem.path, problem.problem, source)
  return results
}

/** Parses and validates the text of a saved run; a truncated or hand-edited file gets a clear message. */
export function parseResults(text: string, source?: string): RunResults {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (error) {
    throw new ResultsFileError('(root)', `not JSON (${(error as Error).message})`, source)
  }
  return validateResults(data, source)
}

function firstInconsistency(results: RunResults): undefined | {path: string; problem: string} {
  const ids = new Set<string>()
  for (const [index, target] of results.targets.entries()) {
    if (ids.has(target.id))
      return {path: `targets[${index}].id`, problem: `duplicate target id ${JSON.stringify(target.id)}`}
    ids.add(target.id)
  }
  if (results.decision.consensus !== results.consensus) {
    return {
      path: 'decision.consensus',
      problem: `is ${results.decision.consensus} but consensus is ${results.consensus}`,
    }
  }
  if (results.decision.minConsensus !== results.settings.minConsensus) {
    return {
      path: 'decision.minConsensus',
      problem: `is ${results.decision.minConsensus} but settings.minConsensus is ${results.settings.minConsensus}`,
    }
  }
  for (const list of ['deciding', 'improvements'] as const) {
    const index = results.decision[list].findIndex((id) => !ids.has(id))
    if (index >= 0)
      return {
        path: `decision.${list}[${index}]`,
        problem: `${JSON.stringify(results.decision[list][index])} is not a target id`,
      }
  }
  return undefined
}

function describeSchemaError(error: ErrorObject, data: unknown): {path: string; problem: string} {
  const segments = error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'))
  const params = error.params as Record<string, unknown>
  switch (error.keyword) {
    case 'required':
      return {path: pathText([...segments, String(params.missingProperty)]), problem: 'is missing'}
    case 'additionalProperties':
      return {path: pathText([...segments, String(params.additionalProperty)]), problem: 'is not a known property'}
    case 'enum':
      return {
        path: pathText(segments),
        problem:
          `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, ` +
          `got ${shown(valueAt(data, segments))}`,
      }
    case 'type':
      return {
        path: pathText(segments),
        problem: `must be ${[params.type].flat().join(' or ')}, got ${shown(valueAt(data, segments))}`,
      }
    case 'const':
      return {
        path: pathText(segments),
        problem: `must be ${JSON.stringify(params.allowedValue)}, got ${shown(valueAt(data, segments))}`,
      }
    default:
      return {
        path: pathText(segments),
        problem: `${error.message ?? 'does not match the schema'}, got ${shown(valueAt(data, segments))}`,
      }
  }
}

/** `targets[2].expectations[0].p` from JSON-pointer segments. */
function pathText(segments: string[]): string {
  if (segments.length === 0) return '(root)'
  return segments.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('')
}

function valueAt(data: unknown, segments: string[]): unknown {
  let node = data
  for (const segment of segments)
    node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[segment] : undefined
  return node
}

function shown(value: unknown): string {
  const text =
    value === undefined
      ? 'nothing'
      : Array.isArray(value)
        ? `an array of ${value.length}`
        : value !== null && typeof value === 'object'
          ? 'an object'
          : JSON.stringify(value)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
