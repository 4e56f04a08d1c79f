// Load safety: a gate sends traffic only to this machine unless a target says `allow_remote: true`. Hosts are read
// as the clients read them: WHATWG URL for every URL, the host parameters of a query, libpq's PGHOST fallback.
import {net} from '../lazy.js'

/**
 * Where a URL may start (a scheme and its colon; "//" is optional to WHATWG for http), up to whitespace or a quote;
 * overlapping, so nested URLs count.
 */
const URL_CANDIDATE = /(?=\b([a-z][a-z0-9+.-]*:[^\s"'`<>]+))/gi
/** Query parameters that name the host a client connects to (libpq, node-redis, ioredis, MongoDB). */
const HOST_PARAMS = ['host', 'hostaddr', 'hosts']
/** Option keys and environment variables whose value is a host (or a comma-separated list of hosts). */
const HOST_KEYS = new Set(['host', 'hostname', 'hostaddr', 'PGHOST', 'PGHOSTADDR'])
/** Schemes whose client takes the host from PGHOST when the URL names none. */
const POSTGRES = new Set(['postgres:', 'postgresql:'])

/**
 * Whether a host is this machine: 127.0.0.0/8 and ::1 in any spelling WHATWG URL accepts (0x7f.1, ::ffff:127.0.0.1),
 * and localhost itself.
 */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  // A subdomain of localhost goes to DNS like any other name: only the name itself is this machine.
  if (bare === 'localhost') return true
  const normal = normalHost(bare)
  if (net().isIP(normal) === 4) return normal.startsWith('127.')
  if (net().isIP(normal) === 6) return normal === '::1' || /^::ffff:7f[0-9a-f]{2}:/.test(normal)
  return false
}

/**
 * The host as WHATWG URL normalises it (IPv4 in hex, octal or one number, IPv6 compressed), as the resolver would read
 * it.
 */
function normalHost(bare: string): string {
  try {
    return new URL(`http://${net().isIP(bare) === 6 ? `[${bare}]` : bare}/`).hostname.replace(/^\[|\]$/g, '')
  } catch {
    return bare
  }
}

/**
 * The hosts outside the loopback range that a target's options (strings, arrays and objects, keys included) would
 * connect to.
 */
export function remoteHosts(options: unknown, env: NodeJS.ProcessEnv = {}): string[] {
  const found = new Set<string>()
  const visit = (value: unknown, key?: string): void => {
    if (typeof value === 'string') {
      const named = [...hostsInUrls(value, env), ...(key !== undefined && HOST_KEYS.has(key) ? hostList(value) : [])]
      for (const host of named) if (!isLoopback(host)) found.add(host)
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item)
    } else if (value !== null && typeof value === 'object') {
      for (const [name, item] of Object.entries(value)) visit(item, name)
    }
  }
  visit(options)
  return [...found]
}

/**
 * Every host the URLs in `text` name: the authority, the host parameters of the query, PGHOST for a postgres URL
 * without one.
 */
function hostsInUrls(text: string, env: NodeJS.ProcessEnv): string[] {
  const hosts: string[] = []
  for (const [, candidate] of text.matchAll(URL_CANDIDATE)) {
    let url: URL
    try {
      url = new URL(candidate!)
    } catch {
      continue
    }
    const params = HOST_PARAMS.flatMap((name) => url.searchParams.getAll(name))
    hosts.push(...hostList(url.hostname), ...params.flatMap(hostList))
    if (POSTGRES.has(url.protocol) && url.hostname === '' && params.length === 0)
      hosts.push(...hostList(env.PGHOST ?? ''))
  }
  return hosts
}

/**
 * "h1:5432,h2" → h1, h2 (a bracketed IPv6 keeps its brackets); a Unix socket path (/run/postgresql) is this machine and
 * left out.
 */
function hostList(value: string): string[] {
  return decoded(value)
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '' && !entry.startsWith('/') && !entry.startsWith('@'))
    .map((entry) =>
      entry.startsWith('[')
        ? entry.slice(0, entry.indexOf(']') + 1)
        : net().isIP(entry) === 6
          ? entry
          : entry.replace(/:\d*$/, ''),
    )
}

function decoded(value: string): string {
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

/** Why a target may not run (its options name remote hosts and it does not allow them), or null. */
export function remoteRefusal(options: unknown, allowRemote: boolean, env?: NodeJS.ProcessEnv): string | null {
  if (allowRemote) return null
  const hosts = remoteHosts(options, env)
  if (hosts.length === 0) return null
  return (
    `refused to send traffic to ${hosts.join(', ')}: a gate loads only this machine (127.0.0.0/8, ::1, ` +
    `localhost) unless the target says allow_remote: true`
  )
}
