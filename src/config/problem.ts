import type {ConfigIssue} from '../errors.js'
import type {DocPath} from './types.js'

/**
 * One problem found in a gate document, addressed by where it is in the document rather than in
 * the text, so checks stay pure; the loader turns it into a ConfigIssue with file:line:column.
 */
export interface Problem {
  path: DocPath
  /** Point at the key of the entry at `path` instead of its value (unknown or duplicate keys). */
  key?: boolean
  /** 0-based index into the string value at `path` (a bad token in an expectation, a `${...}`). */
  offset?: number
  message: string
  hint?: string
}

/** `targets[0].with.url`, for messages; the document itself is "the gate file". */
export function formatPath(path: DocPath): string {
  if (path.length === 0) return 'the gate file'
  return path.map((step, index) => (typeof step === 'number' ? `[${step}]` : index === 0 ? step : `.${step}`)).join('')
}

/** How a message names the node at `path`: `"weight"` for a key, `targets[0]` for a list item. */
export function labelOf(path: DocPath): string {
  const last = path.at(-1)
  if (last === undefined) return 'the gate file'
  return typeof last === 'number' ? formatPath(path.slice(-2)) : `"${last}"`
}

/** How messages describe a duration setting. */
export const DURATION_EXPECTED = 'a duration like 30s, 2m or 500ms'

const QUOTED_VALUE = /\(got ("(?:[^"\\]|\\.)*")\)/g
const QUOTE_CHARS = 40

/**
 * Cuts each "(got "…")" quote to 40 characters; only after redaction, since a cut that splits a secret hides it from
 * the redactor.
 */
export function shortenQuotes(message: string): string {
  return message.replaceAll(QUOTED_VALUE, (whole, quoted: string) => {
    const value = JSON.parse(quoted) as string
    return value.length > QUOTE_CHARS ? `(got ${JSON.stringify(`${value.slice(0, QUOTE_CHARS - 3)}...`)})` : whole
  })
}

/** `"weight" must be a number ≥ 0 (got "high")`. */
export function mustBe(path: DocPath, expected: string, got: unknown): string {
  return `${labelOf(path)} must be ${expected} (got ${describeValue(got)})`
}

/**
 * A rendering of a value the user wrote, for "(got ...)": a string is quoted whole, and cut by shortenQuotes once
 * redacted.
 */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'an empty value'
  if (typeof value === 'string') return JSON.stringify(value)
  if (Array.isArray(value)) return value.length === 0 ? 'an empty list' : 'a list'
  if (typeof value === 'object') return 'a mapping'
  return String(value)
}

/** "a", "a or b", "a, b or c" (or with "and"). */
export function listWords(items: readonly string[], conjunction: 'and' | 'or' = 'or'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1)}`
}

/** A YAML mapping as plain data. */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** Enough issues to act on: a data file passed by mistake can have 100,000. */
const MAX_ISSUES = 50

/**
 * Issues as a GateConfigError lists them: by line, then column (those without a place first), each once, at most
 * MAX_ISSUES.
 */
export function reportable(issues: readonly ConfigIssue[]): ConfigIssue[] {
  const unique = new Map(
    issues.map((issue) => [JSON.stringify([issue.position?.line, issue.position?.column, issue.message]), issue]),
  )
  const place = (issue: ConfigIssue) => [issue.position?.line ?? 0, issue.position?.column ?? 0] as const
  const sorted = [...unique.values()].sort((a, b) => place(a)[0] - place(b)[0] || place(a)[1] - place(b)[1])
  if (sorted.length <= MAX_ISSUES) return sorted
  return [
    ...sorted.slice(0, MAX_ISSUES),
    {
      message: `… and ${sorted.length - MAX_ISSUES} more problems`,
      hint: 'is this file a gate? fix the first ones and check again',
    },
  ]
}
