// Pure helpers: what one call gave, whether the module and its JavaScript twin agree, and how to show either in a note.

/** What one call gave: its value, or what it threw. */
export type Outcome = {value: unknown} | {threw: string}

/** Longest preview of an input or output in a note. */
const PREVIEW_CHARS = 120

/** Calls `operation` on `args`, turning a throw (a trap, an abort, a JavaScript error) into an outcome. */
export function outcomeOf(operation: (...args: unknown[]) => unknown, args: readonly unknown[]): Outcome {
  try {
    return {value: operation(...args)}
  } catch (error) {
    return {threw: describeError(error)}
  }
}

/**
 * Whether two outcomes count as the same output. Numbers match when |a − b| ≤ tolerance × max(1, |b|)
 * (b is the JavaScript twin's), so 0 means exact; NaN matches NaN and an infinity only itself; bigints match exactly;
 * arrays
 * (multi-value returns) match element by element. An outcome that threw never matches: a call that
 * throws cannot be compared, nor timed.
 */
export function sameOutcome(wasm: Outcome, js: Outcome, tolerance: number): boolean {
  if ('threw' in wasm || 'threw' in js) return false
  return sameValue(wasm.value, js.value, tolerance)
}

export function sameValue(wasm: unknown, js: unknown, tolerance: number): boolean {
  if (typeof wasm === 'number' && typeof js === 'number') {
    if (Number.isNaN(wasm) || Number.isNaN(js)) return Number.isNaN(wasm) && Number.isNaN(js)
    if (wasm === js) return true
    // An infinity matches only itself, whatever the tolerance.
    if (!Number.isFinite(wasm) || !Number.isFinite(js)) return false
    return Math.abs(wasm - js) <= tolerance * Math.max(1, Math.abs(js))
  }

  if (Array.isArray(wasm) && Array.isArray(js)) {
    return wasm.length === js.length && wasm.every((item, index) => sameValue(item, js[index], tolerance))
  }

  return Object.is(wasm, js)
}

/** An outcome as a note shows it: `42`, `7n`, `[1, 2]`, `threw RuntimeError: unreachable`. */
export function describeOutcome(outcome: Outcome): string {
  return 'threw' in outcome ? `threw ${outcome.threw}` : describeValue(outcome.value)
}

/** An argument list or output, short enough for a note. */
export function describeValue(value: unknown): string {
  return preview(show(value))
}

function show(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value)
  if (Array.isArray(value)) return `[${value.map((item) => show(item)).join(', ')}]`
  if (typeof value === 'string') return JSON.stringify(value)
  if (value === undefined || value === null || typeof value !== 'object') return String(value)
  try {
    return JSON.stringify(value)
  } catch {
    return Object.prototype.toString.call(value)
  }
}

function preview(text: string): string {
  return text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS - 3)}...` : text
}

/** "RuntimeError: unreachable": the error's name and message, never its stack. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`
  return preview(String(error))
}
