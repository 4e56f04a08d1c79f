// Where the hit and miss counters come from: Redis INFO, a JSON stats URL, or two Prometheus queries.
import type {PhasegateApi} from 'phasegate'

/** The cache's cumulative lookup counters at one moment. */
export interface Counters {
  hits: number
  misses: number
  /** Changes when the cache restarts (Redis run_id), so a restart that outgrew the old counts is still seen. */
  epoch?: string
}

export interface CounterSource {
  /** "Redis INFO stats at redis://127.0.0.1:6379", for the evidence's source and messages. */
  readonly name: string
  read(signal: AbortSignal): Promise<Counters>
  close(): Promise<void>
}

/**
 * Lookups counted between two readings; throws when the counters cannot be compared (reset, restart, not whole
 * numbers).
 */
export function countersDelta(before: Counters, after: Counters, source: string): {hits: number; misses: number} {
  if (before.epoch !== undefined && after.epoch !== undefined && before.epoch !== after.epoch) {
    throw new Error(
      `${source} restarted during the window (its run id changed from ${before.epoch} to ${after.epoch}), so its ` +
        `counters started over; measure again`,
    )
  }

  const moved = (name: 'hits' | 'misses'): number => {
    const delta = after[name] - before[name]
    if (delta < 0)
      throw new Error(
        `${source}: the ${name} counter went down from ${before[name]} to ${after[name]} during the window; the ` +
          `counters were reset (a restart or a stats reset), so measure again`,
      )
    if (!Number.isInteger(delta))
      throw new Error(
        `${source}: the ${name} counter moved by ${delta}, not a whole number of lookups; point it at a counter of ` +
          `lookups`,
      )
    return delta
  }

  return {hits: moved('hits'), misses: moved('misses')}
}

/** Redis's own lookup counters: INFO stats keyspace_hits and keyspace_misses, for the whole server (every db). */
export async function redisCounters(
  api: PhasegateApi,
  url: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<CounterSource> {
  const client = await api.connectRedis(url, timeoutMs, signal)
  const name = `Redis INFO stats at ${api.redisAddress(url)}`
  return {
    close: () => api.closeRedis(client),
    name,
    async read() {
      const info = parseInfo(
        await client.info().catch((error: unknown) => {
          throw new Error(`cannot read ${name}: ${(error as Error).message}`)
        }),
      )
      const number = (field: string): number => {
        const value = Number(info.get(field))
        if (!info.has(field) || !Number.isFinite(value))
          throw new Error(`${name}: INFO has no number in ${field}; is this a Redis server?`)
        return value
      }

      return {epoch: info.get('run_id'), hits: number('keyspace_hits'), misses: number('keyspace_misses')}
    },
  }
}

/** INFO's "field:value" lines; section headers and blank lines skipped. */
export function parseInfo(text: string): Map<string, string> {
  const fields = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':')
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim())
  }

  return fields
}

/** A JSON stats endpoint such as the demo's GET /cache → {hits, misses, …}; the fields are dotted paths. */
export function urlCounters(
  api: PhasegateApi,
  url: string,
  paths: {hits: string; misses: string},
  headers: Record<string, string>,
  timeoutMs: number,
): CounterSource {
  const name = `JSON stats at ${url}`
  return {
    async close() {},
    name,
    async read(signal) {
      const {request} = await import('undici')
      let status: number
      let text: string
      try {
        const response = await request(url, {
          headers: {accept: 'application/json', ...headers},
          signal: AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]),
        })
        status = response.statusCode
        text = await response.body.text()
      } catch (error) {
        signal.throwIfAborted()
        const reason =
          (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : api.describeError(error)
        throw new Error(`cannot read the cache stats at ${url}: ${reason}`, {cause: error})
      }

      if (status < 200 || status > 299)
        throw new Error(`GET ${url} answered ${status}: ${preview(text)}; expected 200 with the cache's counters`)
      let body: unknown
      try {
        body = JSON.parse(text)
      } catch {
        throw new Error(`GET ${url} answered with a body that is not JSON: ${preview(text)}`)
      }

      const number = (option: string, path: string): number => {
        let value: unknown
        try {
          value = api.valueAt(body, api.parsePath(path))
        } catch {
          value = undefined
        }

        if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
          throw new Error(
            `GET ${url}: ${option} "${path}" is ${preview(JSON.stringify(value) ?? 'missing')}, not a counter; the ` +
              `body is ${preview(text)}`,
          )
        }

        return value
      }

      return {hits: number('hits_path', paths.hits), misses: number('misses_path', paths.misses)}
    },
  }
}

/** Two instant queries, each answering one series: the cumulative hits and misses (e.g. demo_cache_hits_total). */
export function prometheusCounters(
  api: PhasegateApi,
  options: {url: string; hits: string; misses: string; token?: string},
  timeoutMs: number,
): CounterSource {
  const name = `Prometheus at ${options.url}`
  const query = async (which: 'hits' | 'misses', signal: AbortSignal): Promise<number> => {
    const promql = options[which]
    const samples = await api.queryPrometheus({
      query: promql,
      signal,
      timeoutMs,
      url: options.url,
      ...(options.token ? {token: options.token} : {}),
    })
    if (samples.length === 0)
      throw new Error(
        `${name}: prometheus.${which} "${promql}" returned no series; check the metric name and that Prometheus ` +
          `scrapes the cache`,
      )
    if (samples.length > 1) {
      const series = samples.slice(0, 3).map((sample) => api.describeSeries(sample.labels))
      const shown = series.join(', ') + (samples.length > 3 ? ', …' : '')
      throw new Error(
        `${name}: prometheus.${which} "${promql}" returned ${samples.length} series (${shown}); ` +
          'wrap it in sum(...) to count every one',
      )
    }

    const {value} = samples[0]!
    if (!Number.isFinite(value)) throw new Error(`${name}: prometheus.${which} "${promql}" is ${value}, not a counter`)
    return value
  }

  return {
    async close() {},
    name,
    async read(signal) {
      const [hits, misses] = await Promise.all([query('hits', signal), query('misses', signal)])
      return {hits, misses}
    },
  }
}

export function preview(text: string): string {
  return text.length > 160 ? `${text.slice(0, 157)}...` : text
}
