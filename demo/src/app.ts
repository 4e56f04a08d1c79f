import type {IncomingMessage, ServerResponse} from 'node:http'
import type {Duplex} from 'node:stream'
import {setTimeout as sleep} from 'node:timers/promises'

import {ItemCache} from './cache.js'
import type {DemoConfig} from './config.js'
import {DASHBOARD_WS_PATH, Dashboard} from './dashboard.js'
import {CAPABILITIES, Fleet, isCapability} from './fleet.js'
import {HttpError, json, optionalString, readJson, type Reply, Router, send} from './http.js'
import {Histogram, METRICS_CONTENT_TYPE, MetricsRegistry} from './metrics.js'
import {FAULTS, type Fault, type Swarm, Swarms} from './swarms.js'

interface RouteOptions {
  /** --added-latency applies: the fleet and dashboard routes. */
  degraded?: boolean
  /** Observes each response's time, added latency included: what a client sees. */
  duration?: Histogram
}

export interface App {
  handle(request: IncomingMessage, response: ServerResponse): void
  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void
  /** Stops the swarms' children first, then the dashboard's subscribers. */
  close(): Promise<void>
}

export function createApp(config: DemoConfig, log: (line: string) => void): App {
  const fleet = new Fleet(config.poolSize, config.seed)
  const cache = new ItemCache(config.cacheSize)
  const swarms = new Swarms({failoverDelayMs: config.failoverDelayMs, log})
  const dashboard = new Dashboard(
    () => ({cache: cache.stats(), fleet: fleet.summary(), swarms: swarms.summary()}),
    config,
  )
  const allocationSeconds = new Histogram([0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5])
  const metrics = new MetricsRegistry()
    .counter('demo_fleet_allocations_total', 'Agents allocated.', () => fleet.allocationsTotal)
    .counter('demo_fleet_releases_total', 'Allocations released.', () => fleet.releasesTotal)
    .counter(
      'demo_fleet_exhausted_total',
      'Allocation requests refused: no matching agent was free.',
      () => fleet.exhaustedTotal,
    )
    .gauge('demo_fleet_allocated', 'Agents allocated now.', () => fleet.summary().allocated)
    .gauge('demo_fleet_pool_size', 'Agents in the pool.', () => fleet.summary().poolSize)
    .histogram(
      'demo_fleet_allocation_duration_seconds',
      'Time to answer POST /fleet/allocations, added latency included.',
      allocationSeconds,
    )
    .gauge('demo_dashboard_subscribers', 'WebSocket dashboard subscribers.', () => dashboard.subscribers)
    .counter('demo_dashboard_updates_total', 'Updates pushed to subscribers.', () => dashboard.updatesSent)
    .counter(
      'demo_dashboard_dropped_updates_total',
      'Updates skipped for subscribers too slow to take them.',
      () => dashboard.updatesDropped,
    )
    .gauge('demo_swarms', 'Swarms that exist.', () => swarms.summary().total)
    .gauge('demo_swarms_healthy', 'Swarms with a ready leader answering heartbeats.', () => swarms.summary().healthy)
    .counter('demo_swarm_failovers_total', 'Ready leaders lost and replaced.', () => swarms.totals.failovers)
    .histogram(
      'demo_swarm_failover_duration_seconds',
      'From losing a ready leader to its successor being ready.',
      swarms.totals.failoverSeconds,
    )
    .counter(
      'demo_swarm_tasks_accepted_total',
      'Tasks accepted into a swarm journal.',
      () => swarms.totals.tasksAccepted,
    )
    .counter('demo_swarm_tasks_completed_total', 'Tasks acknowledged by a leader.', () => swarms.totals.tasksCompleted)
    .counter('demo_cache_hits_total', 'Cache lookups answered from the LRU.', () => cache.hits)
    .counter('demo_cache_misses_total', 'Cache lookups that went to the store.', () => cache.misses)
    .counter('demo_cache_evictions_total', 'Entries evicted from the LRU.', () => cache.stats().evictions)
    .gauge('demo_cache_entries', 'Entries in the LRU.', () => cache.stats().entries)
    .gauge('demo_cache_capacity', 'Entries the LRU holds at most.', () => cache.stats().capacity)
    .gauge('process_resident_memory_bytes', 'Resident memory of the server process (swarm leaders not included).', () =>
      process.memoryUsage.rss(),
    )
    .gauge('process_start_time_seconds', 'Start time of the server process since the epoch.', () =>
      Math.round(Date.now() / 1000 - process.uptime()),
    )

  const swarmOf = (id: string | undefined): Swarm => {
    const swarm = swarms.get(id ?? '')
    if (!swarm) throw new HttpError(404, `no swarm ${id}`)
    return swarm
  }

  const router = new Router<RouteOptions>()
    .on('GET', '/health', () => json(200, {status: 'ok'}))
    .on('GET', '/metrics', () => ({contentType: METRICS_CONTENT_TYPE, status: 200, text: metrics.render()}))
    .on('GET', '/fleet', () => json(200, fleet.summary()), {degraded: true})
    .on(
      'POST',
      '/fleet/allocations',
      async (_, request) => {
        const capability = optionalString(await readJson(request), 'capability')
        if (capability !== undefined && !isCapability(capability)) {
          throw new HttpError(400, `unknown capability "${capability}"`, {capabilities: CAPABILITIES})
        }

        const allocation = fleet.allocate(capability)
        return allocation
          ? json(201, allocation)
          : json(503, {error: 'pool exhausted', ...(capability && {capability})})
      },
      {degraded: true, duration: allocationSeconds},
    )
    .on(
      'DELETE',
      '/fleet/allocations/:id',
      ({id}) => (fleet.release(id!) ? json(204) : json(404, {error: `no allocation ${id}`})),
      {degraded: true},
    )
    .on('GET', '/dashboard/snapshot', () => json(200, dashboard.snapshot()), {degraded: true})
    .on('GET', '/swarms', () => json(200, {swarms: swarms.list().map((swarm) => swarm.view())}))
    .on('POST', '/swarms', async (_, request) => {
      const created = await swarms.create(optionalString(await readJson(request), 'name'))
      if ('error' in created) return json(503, created)
      const {id, leader} = created.view()
      return json(201, {id, leader})
    })
    .on('GET', '/swarms/:id', ({id}) => json(200, swarmOf(id).view()))
    .on('DELETE', '/swarms/:id', async ({id}) =>
      (await swarms.remove(id!)) ? json(204) : json(404, {error: `no swarm ${id}`}),
    )
    .on('GET', '/swarms/:id/tasks', ({id}) => json(200, swarmOf(id).taskIds()))
    .on('POST', '/swarms/:id/tasks', async ({id}, request) => {
      const swarm = swarmOf(id)
      const taskId = optionalString(await readJson(request), 'taskId')
      if (taskId === undefined) throw new HttpError(400, '"taskId" is required')
      const outcome = swarm.submit(taskId)
      return outcome === 'journal full'
        ? json(507, {error: 'task journal full'})
        : json(202, {duplicate: outcome === 'duplicate', taskId})
    })
    .on('POST', '/swarms/:id/faults', async ({id}, request) => {
      const swarm = swarmOf(id)
      const kind = optionalString(await readJson(request), 'kind')
      if (!(FAULTS as readonly unknown[]).includes(kind))
        throw new HttpError(400, `"kind" must be one of ${FAULTS.join(', ')}`, {kinds: FAULTS})
      const leader = await swarm.inject(kind as Fault)
      if (!leader) return json(409, {error: 'no ready leader: a failover is under way'})
      return json(202, {kind, [kind === 'kill-leader' ? 'killedPid' : 'hungPid']: leader.pid, term: leader.term})
    })
    .on('GET', '/cache', () => json(200, cache.stats()))
    .on('GET', '/cache/items/:key', ({key}) => {
      const read = cache.read(key!)
      const headers = {'x-cache': read.hit ? 'HIT' : 'MISS'}
      return read.found ? json(200, {key, value: read.value}, headers) : json(404, {error: `no item ${key}`}, headers)
    })
    .on('PUT', '/cache/items/:key', async ({key}, request) => {
      const value = await readJson(request)
      if (value === undefined) throw new HttpError(400, 'body must be the JSON value to store')
      return cache.write(key!, value) ? json(204) : json(507, {error: 'store full'})
    })

  async function respond(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now()
    const path = (request.url ?? '/').split('?', 1)[0]!
    let options: RouteOptions = {}
    let reply: Reply
    try {
      const match = router.match(request.method ?? 'GET', path)
      if (!match) reply = json(404, {error: `no route ${path}`})
      else if ('allowed' in match)
        reply = json(405, {error: `${request.method} not allowed on ${path}`}, {allow: match.allowed.join(', ')})
      else {
        options = match.options
        reply = await match.handler(match.params, request)
      }
    } catch (error) {
      if (error instanceof HttpError) reply = json(error.status, {error: error.message, ...error.details})
      else {
        log(`${request.method} ${path} failed: ${(error as Error).stack ?? error}`)
        reply = json(500, {error: 'internal error'})
      }
    }

    if (options.degraded && config.addedLatencyMs > 0) await sleep(config.addedLatencyMs)
    send(response, reply)
    options.duration?.observe((performance.now() - started) / 1000)
  }

  return {
    async close() {
      await swarms.close()
      await dashboard.close()
    },
    handle(request, response) {
      respond(request, response).catch((error: Error) => {
        log(`${request.method} ${request.url} could not be answered: ${error.message}`)
        response.destroy()
      })
    },
    upgrade(request, socket, head) {
      if ((request.url ?? '').split('?', 1)[0] === DASHBOARD_WS_PATH) return dashboard.subscribe(request, socket, head)
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
    },
  }
}
