// Redis connections for plugins (cache counters and workloads, dashboard pub/sub): fail fast, end cleanly.
import type {Redis} from 'ioredis'

import {describeError} from './load/errors.js'

/** "redis://127.0.0.1:6379/2" without user and password, for messages. */
export function redisAddress(url: string): string {
  const parsed = new URL(url)
  const db = parsed.pathname.replace(/^\/+/, '')
  return `${parsed.protocol}//${parsed.host}${db ? `/${db}` : ''}`
}

/** An ioredis client, not yet connected, that never reconnects or queues: a lost server is an error at once. */
export async function redisClient(url: string, timeoutMs: number): Promise<Redis> {
  const {Redis} = await import('ioredis')
  return new Redis(url, {
    autoResubscribe: false,
    commandTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    enableOfflineQueue: false,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  })
}

/** A connected client; an unreachable server is an Error naming the address and the socket's reason. */
export async function connectRedis(url: string, timeoutMs: number, signal: AbortSignal): Promise<Redis> {
  const client = await redisClient(url, timeoutMs)
  // ioredis reports the socket's error as an event and rejects connect() with a vaguer "Connection is closed."
  let socketError: Error | undefined
  client.on('error', (error: Error) => (socketError ??= error))
  const onAbort = (): void => client.disconnect()
  signal.addEventListener('abort', onAbort, {once: true})
  try {
    signal.throwIfAborted()
    await client.connect()
    return client
  } catch (error) {
    client.disconnect()
    signal.throwIfAborted()
    throw new Error(`cannot connect to Redis at ${redisAddress(url)}: ${describeError(socketError ?? error)}`, {
      cause: error,
    })
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

/** Ends a client: QUIT when it answers within a second, else the socket is cut. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status !== 'ready') return client.disconnect()
  const quit = client.quit().then(
    () => true,
    () => false,
  )
  const timer = new Promise<boolean>((resolve) => setTimeout(resolve, 1000, false).unref())
  if (!(await Promise.race([quit, timer]))) client.disconnect()
}
