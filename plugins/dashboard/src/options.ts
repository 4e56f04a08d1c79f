// The dashboard's options as a gate writes them, and the plan they resolve to: which transport, where, and how each
// update's latency is read. Cross-option rules live here so `gate validate` reports them before anything runs.
import type {PhasegateApi} from 'phasegate'

export type DashboardMode = 'http' | 'redis' | 'sse' | 'websocket'
export type TimestampUnit = 'iso' | 'ms' | 'ns' | 's' | 'us'

export interface PublishOptions {
  url?: string
  method?: string
  headers?: Record<string, string>
  body?: string
}

export interface LatencyOptions {
  from: 'message' | 'response' | 'stamp'
  path?: string
  unit?: TimestampUnit
  publish?: PublishOptions
}

export interface DashboardOptions {
  url: string
  clients: number
  mode: DashboardMode
  path?: string
  headers?: Record<string, string>
  channel: string
  channels: number
  latency?: LatencyOptions
  duration: string
  interval: string
  timeout: string
}

/** How each update's latency is read, with the defaults applied. */
export type LatencyPlan =
  | {from: 'response'; required?: string}
  | {from: 'message'; path: string; unit: TimestampUnit}
  | {from: 'stamp'; publish: Required<Omit<PublishOptions, 'url'>> & {url?: string}}

export interface DashboardPlan {
  mode: DashboardMode
  /** Where clients connect or poll: the URL with `path` applied (redis: the server URL). */
  target: URL
  latency: LatencyPlan
  /** redis: the channel of each subscriber, spread over `channels`. */
  channels: string[]
}

export const MAX_CLIENTS = 10_000
export const MAX_CHANNELS = 10_000
/** The bundled demo's endpoints, appended when a gate names no `path`: phase-2 keeps measuring the same thing. */
export const DEMO_PATHS: Partial<Record<DashboardMode, string>> = {
  http: '/dashboard/snapshot',
  websocket: '/dashboard/ws',
}
/** The demo's stamps: a snapshot's generatedAt, each push's serverTime (epoch ms). */
const DEMO_LATENCY: Record<DashboardMode, LatencyPlan> = {
  http: {from: 'response', required: 'generatedAt'},
  redis: {from: 'message', path: 'serverTime', unit: 'ms'},
  sse: {from: 'message', path: 'serverTime', unit: 'ms'},
  websocket: {from: 'message', path: 'serverTime', unit: 'ms'},
}
/** What a stamp message carries unless the gate says otherwise; {stamp} and {sentAt} are filled per message. */
export const DEFAULT_STAMP_BODY = '{"stamp":"{stamp}","sentAt":{sentAt}}'

const stringMap = (description: string): Record<string, unknown> => ({
  additionalProperties: {type: 'string'},
  description,
  type: 'object',
})

export function optionsSchema(api: PhasegateApi): Record<string, unknown> {
  return {
    additionalProperties: false,
    properties: {
      channel: {
        default: 'dashboard:{index}',
        description: 'redis: the channel name; {index} becomes 0 … channels − 1.',
        minLength: 1,
        type: 'string',
      },
      channels: {
        default: 1,
        description: 'redis: how many channels; subscriber i listens on channel i mod channels.',
        maximum: MAX_CHANNELS,
        minimum: 1,
        type: 'integer',
      },
      clients: {
        default: 100,
        description: 'Concurrent dashboard clients, each on its own connection.',
        maximum: MAX_CLIENTS,
        minimum: 1,
        type: 'integer',
      },
      duration: api.durationOption('How long the clients watch the dashboard.', '10s'),
      headers: stringMap('http, sse, websocket: request headers every client sends (e.g. authorization).'),
      interval: api.durationOption(
        'The refresh a client expects: http, how often it polls; push modes, each interval without an update is a ' +
          'failed refresh; stamp latency, how often a stamp is published.',
        '1s',
      ),
      latency: {
        additionalProperties: false,
        description:
          'How an update is timed. response (http only): the poll’s answer time. message: arrival minus the send ' +
          'time the message holds at `path`. stamp: the validator publishes a stamp and times its arrival.',
        properties: {
          from: {enum: ['response', 'message', 'stamp'], type: 'string'},
          path: {
            description: 'message: JSON path of the send time (a.b[0].c); response: a field every good answer has.',
            minLength: 1,
            type: 'string',
          },
          publish: {
            additionalProperties: false,
            description: 'stamp: how a stamp is published (redis: PUBLISH on every channel, no url).',
            properties: {
              body: {description: `The message or request body; {stamp}, {sentAt} are filled in.`, type: 'string'},
              headers: stringMap('Request headers of the publishing request.'),
              method: {default: 'POST', enum: ['POST', 'PUT', 'PATCH', 'GET'], type: 'string'},
              url: {description: 'http, sse, websocket: the URL that makes the system send the stamp.', type: 'string'},
            },
            type: 'object',
          },
          unit: {
            default: 'ms',
            description: 'message: the send time’s unit since the epoch, or iso for an ISO 8601 string.',
            enum: ['ms', 's', 'us', 'ns', 'iso'],
            type: 'string',
          },
        },
        required: ['from'],
        type: 'object',
      },
      mode: {
        default: 'http',
        description:
          'http: poll; websocket, sse (Server-Sent Events): hold a subscription; redis: SUBSCRIBE to pub/sub channels.',
        enum: ['http', 'websocket', 'sse', 'redis'],
        type: 'string',
      },
      path: {
        description:
          'Appended to url. Default: the demo’s /dashboard/snapshot (http) and /dashboard/ws (websocket); ' +
          'none for sse.',
        type: 'string',
      },
      timeout: api.durationOption(
        'Per poll and for a subscription to open; stamp latency: how long to wait for the last stamps.',
        '10s',
      ),
      url: {
        description: 'Base URL of the system, e.g. ${services.demo.url}; redis: redis://127.0.0.1:6379.',
        format: 'uri',
        type: 'string',
      },
    },
    required: ['url'],
    type: 'object',
  }
}

/** The plan for these (schema-checked) options; throws a message that names the option and what to write instead. */
export function planDashboard(api: PhasegateApi, options: DashboardOptions): DashboardPlan {
  const {mode} = options
  const redis = mode === 'redis'
  const base = new URL(options.url)
  const scheme = base.protocol.replace(/:$/, '')
  const redisScheme = ['redis', 'rediss'].includes(scheme)
  if (redis && !redisScheme) throw new Error(`mode redis needs url redis://HOST:PORT (or rediss://), not ${scheme}://`)
  if (!redis && !['http', 'https'].includes(scheme))
    throw new Error(
      `mode ${mode} needs an http:// or https:// url, not ${scheme}://` +
        (redisScheme ? ' (mode redis reads redis://)' : ''),
    )
  if (redis && (options.path !== undefined || options.headers !== undefined))
    throw new Error('mode redis takes no path or headers: name channels with channel and channels')
  if (!redis && options.channels !== 1)
    throw new Error(`channels is for mode redis; mode ${mode} has one feed at url (and path)`)
  const latency = latencyPlan(api, options)
  const path = options.path ?? DEMO_PATHS[mode] ?? ''
  const target = redis ? base : new URL(`${base.pathname.replace(/\/+$/, '')}${path}${base.search}`, base)
  const channels = redis
    ? Array.from({length: options.channels}, (_, index) => options.channel.replaceAll('{index}', String(index)))
    : []
  if (redis && new Set(channels).size < channels.length)
    throw new Error(`channel "${options.channel}" gives one name for ${options.channels} channels: put {index} in it`)
  return {channels, latency, mode, target}
}

function latencyPlan(api: PhasegateApi, options: DashboardOptions): LatencyPlan {
  const {latency, mode} = options
  if (!latency) return DEMO_LATENCY[mode]
  const {from, path, publish} = latency
  if (from !== 'stamp' && publish) throw new Error(`latency.publish is for latency.from stamp, not ${from}`)
  if (from === 'response') {
    if (mode !== 'http') throw new Error(`latency.from response is for mode http; mode ${mode} pushes updates`)
    if (path !== undefined) checkPath(api, path)
    return path === undefined ? {from} : {from, required: path}
  }

  if (from === 'message') {
    if (path === undefined)
      throw new Error('latency.from message needs latency.path: where each message holds its send time, e.g. sentAt')
    checkPath(api, path)
    return {from, path, unit: latency.unit ?? 'ms'}
  }

  if (path !== undefined) throw new Error('latency.path is for message or response; a stamp is found wherever it is')
  if (mode === 'redis' && publish?.url !== undefined)
    throw new Error('mode redis publishes stamps on its channels itself: drop latency.publish.url')
  if (mode !== 'redis' && publish?.url === undefined)
    throw new Error(`latency.from stamp in mode ${mode} needs latency.publish.url: the request that sends an update`)
  if (publish?.url !== undefined && !URL.canParse(publish.url))
    throw new Error(`latency.publish.url "${publish.url}" is not a URL`)
  const body = publish?.body ?? DEFAULT_STAMP_BODY
  if (!body.includes('{stamp}')) throw new Error('latency.publish.body must hold {stamp}, so the stamp can be found')
  return {
    from,
    publish: {
      body,
      headers: publish?.headers ?? {'content-type': 'application/json'},
      method: publish?.method ?? 'POST',
      ...(publish?.url === undefined ? {} : {url: publish.url}),
    },
  }
}

function checkPath(api: PhasegateApi, path: string): void {
  try {
    api.parsePath(path)
  } catch (error) {
    throw new Error(`latency.path: ${(error as Error).message}`, {cause: error})
  }
}
