// Load safety: a gate sends traffic only to this machine unless a target says `allow_remote: true`.
import {isIP} from 'node:net'

// scheme://[user[:password]@]host — the host as written: a name, an IPv4 address or a bracketed IPv6 one.
const URL_HOST = /\b[a-z][a-z0-9+.-]*:\/\/(?:[^@/\s"'`]*@)?(\[[0-9a-f:.]+\]|[^:/?#\s"'`]+)/gi

/** Whether a host is this machine: 127.0.0.0/8, ::1 (also IPv4-mapped), localhost and its subdomains. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase()
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true
  if (isIP(bare) === 4) return bare.startsWith('127.')
  if (isIP(bare) === 6) return bare === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(bare) || /^::ffff:127\./.test(bare)
  return false
}

/** The hosts outside the loopback range named by URLs anywhere in a target's options (strings, arrays and objects). */
export function remoteHosts(options: unknown): string[] {
  const found = new Set<string>()
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(URL_HOST)) if (!isLoopback(match[1]!)) found.add(match[1]!)
    } else if (Array.isArray(value)) {
      for (const item of value) visit(item)
    } else if (value !== null && typeof value === 'object') {
      for (const item of Object.values(value)) visit(item)
    }
  }
  visit(options)
  return [...found]
}

/** Why a target may not run (its options name remote hosts and it does not allow them), or null. */
export function remoteRefusal(options: unknown, allowRemote: boolean): string | null {
  if (allowRemote) return null
  const hosts = remoteHosts(options)
  if (hosts.length === 0) return null
  return `refused to send traffic to ${hosts.join(', ')}: a gate loads only this machine (127.0.0.0/8, ::1, localhost) unless the target says allow_remote: true`
}
