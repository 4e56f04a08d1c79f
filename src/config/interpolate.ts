// `${...}` in gate files: exactly four forms, expanded by string replacement and never evaluated.
//   ${env.NAME}          a variable of the environment that runs the gate (expanded at load)
//   ${args.NAME}         a gate argument: --arg NAME=VALUE, else its default (expanded at load)
//   ${gate.dir}          the directory of the gate file (expanded at load)
//   ${services.NAME.url} the URL of a running service (checked at load, expanded once services run)
import {UserError} from '../errors.js'
import {isRecord, type Problem} from './problem.js'
import {ARG_NAME, ENV_NAME, SERVICE_NAME} from './schema.js'
import {nearest} from '../engine/suggest.js'
import type {DocPath} from './types.js'

const PLACEHOLDER = /\$\{([^}]*)\}/g
const ENV_REFERENCE = new RegExp(`^env\\.(${ENV_NAME})$`)
const ARG_REFERENCE = new RegExp(`^args\\.(${ARG_NAME})$`)
const SERVICE_REFERENCE = new RegExp(`^services\\.(${SERVICE_NAME})\\.url$`)
const ALLOWED_FORMS = 'a gate file expands only ${env.NAME}, ${args.NAME}, ${gate.dir} and ${services.NAME.url}'
const URL_HINT = 'give its ready.log a named group such as (?<url>http://\\S+), or set ready.http'

/** Where `${...}` is expanded: the validator's options and how services start. */
const INTERPOLATED: ReadonlyArray<readonly string[]> = [
  ['targets', '*', 'with'],
  ['services', '*', 'command'],
  ['services', '*', 'cwd'],
  ['services', '*', 'env'],
  ['services', '*', 'ready', 'http'],
]

export type Reference =
  {kind: 'env'; name: string} | {kind: 'arg'; name: string} | {kind: 'gate.dir'} | {kind: 'service'; name: string}

/** What a `${...}` refers to, or undefined when it is none of the four forms. */
export function referenceOf(expression: string): Reference | undefined {
  const text = expression.trim()
  if (text === 'gate.dir') return {kind: 'gate.dir'}
  const env = ENV_REFERENCE.exec(text)
  if (env) return {kind: 'env', name: env[1]!}
  const arg = ARG_REFERENCE.exec(text)
  if (arg) return {kind: 'arg', name: arg[1]!}
  const service = SERVICE_REFERENCE.exec(text)
  return service ? {kind: 'service', name: service[1]!} : undefined
}

export interface InterpolationContext {
  env: NodeJS.ProcessEnv
  /** The gate's declared arguments: the value given or defaulted, undefined when it has neither. */
  args: ReadonlyMap<string, string | undefined>
  gateDir: string
  /** The gate's services and whether each will announce a URL. */
  services: ReadonlyMap<string, {hasUrl: boolean}>
}

/** A problem inside one string: `offset` is where its `${` starts. */
export type StringProblem = Omit<Problem, 'path'> & {offset: number}

/** Expands ${env.*}, ${args.*} and ${gate.dir} in `text` and checks ${services.*.url}; anything else is a problem. */
export function interpolateString(
  text: string,
  context: InterpolationContext,
): {text: string; problems: StringProblem[]} {
  const problems: StringProblem[] = []
  let lastEnd = 0
  const expanded = text.replaceAll(PLACEHOLDER, (whole: string, expression: string, offset: number) => {
    lastEnd = offset + whole.length
    const {problem, value} = resolve(whole, expression, context)
    if (problem) problems.push({...problem, offset})
    return value
  })
  const unclosed = text.indexOf('${', lastEnd)
  if (unclosed !== -1)
    problems.push({offset: unclosed, message: '"${" is not closed', hint: `end it with "}": ${ALLOWED_FORMS}`})
  return {problems, text: expanded}
}

function resolve(
  whole: string,
  expression: string,
  context: InterpolationContext,
): {problem?: Omit<Problem, 'path'>; value: string} {
  const reference = referenceOf(expression)
  switch (reference?.kind) {
    case 'gate.dir':
      return {value: context.gateDir}
    case 'env': {
      const value = Object.hasOwn(context.env, reference.name) ? context.env[reference.name] : undefined
      if (typeof value === 'string') return {value}
      return {
        value: whole,
        problem: {
          message: `environment variable ${reference.name} is not set`,
          hint: `set ${reference.name} before running the gate, e.g. ${reference.name}=... gate check`,
        },
      }
    }

    case 'arg':
      return argValue(reference.name, whole, context.args)
    case 'service':
      return {value: whole, ...serviceProblem(reference.name, whole, context.services)}
    default:
      return {value: whole, problem: {message: `"${whole}" cannot be expanded`, hint: guessForm(expression.trim())}}
  }
}

function argValue(
  name: string,
  whole: string,
  args: InterpolationContext['args'],
): {problem?: Omit<Problem, 'path'>; value: string} {
  const value = args.get(name)
  if (value !== undefined) return {value}
  if (args.has(name))
    return {
      value: whole,
      problem: {
        message: `argument ${name} has no value`,
        hint: `pass --arg ${name}=VALUE, or give it a default under args.${name}`,
      },
    }
  const guess = nearest(name, [...args.keys()])
  return {
    value: whole,
    problem: {
      message: `unknown argument "${name}" in ${whole}`,
      hint: guess ? `did you mean \${args.${guess}}?` : `declare it under args: (args: {${name}: {default: ...}})`,
    },
  }
}

function serviceProblem(
  name: string,
  whole: string,
  services: InterpolationContext['services'],
): {problem?: Omit<Problem, 'path'>} {
  const service = services.get(name)
  if (service?.hasUrl) return {}
  if (service) return {problem: {message: `service "${name}" has no URL for ${whole}`, hint: URL_HINT}}
  const names = [...services.keys()]
  const guess = nearest(name, names)
  const hint = guess
    ? `did you mean "${guess}"?`
    : names.length > 0
      ? `services defined: ${names.join(', ')}`
      : 'define it under services:'
  return {problem: {message: `unknown service "${name}" in ${whole}`, hint}}
}

function guessForm(expression: string): string {
  if (new RegExp(`^${ENV_NAME}$`).test(expression)) return `did you mean \${env.${expression}}? ${ALLOWED_FORMS}`
  const service = new RegExp(`^services\\.(${SERVICE_NAME})`).exec(expression)
  if (service) return `did you mean \${services.${service[1]}.url}? ${ALLOWED_FORMS}`
  return ALLOWED_FORMS
}

/** Interpolates every string inside `value` (object keys stay as written); problems are added to `problems`. */
export function interpolateValue(
  value: unknown,
  path: DocPath,
  context: InterpolationContext,
  problems: Problem[],
): unknown {
  if (typeof value === 'string') {
    const result = interpolateString(value, context)
    problems.push(...result.problems.map((problem) => ({...problem, path})))
    return result.text
  }

  return mapChildren(value, (child, step) => interpolateValue(child, [...path, step], context, problems))
}

/**
 * Expands ${env.*} and ${gate.dir} where a gate file allows it and checks every ${services.*.url};
 * returns a copy of the document with the expanded values.
 */
export function interpolateGate(
  data: Record<string, unknown>,
  options: {env: NodeJS.ProcessEnv; gateDir: string; args?: Readonly<Record<string, string>>},
): {data: Record<string, unknown>; problems: Problem[]; args: Record<string, string>} {
  const problems: Problem[] = []
  const args = argsOf(data.args, options.args ?? {}, problems)
  const context: InterpolationContext = {
    args,
    env: options.env,
    gateDir: options.gateDir,
    services: servicesOf(data.services),
  }
  const expanded = INTERPOLATED.reduce<unknown>(
    (document, place) => mapAt(document, place, [], (value, path) => interpolateValue(value, path, context, problems)),
    data,
  )
  const values = Object.fromEntries([...args].filter((entry): entry is [string, string] => entry[1] !== undefined))
  return {args: values, data: expanded as Record<string, unknown>, problems}
}

/**
 * Each declared argument's value: given on the command line, else its default; a given one the gate does not declare is
 * a problem.
 */
function argsOf(
  declared: unknown,
  given: Readonly<Record<string, string>>,
  problems: Problem[],
): Map<string, string | undefined> {
  const entries = isRecord(declared) ? Object.entries(declared) : []
  const args = new Map(
    entries.map(([name, spec]) => {
      const fallback =
        isRecord(spec) && ['string', 'number', 'boolean'].includes(typeof spec.default)
          ? String(spec.default)
          : undefined
      return [name, Object.hasOwn(given, name) ? given[name] : fallback]
    }),
  )
  for (const name of Object.keys(given)) {
    if (args.has(name)) continue
    const guess = nearest(name, [...args.keys()])
    const hint = guess
      ? `did you mean --arg ${guess}=...?`
      : args.size > 0
        ? `this gate takes: ${[...args.keys()].join(', ')}`
        : 'this gate declares no args:'
    problems.push({
      path: isRecord(declared) ? ['args'] : [],
      message: `--arg ${name} is not an argument of this gate`,
      hint,
    })
  }

  return args
}

/** A service has a URL when its log pattern captures one or it is polled over HTTP. */
function servicesOf(services: unknown): Map<string, {hasUrl: boolean}> {
  const entries = isRecord(services) ? Object.entries(services) : []
  return new Map(
    entries.map(([name, service]) => {
      const ready = isRecord(service) && isRecord(service.ready) ? service.ready : {}
      const hasUrl = typeof ready.http === 'string' || (typeof ready.log === 'string' && ready.log.includes('(?<url>'))
      return [name, {hasUrl}]
    }),
  )
}

/**
 * Replaces every `${services.NAME.url}` inside `value` (strings, arrays and objects, deeply) with
 * the service's URL, once services run. Throws UserError for a service that is not running or has no URL.
 */
export function expandServiceRefs<T>(
  value: T,
  services: Readonly<Record<string, {url?: string}>>,
  lost: ReadonlyMap<string, string> = new Map(),
): T {
  if (typeof value === 'string') {
    return value.replaceAll(PLACEHOLDER, (whole: string, expression: string) => {
      const reference = referenceOf(expression)
      if (reference?.kind !== 'service') return whole
      const url = Object.hasOwn(services, reference.name) ? services[reference.name]?.url : undefined
      if (url !== undefined) return url
      // Why it is gone (it died mid-run, with its last log lines) says more than "not running".
      const death = lost.get(reference.name)
      if (death !== undefined) throw new UserError(death)
      const problem = Object.hasOwn(services, reference.name)
        ? {message: `service "${reference.name}" has no URL for ${whole}`, hint: URL_HINT}
        : {message: `service "${reference.name}" is not running, so ${whole} has no value`}
      throw new UserError(`cannot expand ${whole}`, [problem])
    }) as T
  }

  return mapChildren(value, (child) => expandServiceRefs(child, services, lost)) as T
}

/** A copy of an array or plain object with `fn` applied to each child; anything else as it is. */
function mapChildren(value: unknown, fn: (child: unknown, step: string | number) => unknown): unknown {
  if (Array.isArray(value)) return value.map((item, index) => fn(item, index))
  if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, fn(item, key)]))
  return value
}

/** Applies `fn` to every node matching `pattern` ("*" matches any key or index), copying the containers on the way. */
function mapAt(
  value: unknown,
  pattern: readonly string[],
  path: DocPath,
  fn: (value: unknown, path: DocPath) => unknown,
): unknown {
  const [step, ...rest] = pattern
  if (step === undefined) return fn(value, path)
  if (step === '*') return mapChildren(value, (child, key) => mapAt(child, rest, [...path, key], fn))
  if (!isRecord(value) || !Object.hasOwn(value, step)) return value
  return {...value, [step]: mapAt(value[step], rest, [...path, step], fn)}
}
