import type {Socket} from 'node:net'

import {net} from '../lazy.js'
import {classifyError, failure} from './errors.js'
import type {ResolvedPlan} from './plan.js'
import {ResponseParser} from './response-parser.js'
import {type Connection, NO_SENDER, noop, type RequestOutcome, type RequestSender} from './request.js'
import type {ErrorKind} from './types.js'

/**
 * Where every connection's socket reads land: each read is parsed before the next can arrive, so one buffer serves
 * them all. Without it Node allocates a buffer per read, and at 1000 connections the process's RSS grew from ~118 to
 * 150 MB over a minute.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024)

/**
 * One plain-HTTP keep-alive connection on node:net: the request is built once as bytes, each response read in place
 * by ResponseParser and its body counted and dropped. At 1000 connections undici's per-request work (a Request object,
 * timers, a paused-mode read a tick later) cost ~40% more CPU per request than this; https stays on undici.
 */
export class SocketConnection implements Connection {
  sender: RequestSender = NO_SENDER
  sentMs = 0
  intendedMs = 0
  then: () => void = noop
  private socket: Socket | undefined
  private readonly request: Buffer
  private readonly host: string
  private readonly port: number
  private readonly skipsBody: boolean
  private inFlight = false
  private status = 0
  private bytes = 0
  private keepAlive = true
  private closing: (() => void) | undefined

  constructor(
    private readonly plan: ResolvedPlan,
    /** Why undici would refuse this request, found once for the plan: reported by the first send, nothing is sent. */
    private readonly refusal: Error | undefined,
  ) {
    const {url} = plan
    this.host = url.hostname.replace(/^\[(.*)\]$/, '$1')
    this.port = Number(url.port || 80)
    this.skipsBody = plan.method === 'HEAD'
    this.request = requestBytes(plan)
  }

  send(sender: RequestSender, sentMs: number, intendedMs: number, then: () => void): void {
    this.sender = sender
    this.sentMs = sentMs
    this.intendedMs = intendedMs
    this.then = then
    this.status = 0
    this.bytes = 0
    this.inFlight = true
    if (this.refusal) {
      this.finish(this.refusal, undefined, true)
      return
    }

    const socket = this.socket && !this.socket.destroyed ? this.socket : this.connect()
    socket.write(this.request)
  }

  expireOverdue(now: number): void {
    if (!this.inFlight || now - this.sentMs <= this.plan.timeoutMs) return
    this.finish(new Error(`the whole response took over ${this.plan.timeoutMs} ms`), 'timeout')
  }

  abort(): void {
    if (this.inFlight) this.finish(new Error('the load run was aborted'))
    this.drop()
  }

  async close(graceMs: number): Promise<void> {
    if (this.inFlight) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, graceMs)
        this.closing = () => (clearTimeout(timer), resolve())
      })
      if (this.inFlight) this.finish(new Error('closing after the run'))
    }

    this.drop()
  }

  private connect(): Socket {
    const parser = new ResponseParser(
      {
        onHead: (status, keepAlive) => {
          if (!current()) return
          if (!this.inFlight) {
            // A response to no request: what the connection says next cannot be trusted.
            this.drop()
            return
          }

          this.status = status
          this.keepAlive = keepAlive
        },
        onBody: (length) => {
          if (!current()) return
          if (this.bytes + length > this.plan.maxBodyBytes) {
            this.finish(failure('UND_ERR_RES_EXCEEDED_MAX_SIZE', 'Response content exceeded max size'))
            return
          }

          this.bytes += length
        },
        onComplete: () => {
          if (!current() || !this.inFlight) return
          if (!this.keepAlive) this.drop()
          this.finish(null)
        },
      },
      this.skipsBody,
    )
    const onread = {
      buffer: READ_BUFFER,
      // True: keep reading (false would pause the socket).
      callback: (length: number, buffer: Uint8Array): boolean => {
        if (!current()) return true
        if (!this.inFlight) {
          // Bytes while nothing is asked: the parser would read them as the next answer.
          this.drop()
          return true
        }

        const error = parser.execute(buffer, 0, length)
        if (error !== null && current()) {
          this.finish(error)
          // Also when it came after the answer: the connection is not reused either way.
          this.drop()
        }

        return true
      },
    }
    const socket = net().connect({host: this.host, noDelay: true, onread, port: this.port})
    this.socket = socket
    const current = (): boolean => this.socket === socket
    // A connect timeout is a connect error, as undici's connectTimeout is; the sweep times the whole response.
    socket.setTimeout(this.plan.timeoutMs, () => {
      if (current()) this.finish(failure('UND_ERR_CONNECT_TIMEOUT', `no connection in ${this.plan.timeoutMs} ms`))
    })
    socket.once('connect', () => socket.setTimeout(0))
    socket.on('end', () => {
      // A body that runs to the end of the connection ends here.
      if (current() && this.inFlight) parser.finish()
    })
    socket.on('error', (error: Error) => {
      if (current()) this.finish(error)
    })
    socket.on('close', () => {
      if (current()) this.finish(failure('UND_ERR_SOCKET', 'other side closed'))
    })
    return socket
  }

  /** Ends the request in flight: an error also drops the connection, whose state is then unknown. */
  private finish(error: Error | null, kind?: ErrorKind, invalid = false): void {
    if (!this.inFlight) return
    this.inFlight = false
    const {bytes, status} = this
    const outcome: RequestOutcome =
      error === null
        ? {bytes, error: this.plan.isOk(status) ? null : 'status', status}
        : {bytes, cause: error, error: kind ?? classifyError(error, status !== 0), invalid, status}
    const closing = this.closing
    this.closing = undefined
    closing?.()
    if (error === null) {
      this.sender.requestEnded(this, outcome)
      return
    }

    this.drop()
    // A turn later: the failure may surface inside send(), and the sender would recurse.
    setImmediate(() => this.sender.requestEnded(this, outcome))
  }

  private drop(): void {
    const {socket} = this
    this.socket = undefined
    socket?.destroy()
  }
}

/** The request line, headers and body as they go on the wire, undici's way: a content-length only with a body. */
function requestBytes(plan: ResolvedPlan): Buffer {
  const {body, headers, method, url} = plan
  const lines = [`${method} ${url.pathname}${url.search} HTTP/1.1`]
  const names = new Set(Object.keys(headers).map((name) => name.toLowerCase()))
  if (!names.has('host')) lines.push(`host: ${url.host}`)
  for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`)
  const expectsBody = ['PATCH', 'POST', 'PUT', 'QUERY', 'PROPFIND', 'PROPPATCH'].includes(method)
  if (body !== undefined && body.byteLength > 0) lines.push(`content-length: ${body.byteLength}`)
  else if (expectsBody) lines.push('content-length: 0')
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1')
  return body === undefined || body.byteLength === 0 ? head : Buffer.concat([head, body])
}
