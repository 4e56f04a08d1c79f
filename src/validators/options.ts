import {Ajv, type ErrorObject, type Options, type ValidateFunction} from 'ajv'

import type {DocPath, GateConfig, SourcePosition, TargetConfig} from '../config/types.js'
import {checkExpectation, type Expectation} from '../engine/expectation.js'
import {nearest} from '../engine/suggest.js'
import type {ConfigIssue} from '../errors.js'
import {parsePointer} from '../json-path.js'
import {precompiledValidator} from '../lazy.js'
import type {RegisteredValidator} from './registry.js'
import type {MetricSpec, Validator} from './types.js'

/** Stands in for `${services.NAME.url}` while checking options: the real URL exists only once services run. */
export const SERVICE_URL_PLACEHOLDER = 'http://127.0.0.1:1'

/**
 * How options schemas are checked; schemas/draft-07.validate.cjs is generated with the same. useDefaults: the same
 * compiled schema both checks `with:` and fills in what the user left out.
 */
export const OPTIONS_AJV: Options = {
  allErrors: true,
  allowUnionTypes: true,
  strict: true,
  useDefaults: true,
  verbose: true,
}
// validateSchema off: optionsChecker runs checkOptionsSchema first, so ajv need not compile the meta-schema.
const ajv = new Ajv({...OPTIONS_AJV, validateSchema: false})
// ajv-formats is not a dependency; "uri" is the one format validator schemas need, and strict mode rejects unknown
// formats.
ajv.addFormat('uri', {type: 'string', validate: (text: string) => URL.canParse(text)})

const compiled = new WeakMap<Validator, ValidateFunction>()

/**
 * JSON Schema draft-07's meta-schema compiled ahead of time by ajv (standalone code): compiling it took
 * ~30-40 ms of every run's start-up. test/unit/validators/options.test.ts generates it and fails when it is stale.
 */
export const META_VALIDATOR_FILE = new URL('../../schemas/draft-07.validate.cjs', import.meta.url)

const metaSchemaValidator = precompiledValidator(META_VALIDATOR_FILE)

/**
 * Throws when the validator's options schema breaks JSON Schema's meta-schema (a plugin bug), without
 * compiling it: every installed validator is registered on every run, and compiling all their schemas
 * took ~150 ms of a trivial check's start-up. Strict-mode mistakes surface when the schema is compiled.
 */
export function checkOptionsSchema(validator: Validator): void {
  const schema = validator.options
  // A schema that names its meta-schema goes to ajv, which knows draft-07 only and says so for others.
  if ((schema as {$schema?: unknown}).$schema !== undefined) return void ajv.validateSchema(schema, true)
  const metaSchema = metaSchemaValidator()
  // The message ajv's compile gave for the same schema.
  if (!metaSchema(schema))
    throw new Error(
      `schema is ` +
        `invalid: ${(metaSchema.errors ?? []).map((error) => `data${error.instancePath} ${error.message}`).join(', ')}`,
    )
}

/**
 * The validator's options schema, compiled on first use and once; throws when the schema itself is broken (a plugin
 * bug).
 */
export function optionsChecker(validator: Validator): ValidateFunction {
  let check = compiled.get(validator)
  if (!check) {
    checkOptionsSchema(validator)
    check = ajv.compile(validator.options)
    compiled.set(validator, check)
  }

  return check
}

/** One problem with a target's `with:`; `path` is inside `with`. */
export interface OptionProblem {
  path: DocPath
  message: string
  hint?: string
}

/** Checks `options` against the validator's schema and returns a copy with the schema's defaults filled in. */
export function resolveOptions(
  validator: Validator,
  options: unknown,
): {options: Record<string, unknown>; problems: OptionProblem[]} {
  const copy = structuredClone(options ?? {}) as Record<string, unknown>
  const check = optionsChecker(validator)
  if (check(copy)) return {options: copy, problems: []}
  return {options: copy, problems: (check.errors ?? []).map((error) => describeOptionError(error, validator.name))}
}

/** The metrics a validator reports for these (already resolved) options. */
export function metricSpecs(validator: Validator, options: Record<string, unknown>): MetricSpec[] {
  return typeof validator.metrics === 'function' ? validator.metrics(options) : validator.metrics
}

/**
 * Everything about the targets that needs the validators: each target's validator exists, its
 * `with:` fits the validator's schema, and its expectations name metrics, statistics and units
 * that fit what the validator reports. Each issue points at the exact node in the gate file.
 */
/**
 * `unavailable`: plugins that failed to load; while there are any, an unknown validator may be theirs, so its target is
 * left to be NO_DATA at run time instead.
 */
export function checkTargetOptions(
  gate: GateConfig,
  validators: ReadonlyMap<string, RegisteredValidator>,
  unavailable: readonly string[] = [],
): ConfigIssue[] {
  return gate.targets.flatMap((target) =>
    checkTarget(target, validators, unavailable, (path) => locateNearest(gate, ['targets', target.index, ...path])),
  )
}

function checkTarget(
  target: TargetConfig,
  validators: ReadonlyMap<string, RegisteredValidator>,
  unavailable: readonly string[],
  at: (path: DocPath) => SourcePosition | undefined,
): ConfigIssue[] {
  const registered = validators.get(target.validator)
  if (!registered)
    return unavailable.length > 0 ? [] : [unknownValidator(target.validator, [...validators.keys()], at(['validator']))]
  const {plugin, validator} = registered
  let resolved: ReturnType<typeof resolveOptions>
  try {
    resolved = resolveOptions(validator, withPlaceholders(target.with))
  } catch (error) {
    // The schema is compiled only now, for the validators a gate uses; a plugin bug, but it stops this gate.
    return [
      issue(
        at(['validator']),
        `validator "${validator.name}" of plugin ${plugin} cannot check its options: its options schema is not ` +
          `valid: ${(error as Error).message}`,
      ),
    ]
  }

  const {options, problems} = resolved
  if (problems.length > 0) return problems.map(({hint, message, path}) => issue(at(['with', ...path]), message, hint))
  let specs: MetricSpec[]
  try {
    specs = metricSpecs(validator, options)
  } catch (error) {
    // Options that each fit the schema but not together (artifact: `path` and `metrics` both given).
    return [issue(at(['with']), `validator "${validator.name}": ${(error as Error).message}`)]
  }

  return target.expect.flatMap((expression, index) => {
    const problem = checkAgainstMetrics(expression, specs)
    return problem ? [issue(at(['expect', index]), problem.message)] : []
  })
}

function checkAgainstMetrics(expression: Expectation, specs: MetricSpec[]): {message: string} | undefined {
  const message = checkExpectation(
    expression,
    specs.find((spec) => spec.name === expression.metric),
    specs.map((spec) => spec.name),
  )
  return message === null ? undefined : {message}
}

function unknownValidator(name: string, installed: string[], position: SourcePosition | undefined): ConfigIssue {
  const guess = nearest(name, installed)
  const list = installed.length > 0 ? `installed: ${[...installed].sort().join(', ')}` : 'no validators are installed'
  return issue(position, `unknown validator "${name}"`, `${guess ? `did you mean "${guess}"? ` : ''}${list}`)
}

function issue(position: SourcePosition | undefined, message: string, hint?: string): ConfigIssue {
  return {message, ...(position ? {position} : {}), ...(hint ? {hint} : {})}
}

/** The position of `path`, or of its nearest ancestor when the node is absent (a missing required option). */
function locateNearest(gate: GateConfig, path: DocPath): SourcePosition | undefined {
  for (let length = path.length; length >= 0; length--) {
    try {
      return gate.locate(path.slice(0, length))
    } catch {
      // Absent node: try its parent.
    }
  }

  return undefined
}

/** A deep copy with every `${services.NAME.url}` replaced, so URL-typed options still validate. */
export function withPlaceholders(value: unknown): unknown {
  if (typeof value === 'string') return value.replaceAll(/\$\{services\.[^}]*\}/g, SERVICE_URL_PLACEHOLDER)
  if (Array.isArray(value)) return value.map((item) => withPlaceholders(item))
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, withPlaceholders(item)]))
  }

  return value
}

/** Turns an ajv error into words about the user's option, with the option's description as the hint. */
function describeOptionError(error: ErrorObject, validator: string): OptionProblem {
  const path = parsePointer(error.instancePath)
  const name = (parts: DocPath): string => parts.join('.')
  const description = (schema: unknown): string | undefined =>
    (schema as {description?: string} | undefined)?.description
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = (error.params as {additionalProperty: string}).additionalProperty
      const known = Object.keys((error.parentSchema?.properties ?? {}) as Record<string, unknown>)
      const guess = nearest(key, known)
      const list =
        known.length > 0 ? `${path.length === 0 ? `"${validator}" takes` : 'allowed'}: ${known.join(', ')}` : undefined
      return {
        hint: [guess ? `did you mean "${guess}"?` : undefined, list].filter(Boolean).join(' ') || undefined,
        message: `unknown option "${name([...path, key])}" for validator "${validator}"`,
        path: [...path, key],
      }
    }

    case 'required': {
      const key = (error.params as {missingProperty: string}).missingProperty
      const properties = (error.parentSchema?.properties ?? {}) as Record<string, unknown>
      return {
        hint: description(properties[key]),
        message: `validator "${validator}" needs option "${name([...path, key])}"`,
        path,
      }
    }

    case 'enum':
      return {
        hint: description(error.parentSchema),
        message:
          `option "${name(path)}" is ${JSON.stringify(error.data)}; it must be one ` +
          `of: ${(error.schema as unknown[]).map(String).join(', ')}`,
        path,
      }

    case 'pattern':
    case 'format':
      return {
        hint: description(error.parentSchema),
        message: `option "${name(path)}" is not valid: ${JSON.stringify(error.data)}`,
        path,
      }

    default: {
      const subject = path.length === 0 ? `options of validator "${validator}"` : `option "${name(path)}"`
      return {hint: description(error.parentSchema), message: `${subject} ${error.message ?? 'is not valid'}`, path}
    }
  }
}
