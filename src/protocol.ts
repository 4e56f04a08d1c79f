// Protocols as data: a validator's requests written in a gate file (method, URL template, headers, body with
// {placeholders}) and the JSON paths that read answers, so fleet, swarm and dashboard reach any system's API.
import type {Dispatcher, Pool} from 'undici'

import {formatPath, parsePath, type PathStep, valueAt} from './json-path.js'
import {classifyError, describeError} from './load/errors.js'
import {closeGracefully} from './load/request.js'
import type {ErrorKind} from './load/types.js'

/** One request as a gate file writes it. */
export interface RequestTemplate {
  method: string
  url: string
  headers?: Record<string, string>
  body?: unknown
}

/** The values placeholders take in one request; a missing one is an error naming it. */
export type Placeholders = Readonly<Record<string, number | string | undefined>>

/** A request with its placeholders filled in, ready to send. */
export interface FilledRequest {
  method: string
  url: URL
  headers: Record<string, string>
  body?: string
}

/** What came back: a status and the parsed JSON body, or why nothing usable did. */
export type JsonReply = {status: number; body: unknown} | {error: ErrorKind; detail: string}

const METHODS = ['DELETE', 'GET', 'HEAD', 'PATCH', 'POST', 'PUT']
/** {name} inserts the value, {name:base64} its base64 (etcd's JSON API wants keys so), {name:raw} never escapes it. */
const PLACEHOLDER = /\{([a-zA-Z][a-zA-Z0-9_]*)(?::(base64|raw))?\}/g
const ENCODINGS = ['base64', 'raw']

/**
 * JSON Schema of a request template whose strings may use `placeholders`; an unknown placeholder is a
 * configuration error before anything runs.
 */
export function requestSchema(description: string, placeholders: readonly string[]): Record<string, unknown> {
  const names = placeholders.join('|')
  const template = {
    description: `May use ${placeholders.map((name) => `{${name}}`).join(', ')} (add :base64 to encode a value).`,
    pattern: `^([^{}]|\\{(${names})(:(${ENCODINGS.join('|')}))?\\})*$`,
    type: 'string',
  }
  return {
    additionalProperties: false,
    description,
    properties: {
      body: {description: `JSON sent as the body; its strings may hold placeholders. ${template.description}`},
      headers: {additionalProperties: template, description: 'Request headers.', type: 'object'},
      method: {description: 'HTTP method.', enum: METHODS, type: 'string'},
      url: {
        ...template,
        description:
          `URL template, e.g. "{url}/items/{id}"; a placeholder after the start is percent-encoded. ` +
          `${template.description}`,
        minLength: 1,
      },
    },
    required: ['method', 'url'],
    type: 'object',
  }
}

/** JSON Schema of a JSON path option (a.b[0].c, a["x.y"] or a JSON Pointer), checked again when the run starts. */
export function pathSchema(description: string): Record<string, unknown> {
  return {description: `${description} A JSON path such as leader.term or a["x.y"].`, minLength: 1, type: 'string'}
}

/** JSON Schema of a list of HTTP statuses. */
export function statusesSchema(description: string): Record<string, unknown> {
  return {description, items: {maximum: 599, minimum: 100, type: 'integer'}, type: 'array', uniqueItems: true}
}

/** Fills the placeholders of one template string; `escape` encodes values that do not start the string. */
export function fillText(text: string, values: Placeholders, escape?: (value: string) => string): string {
  return text.replaceAll(PLACEHOLDER, (_, name: string, encoding: string | undefined, offset: number) => {
    const value = values[name]
    if (value === undefined)
      throw new Error(`"${text}" uses {${name}}, which has no value here (known: ${Object.keys(values).join(', ')})`)
    const string = String(value)
    if (encoding === 'base64') return Buffer.from(string).toString('base64')
    return encoding === 'raw' || offset === 0 || !escape ? string : escape(string)
  })
}

/** The request with every placeholder filled: URL and headers as text, every string of the body as text. */
export function fillRequest(template: RequestTemplate, values: Placeholders): FilledRequest {
  const text = fillText(template.url, values, encodeURIComponent)
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Error(`${template.method} ${template.url} gives "${text}", which is not a URL`)
  }

  const headers: Record<string, string> = {accept: 'application/json'}
  for (const [name, value] of Object.entries(template.headers ?? {}))
    headers[name.toLowerCase()] = fillText(value, values)
  if (template.body === undefined) return {headers, method: template.method, url}
  headers['content-type'] ??= 'application/json'
  return {body: JSON.stringify(fillBody(template.body, values)), headers, method: template.method, url}
}

function fillBody(body: unknown, values: Placeholders): unknown {
  if (typeof body === 'string') return fillText(body, values)
  if (Array.isArray(body)) return body.map((item) => fillBody(item, values))
  if (body !== null && typeof body === 'object')
    return Object.fromEntries(Object.entries(body).map(([key, value]) => [key, fillBody(value, values)]))
  return body
}

/**
 * Checks every placeholder of a template against the names it may use, so a typo fails before the run does
 * anything; `unset` names placeholders this gate gives no value, each with what to do.
 */
export function checkRequest(
  template: RequestTemplate,
  known: readonly string[],
  where: string,
  unset: Readonly<Record<string, string>> = {},
): void {
  const strings = [template.url, ...Object.values(template.headers ?? {}), ...stringsIn(template.body)]
  for (const text of strings) {
    for (const [, name] of text.matchAll(PLACEHOLDER)) {
      if (unset[name!] !== undefined) throw new Error(`${where}: "${text}" uses {${name}}: ${unset[name!]}`)
      if (!known.includes(name!))
        throw new Error(`${where}: "${text}" uses {${name}}, which is not known here (known: ${known.join(', ')})`)
    }
  }
}

function stringsIn(body: unknown): string[] {
  if (typeof body === 'string') return [body]
  if (Array.isArray(body)) return body.flatMap(stringsIn)
  if (body !== null && typeof body === 'object') return Object.values(body).flatMap(stringsIn)
  return []
}

/** A JSON path read from a gate file, parsed once; reading it answers undefined where the document has nothing. */
export class JsonPath {
  readonly steps: readonly PathStep[]

  constructor(
    readonly text: string,
    where: string,
  ) {
    try {
      this.steps = parsePath(text)
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`, {cause: error})
    }
  }

  /** The value at the path, or undefined when the document has nothing there. */
  read(document: unknown): unknown {
    try {
      return valueAt(document, this.steps)
    } catch {
      return undefined
    }
  }

  /** Why the path finds nothing in `document` (for messages), or undefined when it does. */
  explain(document: unknown): string | undefined {
    try {
      valueAt(document, this.steps)
      return undefined
    } catch (error) {
      return `${formatPath(this.steps)}: ${(error as Error).message}`
    }
  }
}

/** An id as text (a number or a non-empty string), or undefined; etcd writes its 64-bit ids and terms as strings. */
export function idOf(value: unknown): string | undefined {
  if (typeof value === 'string' && value !== '') return value
  if (typeof value === 'number' && Number.isFinite(value)) return String(value)
  return undefined
}

/** A number from a number or a numeric string ("42"), or undefined. */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value)
  return undefined
}

/** JSON requests to any number of origins, one connection pool per origin; never throws except on abort. */
export class JsonClient {
  private readonly pools = new Map<string, Pool>()
  private poolClass: typeof Pool | undefined

  constructor(private readonly options: {connections: number; timeoutMs: number}) {}

  async send(request: FilledRequest, signal?: AbortSignal): Promise<JsonReply> {
    // undici loads on first use: importing the SDK must stay cheap for every command.
    this.poolClass ??= (await import('undici')).Pool
    const pool = this.pool(request.url.origin)
    let response: Dispatcher.ResponseData
    try {
      response = await pool.request({
        body: request.body,
        headers: request.headers,
        method: request.method as Dispatcher.HttpMethod,
        path: `${request.url.pathname}${request.url.search}`,
        signal,
      })
    } catch (error) {
      signal?.throwIfAborted()
      return {detail: describeError(error), error: classifyError(error, false)}
    }

    try {
      const text = await response.body.text()
      return {body: text === '' ? undefined : JSON.parse(text), status: response.statusCode}
    } catch (error) {
      signal?.throwIfAborted()
      return {detail: `${response.statusCode}: ${describeError(error)}`, error: classifyError(error, true)}
    }
  }

  /**
   * Opens up to `count` connections to the request's origin ahead of timed work; errors are left to the timed requests.
   */
  async connect(request: FilledRequest, count: number, signal?: AbortSignal): Promise<void> {
    await Promise.all(Array.from({length: count}, () => this.send(request, signal).catch(() => undefined)))
  }

  async close(graceMs = 1000): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => closeGracefully(pool, graceMs)))
    this.pools.clear()
  }

  private pool(origin: string): Pool {
    let pool = this.pools.get(origin)
    if (!pool) {
      const {connections, timeoutMs} = this.options
      pool = new this.poolClass!(origin, {
        bodyTimeout: timeoutMs,
        connections,
        connectTimeout: timeoutMs,
        headersTimeout: timeoutMs,
        keepAliveTimeout: 30_000,
      })
      this.pools.set(origin, pool)
    }

    return pool
  }
}

/** "POST http://…/x answered 503 {…}" or the transport error, for notes. */
export function describeReply(request: FilledRequest, reply: JsonReply): string {
  const target = `${request.method} ${request.url.href}`
  return 'error' in reply ? `${target}: ${reply.detail}` : `${target} answered ${reply.status} ${preview(reply.body)}`
}

/** A body shortened for messages. */
export function preview(body: unknown): string {
  const text = body === undefined ? '(no body)' : JSON.stringify(body)
  return text.length > 120 ? `${text.slice(0, 117)}...` : text
}

/** Whether a status means success: 2xx. */
export function succeeded(reply: JsonReply): boolean {
  return !('error' in reply) && reply.status >= 200 && reply.status < 300
}

/** A preset merged under what the gate file wrote: the gate's keys win, nested objects merge, arrays replace. */
export function mergeProtocol<T extends object>(preset: T | undefined, own: Partial<T> | undefined): Partial<T> {
  if (!preset) return own ?? {}
  if (!own) return preset
  const merged: Record<string, unknown> = {...(preset as Record<string, unknown>)}
  for (const [key, value] of Object.entries(own)) {
    const base = merged[key]
    merged[key] =
      isPlainObject(base) && isPlainObject(value) && !('method' in value) ? mergeProtocol(base, value) : value
  }

  return merged as Partial<T>
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}
