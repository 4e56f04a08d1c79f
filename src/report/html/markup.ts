// HTML and SVG for the report are built only through `html`, which escapes every interpolated value unless it is
// Markup made by `html` itself, so no chart can print a name from the results raw by forgetting to escape it.
import {escapeHtml} from '../escape.js'

/** Markup that is safe to print as it is: only `html` makes it. */
export class Markup {
  readonly #text: string

  constructor(text: string, token: typeof MADE_HERE) {
    if (token !== MADE_HERE) throw new Error('Markup is made only by html``')
    this.#text = text
  }

  toString(): string {
    return this.#text
  }
}

const MADE_HERE = Symbol('markup')

type Part = Markup | string | number | null | undefined | false | readonly Part[]

/**
 * A template literal whose interpolations are escaped text, numbers (as coordinates), nested Markup or lists of them.
 */
export function html(strings: TemplateStringsArray, ...parts: Part[]): Markup {
  let text = strings[0]!
  for (let i = 0; i < parts.length; i++) text += render(parts[i]) + strings[i + 1]!
  return new Markup(text, MADE_HERE)
}

function render(part: Part): string {
  if (part instanceof Markup) return part.toString()
  if (Array.isArray(part)) return part.map(render).join('')
  if (typeof part === 'number') return coordinate(part)
  if (part === null || part === undefined || part === false) return ''
  return escapeHtml(part as string)
}

/** A number for an SVG attribute: two decimals are finer than a pixel; a non-finite one must not reach the markup. */
export function coordinate(x: number): string {
  if (!Number.isFinite(x)) return '0'
  const rounded = Math.round(x * 100) / 100
  return String(Object.is(rounded, -0) ? 0 : rounded)
}
