// latency.from stamp: every interval the validator publishes stamps of its own (redis: PUBLISH on every channel;
// otherwise the configured request) and the clients time each stamp from its publishing to its arrival.
import {setTimeout as sleep} from 'node:timers/promises'

import type {Dispatcher} from 'undici'

import type {Watch} from './dashboard.js'
import {preview} from './reading.js'

export interface Publishing {
  /** Waits for the publishes in flight and closes the publisher. */
  finish(): Promise<void>
}

/** Fills {stamp}, {sentAt} and {channel} in a template; anything else in braces is left as written. */
export function fillTemplate(template: string, values: Record<string, string>): string {
  return template.replaceAll(/\{(stamp|sentAt|channel)\}/g, (whole, name: string) => values[name] ?? whole)
}

/** How many of `clients` subscribers listen on each of `channels` channels (subscriber i on channel i mod n). */
export function subscribersPerChannel(clients: number, channels: number): number[] {
  return Array.from({length: channels}, (_, channel) => Math.floor((clients - 1 - channel) / channels) + 1)
}

/** Starts publishing every interval until the duration ends; a publish that fails is a problem, not a stamp. */
export async function startPublishing(watch: Watch): Promise<Publishing> {
  const {api, ctx, ending, intervalMs, ledger, options, plan, seen, timeoutMs} = watch
  if (!ledger || plan.latency.from !== 'stamp') throw new Error('stamps are published only for latency.from stamp')
  const {publish} = plan.latency
  const inFlight = new Set<Promise<void>>()
  let failures = 0
  let attempts = 0
  const fail = (stamp: string, receivers: number, kind: 'connect' | 'status', detail: string): void => {
    failures++
    ledger.withdraw(stamp, receivers)
    seen.problem(kind, `publishing a stamp: ${detail}`)
  }

  let send: () => void
  let close: () => Promise<void>
  if (plan.mode === 'redis') {
    const publisher = await api.connectRedis(plan.target.href, timeoutMs, ctx.signal)
    const receivers = subscribersPerChannel(options.clients, plan.channels.length)
    send = () => {
      for (const [index, channel] of plan.channels.entries()) {
        const stamp = ledger.issue(receivers[index]!, index)
        const body = fillTemplate(publish.body, {channel, sentAt: String(Date.now()), stamp})
        track(
          publisher.publish(channel, body).then(
            () => {},
            (error: Error) => fail(stamp, receivers[index]!, 'connect', `PUBLISH ${channel}: ${error.message}`),
          ),
        )
      }
    }

    close = () => api.closeRedis(publisher)
  } else {
    const {Agent} = await import('undici')
    const agent: Dispatcher = new Agent({connectTimeout: timeoutMs, headersTimeout: timeoutMs, bodyTimeout: timeoutMs})
    send = () => {
      const stamp = ledger.issue(options.clients)
      const values = {channel: '', sentAt: String(Date.now()), stamp}
      const url = fillTemplate(publish.url!, values)
      const request = agent.request({
        ...(publish.method === 'GET' ? {} : {body: fillTemplate(publish.body, values)}),
        headers: publish.headers,
        method: publish.method,
        origin: new URL(url).origin,
        path: `${new URL(url).pathname}${new URL(url).search}`,
        signal: ctx.signal,
      })
      track(
        request.then(
          async (response) => {
            const text = await response.body.text()
            if (response.statusCode >= 300)
              fail(
                stamp,
                options.clients,
                'status',
                `${publish.method} ${url}: ${response.statusCode} ${preview(text)}`,
              )
          },
          (error: unknown) =>
            fail(stamp, options.clients, 'connect', `${publish.method} ${url}: ${api.describeError(error)}`),
        ),
      )
    }

    close = () => api.closeGracefully(agent, 1000)
  }

  function track(promise: Promise<void>): void {
    attempts++
    inFlight.add(promise)
    void promise.finally(() => inFlight.delete(promise))
  }

  const loop = (async () => {
    for (let next = performance.now(); !ending.aborted; next += intervalMs) {
      send()
      await sleep(Math.max(0, next + intervalMs - performance.now()), undefined, {signal: ending}).catch(() => {})
    }
  })()
  return {
    async finish() {
      await loop
      await Promise.all(inFlight)
      await close()
      if (failures > 0) seen.notes.push(`${failures} of ${attempts} stamp publishes failed; they count nowhere`)
      if (attempts > 0 && failures === attempts)
        throw new Error(`no stamp could be published (${Object.values(seen.examples).at(-1) ?? 'no detail'})`)
      if (plan.mode === 'redis')
        ctx.log(`published ${ledger.published} stamps at ${api.redisAddress(plan.target.href)}`)
    },
  }
}
