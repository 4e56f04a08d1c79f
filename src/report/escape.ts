// Every user-supplied string reaches a report only through one of these escapers, applied to the whole
// view model at once (escapeView), so no template can print raw text by forgetting to escape it.
// Node's stripVTControlCharacters uses strip-ansi's pattern (ansi-regex): the same job, no dependency.
import {stripVTControlCharacters} from 'node:util'

/** Characters that break lines, steer a terminal (ESC, C1), reorder text (bidi controls) or are not valid XML. */
const LINE_BREAKS = /\r\n|[\n\r\t\v\f\u0085\u2028\u2029]/g
const INVISIBLE = new RegExp(
  [
    String.raw`[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufffe\uffff]`,
    // A lone surrogate: a high half with no low half after it, or a low half with no high half before it.
    String.raw`[\ud800-\udbff](?![\udc00-\udfff])`,
    String.raw`(?<![\ud800-\udbff])[\udc00-\udfff]`,
  ].join('|'),
  'g',
)

/** Control characters but the line break and tab, C1 and bidi controls: what can steer a terminal or hide text. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

/**
 * Text for a terminal, lines kept: each control character shown as its escape (ESC as \x1b), so it can steer nothing.
 */
export function visibleControls(text: string): string {
  return text.replace(CONTROLS, (char) => {
    const code = char.codePointAt(0)!
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}

/**
 * One printable line: terminal escape sequences go whole (colours, links; removing ESC alone leaves "[31m"),
 * breaks become spaces, control and bidi characters go. Safe in every format.
 */
export function plainLine(text: string): string {
  return stripVTControlCharacters(text).replace(LINE_BREAKS, ' ').replace(INVISIBLE, '')
}

/** A zero-width space as an entity: invisible, but it splits what GitHub would otherwise link or ping. */
const ZWSP = '&#8203;'

/**
 * Text that stays text inside GitHub-flavoured Markdown, table cells included: no table break (`|`), no
 * code span, emphasis, link, heading, math or HTML, and no @mention pings (a zero-width space after `@`).
 * Bare URLs (`https://…`, `www.…`) and issue references (`#12`, `owner/repo#12`) would be linked by
 * GitHub, and a reference notifies the issue it names, so a zero-width space breaks those too.
 */
export function escapeMarkdown(text: string): string {
  return plainLine(text)
    .replace(/[\\`*_[\]|#~$]/g, '\\$&')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, `@${ZWSP}`)
    .replace(/:(?=\/\/)/g, `${ZWSP}:`)
    .replace(/\b(www)\./gi, `$1${ZWSP}.`)
    .replace(/\\#(?=\d)/g, `\\#${ZWSP}`)
}

/** A zero-width space itself: invisible in a log as on GitHub, and it splits a link or a ping all the same. */
const ZWSP_CHAR = '\u200b'

/**
 * Text that stays text in GitHub-flavoured Markdown and reads as written in a plain log (a CI job's output): only a
 * character that would act where it stands is escaped. `<` only before what would open a tag, `&` only before what
 * would read as an entity, `_` only where it could open or close emphasis (not inside a word, as in
 * allocation_latency), `\` only before punctuation or at the end; `` ` `` `*` `~` `$` `[` `]` `|` always (they act
 * anywhere); links, @mentions and #references are split with an invisible zero-width space. For the checklist,
 * which is printed to logs as often as it is rendered; user text never starts a line there.
 */
export function escapeMarkdownLine(text: string): string {
  return plainLine(text)
    .replace(/\\(?=[!-/:-@[-`{-~]|$)/g, '\\\\')
    .replace(/[`*~$[\]|]/g, '\\$&')
    .replace(/(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])/gu, '\\_')
    .replace(/&(?=#?[A-Za-z0-9]+;)/g, '&amp;')
    .replace(/<(?=[A-Za-z/!?])/g, '&lt;')
    .replace(/@/g, `@${ZWSP_CHAR}`)
    .replace(/:(?=\/\/)/g, `${ZWSP_CHAR}:`)
    .replace(/\b(www)\./gi, `$1${ZWSP_CHAR}.`)
    .replace(/#(?=\d)/g, `#${ZWSP_CHAR}`)
}

/** Text and attribute values in XML 1.0: the five predefined entities; `]]>` cannot survive because `>` is escaped. */
export function escapeXml(text: string): string {
  return plainLine(text)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;')
}

/**
 * Text and double-quoted attribute values in HTML, and in SVG inside it: HTML5 knows the same five entities, so
 * XML's escaping serves; no user text goes anywhere else in the HTML report (no URL, script or style).
 */
export const escapeHtml: Escaper = escapeXml

export type Escaper = (text: string) => string

/** The same shape with every string leaf passed through `escape`; numbers and booleans stay as they are. */
export function escapeView<T>(view: T, escape: Escaper): T {
  return mapStrings(view, escape) as T
}

function mapStrings(node: unknown, escape: Escaper): unknown {
  if (typeof node === 'string') return escape(node)
  if (Array.isArray(node)) return node.map((item) => mapStrings(item, escape))
  if (node !== null && typeof node === 'object') {
    return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, mapStrings(value, escape)]))
  }
  return node
}

/** Cuts to `max` characters (code points, so no emoji is split), marking the cut with …. */
export function clip(text: string, max: number): string {
  const chars = [...text]
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`
}
