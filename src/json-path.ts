/** One step into a JSON document: an object key or an array index. */
export type PathStep = number | string

/** "/headers/0/x~1y" (JSON Pointer, RFC 6901) → ['headers', 0, 'x/y']. */
export function parsePointer(pointer: string): PathStep[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((part) => (/^\d+$/.test(part) ? Number(part) : part))
}

const STEP = /\.?([^.[\]]+)|\[(\d+)\]|\[\s*(["'])(.*?)\3\s*\]/y

/**
 * Reads `a.b[0].c`, `metrics.http_req_duration.values["p(95)"]` (quoted keys may hold dots) or,
 * starting with "/", a JSON Pointer. Throws on anything else, naming the position.
 */
export function parsePath(path: string): PathStep[] {
  if (path.startsWith('/')) return parsePointer(path)
  const steps: PathStep[] = []
  STEP.lastIndex = 0
  while (STEP.lastIndex < path.length) {
    const at = STEP.lastIndex
    const match = STEP.exec(path)
    if (!match || (at === 0 && path.startsWith('.')))
      throw new Error(`cannot read path "${path}" at character ${at + 1}: write it like a.b[0].c or a["key.with.dots"]`)
    steps.push(match[1] ?? (match[2] === undefined ? match[4]! : Number(match[2])))
  }

  if (steps.length === 0) throw new Error('the path is empty: write it like a.b[0].c')
  return steps
}

/** Writes steps back as a.b[0]["x.y"], for messages. */
export function formatPath(steps: readonly PathStep[]): string {
  return steps
    .map((step, index) => {
      if (typeof step === 'number') return `[${step}]`
      if (/^[^.[\]"']+$/.test(step)) return index === 0 ? step : `.${step}`
      return `[${JSON.stringify(step)}]`
    })
    .join('')
}

/** The value at `steps`; throws naming the first step that is missing and what is there instead. */
export function valueAt(document: unknown, steps: readonly PathStep[]): unknown {
  let current = document
  for (const [index, step] of steps.entries()) {
    const where = index === 0 ? 'the top level' : formatPath(steps.slice(0, index))
    if (Array.isArray(current)) {
      const position = typeof step === 'number' ? step : /^\d+$/.test(step) ? Number(step) : Number.NaN
      if (!(position >= 0 && position < current.length))
        throw new Error(`${where} is an array of ${current.length} items; there is no item ${JSON.stringify(step)}`)
      current = current[position]
    } else if (current !== null && typeof current === 'object' && Object.hasOwn(current, String(step))) {
      current = (current as Record<string, unknown>)[String(step)]
    } else {
      throw new Error(`${where} has no ${JSON.stringify(step)}${keysHint(current)}`)
    }
  }

  return current
}

function keysHint(value: unknown): string {
  if (value === null || typeof value !== 'object') return ` (it is ${value === null ? 'null' : typeof value})`
  const keys = Object.keys(value)
  if (keys.length === 0) return ' (it is an empty object)'
  return ` (keys: ${keys.slice(0, 10).join(', ')}${keys.length > 10 ? ', …' : ''})`
}
