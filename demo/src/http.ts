import type {IncomingMessage, ServerResponse} from 'node:http'

/** Request bodies are small JSON documents; anything bigger is refused rather than buffered. */
const MAX_BODY_BYTES = 64 * 1024

export interface Reply {
  status: number
  /** Sent as JSON. */
  body?: unknown
  /** Sent as is, with `contentType`, instead of `body`. */
  text?: string
  contentType?: string
  headers?: Record<string, string>
}

/** A client mistake: becomes `status` with `{"error": message, ...details}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message)
  }
}

export function json(status: number, body?: unknown, headers?: Record<string, string>): Reply {
  return {body, headers, status}
}

export type Params = Record<string, string>
export type Handler = (params: Params, request: IncomingMessage) => Reply | Promise<Reply>

interface Route<O> {
  method: string
  pattern: RegExp
  names: string[]
  handler: Handler
  options: O
}

export type RouteMatch<O> = {handler: Handler; options: O; params: Params} | {allowed: string[]} | undefined

/** Method + path patterns such as /swarms/:id/tasks; each route carries options the caller interprets. */
export class Router<O extends object> {
  private readonly routes: Array<Route<O>> = []

  on(method: string, path: string, handler: Handler, options = {} as O): this {
    const names: string[] = []
    const source = path.replaceAll(/:(\w+)/g, (_, name: string) => {
      names.push(name)
      return '([^/]+)'
    })
    this.routes.push({handler, method, names, options, pattern: new RegExp(`^${source}$`)})
    return this
  }

  /** The route for method and path; `allowed` when only the method is wrong; undefined when no path matches. */
  match(method: string, path: string): RouteMatch<O> {
    const allowed: string[] = []
    for (const route of this.routes) {
      const found = route.pattern.exec(path)
      if (!found) continue
      if (route.method !== method) {
        allowed.push(route.method)
        continue
      }

      return {
        handler: route.handler,
        options: route.options,
        params: Object.fromEntries(route.names.map((name, i) => [name, decode(found[i + 1]!)])),
      }
    }

    return allowed.length > 0 ? {allowed} : undefined
  }
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment)
  } catch {
    throw new HttpError(400, `bad percent-encoding in "${segment}"`)
  }
}

/** The parsed JSON body, or undefined when the request has none. */
export async function readJson(request: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body over ${MAX_BODY_BYTES} bytes`)
    chunks.push(chunk)
  }

  const text = Buffer.concat(chunks).toString('utf8')
  if (text.trim() === '') return undefined
  try {
    return JSON.parse(text)
  } catch {
    throw new HttpError(400, 'body is not valid JSON')
  }
}

/** A field of an optional JSON object body: undefined when absent, a 400 when it is not a string of sensible length. */
export function optionalString(body: unknown, field: string, maxLength = 200): string | undefined {
  if (body === undefined) return undefined
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new HttpError(400, 'body must be a JSON object')
  const value = (body as Record<string, unknown>)[field]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new HttpError(400, `"${field}" must be a string of 1 to ${maxLength} characters`)
  }

  return value
}

export function send(response: ServerResponse, reply: Reply): void {
  const headers: Record<string, string | number> = {...reply.headers}
  let payload = ''
  if (reply.text !== undefined) {
    payload = reply.text
    headers['content-type'] = reply.contentType ?? 'text/plain; charset=utf-8'
  } else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body)
    headers['content-type'] = 'application/json'
  }

  headers['content-length'] = Buffer.byteLength(payload)
  response.writeHead(reply.status, headers)
  response.end(payload)
}
