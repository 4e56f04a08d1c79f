// The push transports: each holds one subscription per client and hands every message's text to its subscriber.
// What a message means (latency, stamps, windows) is the subscriber's business, the same for all of them.
import {setTimeout as sleep} from 'node:timers/promises'

import type {ErrorKind} from 'phasegate'
import type {Redis} from 'ioredis'
import type WebSocket from 'ws'

import type {Watch} from './dashboard.js'
import {EventStreamParser, preview} from './reading.js'

/** One client's side of a subscription, as the transport reports it. */
export interface Subscriber {
  index: number
  opened: boolean
  open(): void
  message(text: string): void
  /** Something went wrong; only the first problem of a client is counted. */
  problem(kind: ErrorKind, detail: string): void
  /** The subscription is over: stopped, dropped, or it never opened. */
  end(): void
}

export interface Transport {
  /** For the evidence's source, e.g. "100 WebSocket subscribers to ws://…". */
  source: string
  /** Where the clients connect, for messages. */
  where: string
  /** Holds one subscription until the clients stop or it is dropped; always ends the subscriber. */
  connect(subscriber: Subscriber): Promise<void>
  /** Closes whatever is still open. */
  close(): Promise<void>
}

/** Sockets that do not finish their closing handshake within this are cut. */
const CLOSE_WAIT_MS = 1000

export function openTransport(watch: Watch): Promise<Transport> {
  const {mode} = watch.plan
  if (mode === 'websocket') return websocket(watch)
  if (mode === 'sse') return serverSentEvents(watch)
  if (mode === 'redis') return redisPubSub(watch)
  throw new Error(`mode ${mode} is not a push transport`)
}

/** Resolves `end` once the clients stop; `detach` forgets the listener when the subscription ended first. */
function onStop(stop: AbortSignal, end: () => void): () => void {
  if (stop.aborted) {
    // Later, so the caller has its detach in hand when end runs.
    queueMicrotask(end)
    return () => {}
  }

  stop.addEventListener('abort', end, {once: true})
  return () => stop.removeEventListener('abort', end)
}

async function websocket({api, options, plan, stop, timeoutMs}: Watch): Promise<Transport> {
  const {WebSocket} = await import('ws')
  const url = new URL(plan.target)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  const sockets = new Set<WebSocket>()
  return {
    close: () => closeSockets(sockets),
    connect: (subscriber) =>
      new Promise<void>((resolve) => {
        const ws = new WebSocket(url, {
          handshakeTimeout: timeoutMs,
          ...(options.headers ? {headers: options.headers} : {}),
        })
        sockets.add(ws)
        const finish = (): void => {
          detach()
          subscriber.end()
          resolve()
        }

        ws.on('open', () => subscriber.open())
        ws.on('message', (data) => subscriber.message(String(data)))
        ws.on('error', (error) => {
          if (stop.aborted) return
          const timedOut = /handshake has timed out/i.test(error.message)
          const kind = subscriber.opened ? 'reset' : timedOut ? 'timeout' : api.classifyError(error, false)
          subscriber.problem(kind, api.describeError(error))
        })
        ws.on('close', (code) => {
          if (stop.aborted) return
          subscriber.problem(
            subscriber.opened ? 'reset' : 'connect',
            subscriber.opened ? `closed by the server (code ${code}) before the end` : `could not open (code ${code})`,
          )
          finish()
        })
        const detach = onStop(stop, finish)
      }),
    source: `${options.clients} WebSocket subscribers to ${url.href}`,
    where: url.href,
  }
}

/** Says goodbye on every socket, then cuts those that do not finish the closing handshake in time. */
async function closeSockets(sockets: Set<WebSocket>): Promise<void> {
  const open = [...sockets].filter((ws) => ws.readyState !== ws.CLOSED)
  const closed = open.map((ws) => new Promise((resolve) => ws.once('close', resolve)))
  for (const ws of open) {
    if (ws.readyState === ws.OPEN) ws.close(1000, 'measurement over')
    else ws.terminate()
  }

  await Promise.race([Promise.all(closed), sleep(CLOSE_WAIT_MS, undefined, {ref: false})])
  for (const ws of open) ws.terminate()
}

/** Server-Sent Events: one GET per client whose answer streams events; each event's data is one message. */
async function serverSentEvents({api, options, plan, stop, timeoutMs}: Watch): Promise<Transport> {
  const {Pool} = await import('undici')
  const {target} = plan
  // bodyTimeout 0: a quiet stream is the server's choice, and error_rate's intervals count the silence.
  const pool = new Pool(target.origin, {
    bodyTimeout: 0,
    connections: options.clients,
    connectTimeout: timeoutMs,
    headersTimeout: timeoutMs,
  })
  const headers = {accept: 'text/event-stream', 'cache-control': 'no-cache', ...options.headers}
  return {
    close: () => api.closeGracefully(pool, CLOSE_WAIT_MS),
    async connect(subscriber) {
      try {
        const path = `${target.pathname}${target.search}`
        const response = await pool.request({headers, method: 'GET', path, signal: stop})
        const type = String(response.headers['content-type'] ?? '')
        if (response.statusCode !== 200) {
          const text = await response.body.text().catch(() => '')
          return subscriber.problem('status', `${response.statusCode} ${preview(text)}`)
        }

        if (!type.startsWith('text/event-stream')) {
          // Not read: a stream of something else may never end.
          response.body.destroy()
          return subscriber.problem('body', `200 content-type "${type}", not text/event-stream`)
        }

        subscriber.open()
        const parser = new EventStreamParser()
        response.body.setEncoding('utf8')
        for await (const chunk of response.body)
          for (const data of parser.push(chunk as string)) subscriber.message(data)
        if (!stop.aborted) subscriber.problem('reset', 'the server ended the event stream before the end')
      } catch (error) {
        if (!stop.aborted)
          subscriber.problem(
            subscriber.opened ? 'reset' : api.classifyError(error, subscriber.opened),
            api.describeError(error),
          )
      } finally {
        subscriber.end()
      }
    },
    source: `${options.clients} Server-Sent Events subscribers to ${target.href}`,
    where: target.href,
  }
}

/** Redis pub/sub: one connection per subscriber, SUBSCRIBEd to its channel (subscriber i on channel i mod n). */
async function redisPubSub({api, options, plan, stop, timeoutMs}: Watch): Promise<Transport> {
  const address = api.redisAddress(plan.target.href)
  const clients = new Set<Redis>()
  return {
    close: async () => void (await Promise.all([...clients].map(api.closeRedis))),
    connect: async (subscriber) => {
      const channel = plan.channels[subscriber.index % plan.channels.length]!
      const client = await api.redisClient(plan.target.href, timeoutMs)
      clients.add(client)
      let socketError: Error | undefined
      await new Promise<void>((resolve) => {
        const finish = (): void => {
          detach()
          resolve()
        }

        client.on('error', (error: Error) => (socketError ??= error))
        client.on('message', (_channel: string, message: string) => subscriber.message(message))
        client.on('end', () => {
          if (stop.aborted) return
          if (subscriber.opened) subscriber.problem('reset', `the connection to ${address} closed before the end`)
          finish()
        })
        client
          .connect()
          .then(() => client.subscribe(channel))
          .then(() => subscriber.open())
          .catch((error: unknown) => {
            if (stop.aborted) return
            const cause = socketError ?? error
            subscriber.problem(
              api.classifyError(cause, false),
              `SUBSCRIBE ${channel} at ${address}: ${api.describeError(cause)}`,
            )
            finish()
          })
        const detach = onStop(stop, finish)
      })
      subscriber.end()
    },
    source: `${options.clients} Redis subscribers across ${plan.channels.length} channels at ${address}`,
    where: address,
  }
}
