// Keeps credentials written into URLs (postgres://user:secret@host, redis://:secret@host) out of
// everything a run prints or saves: results files, reports and progress lines.

const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^:/@\s"'`]*):[^@\s"'`/]*@/gi

/** `text` with the password of every URL in it replaced by ***. */
export function maskUrlPasswords(text: string): string {
  return text.replaceAll(URL_PASSWORD, '$1:***@')
}

/** A deep copy of `value` with every string masked by maskUrlPasswords (object keys stay as they are). */
export function maskDeep<T>(value: T): T {
  if (typeof value === 'string') return maskUrlPasswords(value) as T
  if (Array.isArray(value)) return value.map((item) => maskDeep(item)) as T
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, maskDeep(item)])) as T
  return value
}
