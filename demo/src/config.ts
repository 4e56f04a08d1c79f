import {isIP} from 'node:net'
import {parseArgs} from 'node:util'

export interface DemoConfig {
  host: string
  port: number
  /** Added to every fleet and dashboard response (and WebSocket push). */
  addedLatencyMs: number
  poolSize: number
  /** Extra wait between losing a swarm leader and starting its successor. */
  failoverDelayMs: number
  updateIntervalMs: number
  cacheSize: number
  seed: number
}

/** A bad flag or environment variable: the caller prints it and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError'
}

type NumericKey = Exclude<keyof DemoConfig, 'host'>

interface NumericSetting {
  flag: string
  key: NumericKey
  defaultValue: number
  min: number
  max: number
  help: string
}

const NUMERIC_SETTINGS: NumericSetting[] = [
  {defaultValue: 0, flag: 'port', help: 'port to listen on; 0 picks a free one', key: 'port', max: 65_535, min: 0},
  {
    defaultValue: 0,
    flag: 'added-latency',
    help: 'ms added to every fleet/dashboard response',
    key: 'addedLatencyMs',
    max: 60_000,
    min: 0,
  },
  {defaultValue: 1500, flag: 'pool-size', help: 'agents in the fleet pool', key: 'poolSize', max: 1_000_000, min: 1},
  {
    defaultValue: 0,
    flag: 'failover-delay',
    help: 'extra ms before a swarm elects a new leader',
    key: 'failoverDelayMs',
    max: 600_000,
    min: 0,
  },
  {
    defaultValue: 250,
    flag: 'update-interval',
    help: 'ms between dashboard WebSocket pushes',
    key: 'updateIntervalMs',
    max: 3_600_000,
    min: 10,
  },
  {
    defaultValue: 1000,
    flag: 'cache-size',
    help: 'entries the LRU cache holds',
    key: 'cacheSize',
    max: 10_000_000,
    min: 1,
  },
  {
    defaultValue: 1,
    flag: 'seed',
    help: 'seed for the fleet’s agent capabilities',
    key: 'seed',
    max: 2 ** 32 - 1,
    min: 0,
  },
]

const DEFAULT_HOST = '127.0.0.1'

/** DEMO_POOL_SIZE for --pool-size. */
export function envName(flag: string): string {
  return `DEMO_${flag.toUpperCase().replaceAll('-', '_')}`
}

export const USAGE = [
  'usage: node demo/dist/server.js [--host ADDR] [--port N] [flags]',
  '',
  usageLine(
    'host ADDR',
    `address to listen on (default ${DEFAULT_HOST}); ${envName('host')} may only name a loopback address`,
  ),
  ...NUMERIC_SETTINGS.map(({defaultValue, flag, help}) =>
    usageLine(`${flag} N`, `${help} (default ${defaultValue}; env ${envName(flag)})`),
  ),
  '',
  'Prints "listening on http://HOST:PORT" when ready; SIGTERM or SIGINT stops it cleanly.',
].join('\n')

function usageLine(flag: string, help: string): string {
  return `  --${flag.padEnd(20)}${help}`
}

/** Flags win over DEMO_* environment variables, which win over defaults. */
export function parseConfig(argv: string[], env: NodeJS.ProcessEnv): DemoConfig | 'help' {
  const options = Object.fromEntries([
    ['help', {short: 'h', type: 'boolean'}],
    ['host', {type: 'string'}],
    ...NUMERIC_SETTINGS.map(({flag}) => [flag, {type: 'string'}]),
  ]) as Record<string, {type: 'string' | 'boolean'; short?: string}>
  let values: Record<string, string | boolean | undefined>
  try {
    values = parseArgs({args: argv, options, strict: true}).values
  } catch (error) {
    throw new UsageError((error as Error).message)
  }

  if (values.help) return 'help'
  const config = {host: parseHost(values.host as string | undefined, env[envName('host')])} as DemoConfig
  for (const setting of NUMERIC_SETTINGS) {
    const flagValue = values[setting.flag] as string | undefined
    const source = flagValue === undefined ? envName(setting.flag) : `--${setting.flag}`
    const raw = flagValue ?? env[envName(setting.flag)]
    config[setting.key] = raw === undefined || raw === '' ? setting.defaultValue : parseInteger(raw, source, setting)
  }

  return config
}

function parseInteger(raw: string, source: string, {max, min}: NumericSetting): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new UsageError(`${source} must be a whole number from ${min} to ${max}, got "${raw}"`)
  }

  return value
}

/**
 * A system under test should not be reachable from the network by accident: only an explicit --host may leave loopback.
 */
function parseHost(flagValue: string | undefined, envValue: string | undefined): string {
  if (flagValue !== undefined) {
    if (flagValue === '') throw new UsageError('--host must not be empty')
    return flagValue
  }

  const host = envValue || DEFAULT_HOST
  if (!isLoopback(host)) {
    throw new UsageError(
      `${envName('host')}=${host} is not a loopback address; pass --host ${host} explicitly to listen there`,
    )
  }

  return host
}

export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1') return true
  return isIP(host) === 4 && host.startsWith('127.')
}
