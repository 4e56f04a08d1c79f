// Keeps secrets out of everything a run prints or saves (results, evidence, history, reports, progress
// lines, error messages): the values of the gate's `secrets:` and the password of every URL.
import {UserError} from './errors.js'

/** "scheme://user:": where a URL password may start. */
const URL_USER = /\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s"'`]*:/gi
const URL_SCHEME = /[a-z][a-z0-9+.-]*:\/\//i
/** The URL as the text holds it: up to the first whitespace. */
const TOKEN = /\S+/y
const SPECIAL_SCHEMES = new Set(['file:', 'ftp:', 'http:', 'https:', 'ws:', 'wss:'])
/** An "@" and a host after it, ending where a URL may end: the end of a password that WHATWG URL cannot parse. */
const AT_HOST = /@[\w.~%[\]:-]*(?=[\s/?#"'`),;>\]]|$)/g
const MASK = '***'
/** Shorter values ("1", "dev") occur inside ordinary numbers and words: replacing them would garble every report. */
export const MIN_SECRET_LENGTH = 4

/** Replaces secrets in what a run shows; built once per run from the gate's `secrets:` and the environment. */
export interface Redactor {
  /** `text` with every secret value and URL password replaced by ***. */
  text(text: string): string
  /** A deep copy of `value` with every string, object keys included, passed through text(). */
  deep<T>(value: T): T
  /** The same error with its message, stack and issues redacted in place, for a message the user may see. */
  error<E>(error: E): E
  /** What the user should know about a secret that cannot be redacted. */
  readonly warnings: readonly string[]
}

/** A redactor for these secret values (besides URL passwords); values under MIN_SECRET_LENGTH are left alone. */
export function createRedactor(values: readonly string[], warnings: readonly string[] = []): Redactor {
  // A multi-line value (a PEM key) is also redacted line by line: output is often quoted a line at a time.
  const secrets = [...new Set(values.flatMap((value) => [value, ...value.split(/\r?\n/)]))].filter(
    (value) => value.length >= MIN_SECRET_LENGTH,
  )
  const text = (input: string): string => maskUrlPasswords(maskSecrets(input, secrets))
  const deep = <T>(value: T): T => {
    if (typeof value === 'string') return text(value) as T
    if (Array.isArray(value)) return value.map((item) => deep(item)) as T
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [text(key), deep(item)])) as T
    return value
  }

  const error = <E>(thrown: E): E => {
    if (!(thrown instanceof Error)) return thrown
    thrown.message = text(thrown.message)
    if (thrown.stack !== undefined) thrown.stack = text(thrown.stack)
    if (thrown instanceof UserError) thrown.issues.splice(0, thrown.issues.length, ...deep(thrown.issues))
    return thrown
  }

  return {deep, error, text, warnings}
}

/**
 * The redactor of a gate's `secrets:` (environment variable names) in `env`; an unset or empty one has nothing to
 * redact.
 */
export function redactorFor(names: readonly string[], env: NodeJS.ProcessEnv): Redactor {
  const set = names
    .map((name) => [name, Object.hasOwn(env, name) ? (env[name] ?? '') : ''] as const)
    .filter(([, value]) => value !== '')
  const short = set.filter(([, value]) => value.length < MIN_SECRET_LENGTH).map(([name]) => name)
  const warnings = short.map(
    (name) => `secret ${name} is shorter than ${MIN_SECRET_LENGTH} characters, so it is not redacted from the output`,
  )
  return createRedactor(
    set.map(([, value]) => value),
    warnings,
  )
}

/**
 * Replaces the password of every URL with ***. WHATWG URL (the clients' parser) says where it ends: at the last "@" of
 * the
 * authority, so "@", spaces and quotes may be inside. One it cannot parse (a "/" or a space in the password) is cut at
 * the
 * last "@" on the line that a host follows: more may be masked, never less.
 */
function maskUrlPasswords(text: string): string {
  let out = ''
  let from = 0
  for (const match of text.matchAll(URL_USER)) {
    const start = match.index + match[0].length
    if (start <= from) continue
    const at = passwordEnd(text, match.index, start)
    if (at === undefined) continue
    out += `${text.slice(from, start)}${MASK}`
    from = at
  }
  return out + text.slice(from)
}

/**
 * Where the password that starts at `start` (in the URL at `urlAt`) ends, at its "@"; undefined when the URL has none.
 */
function passwordEnd(text: string, urlAt: number, start: number): number | undefined {
  TOKEN.lastIndex = urlAt
  const token = TOKEN.exec(text)![0]
  try {
    const url = new URL(token)
    if (url.password === '') return undefined
    // The authority ends at the first "/", "?" or "#" (and "\\" in the special schemes); its last "@" ends the
    // password.
    const rest = token.slice(start - urlAt)
    const authorityEnd = start + rest.search(SPECIAL_SCHEMES.has(url.protocol) ? /[/?#\\]|$/ : /[/?#]|$/)
    return text.lastIndexOf('@', authorityEnd - 1)
  } catch {
    const lineEnd = text.indexOf('\n', start) === -1 ? text.length : text.indexOf('\n', start)
    const nextUrl = text.slice(start, lineEnd).search(URL_SCHEME)
    const line = text.slice(start, nextUrl === -1 ? lineEnd : start + nextUrl)
    const last = [...line.matchAll(AT_HOST)].at(-1)
    return last === undefined ? undefined : start + last.index
  }
}

/**
 * Every stretch of `text` covered by an occurrence of any secret, overlapping or touching ones merged, replaced by one
 * ***.
 */
function maskSecrets(text: string, secrets: readonly string[]): string {
  const covered: Array<[number, number]> = []
  for (const secret of secrets) {
    for (let at = text.indexOf(secret); at !== -1; at = text.indexOf(secret, at + 1))
      covered.push([at, at + secret.length])
  }

  if (covered.length === 0) return text
  covered.sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const [start, stop] of covered) {
    const last = merged.at(-1)
    if (last && start <= last[1]) last[1] = Math.max(last[1], stop)
    else merged.push([start, stop])
  }

  let out = ''
  let from = 0
  for (const [start, stop] of merged) {
    out += `${text.slice(from, start)}${MASK}`
    from = stop
  }

  return out + text.slice(from)
}
