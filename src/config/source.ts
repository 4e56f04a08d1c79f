// Reads a gate file into a YAML document that remembers where every node is, and refuses input
// that could exhaust time or memory before any check runs on it.
import {readFileSync, statSync} from 'node:fs'
import path from 'node:path'
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  type Alias,
  type Document,
  type Node,
  type Pair,
  type Scalar,
  type YAMLError,
  type YAMLMap,
} from 'yaml'

import {GateConfigError, UserError, type ConfigIssue} from '../errors.js'
import {reportable, type Problem} from './problem.js'
import type {DocPath, SourcePosition} from './types.js'

/** Gate files are short lists of targets (a big one is 20 KiB); yaml needs seconds for a hostile 256 KiB. */
export const MAX_GATE_BYTES = 256 * 1024
/** Deepest nesting a gate file may use; real gates need about six levels. */
export const MAX_DEPTH = 64
/** yaml's guard against "billion laughs": how much aliases may expand in total. */
const MAX_ALIAS_COUNT = 100
/** Most aliases a file may use: yaml resolves each by a scan over all of them. */
const MAX_ALIASES = 1000
/** Most values the data may hold with aliases expanded; real gates hold a few hundred. */
const MAX_VALUES = 100_000

export type NodePart = 'key' | 'value'

/** A parsed gate file: its bytes, its YAML tree with positions, and the plain data it holds. */
export class GateSource {
  /** Problems found while reading that do not stop the other checks (duplicate keys). */
  readonly issues: ConfigIssue[] = []
  private readonly entryIndex = new WeakMap<YAMLMap, Map<string, Pair>>()

  private constructor(
    /** Absolute path. */
    readonly file: string,
    /** The path shown in messages: relative to the working directory. */
    readonly display: string,
    readonly bytes: Buffer,
    /** The YAML text, for positions inside scalars. */
    readonly text: string,
    private readonly doc: Document.Parsed,
    private readonly lines: LineCounter,
    readonly data: Record<string, unknown>,
  ) {}

  /** Reads and parses `file`; throws GateConfigError when the file cannot be read as a gate at all. */
  static read(file: string, cwd: string): GateSource {
    const display = displayName(file, cwd)
    let bytes: Buffer
    try {
      const size = statSync(file).size
      if (size > MAX_GATE_BYTES) throw tooBig(display, size)
      bytes = readFileSync(file)
    } catch (error) {
      if (error instanceof GateConfigError) throw error
      throw new UserError(`cannot read ${display}: ${(error as Error).message}`)
    }

    return GateSource.parse(bytes, file, cwd)
  }

  /** Parses the bytes of the gate file at `file` (absolute); throws GateConfigError like read(). */
  static parse(bytes: Buffer, file: string, cwd: string): GateSource {
    const display = displayName(file, cwd)
    const fail = (issues: ConfigIssue[]) => new GateConfigError(display, issues)
    if (bytes.length > MAX_GATE_BYTES) throw tooBig(display, bytes.length)
    const text = bytes.toString('utf8')
    const deep = tooDeepAt(text)
    if (deep !== null)
      throw fail([
        {
          position: positionByScan(display, text, deep),
          message: `the file nests more than ${MAX_DEPTH} levels deep`,
          hint: 'a gate needs only a few levels; check the brackets and indentation',
        },
      ])

    const lines = new LineCounter()
    const at = (offset: number): SourcePosition => toPosition(display, lines, offset)
    const doc = parseDocument(text, {
      lineCounter: lines,
      logLevel: 'error',
      merge: false,
      prettyErrors: false,
      resolveKnownTags: false,
      stringKeys: true,
      uniqueKeys: false,
    })
    const syntax = [...doc.errors, ...doc.warnings].map((error) => syntaxIssue(error, text, at))
    if (syntax.length > 0) throw fail(reportable(syntax))
    if (!isMap(doc.contents)) throw fail([notAMapping(doc.contents, at)])

    const aliases = allAliases(doc.contents)
    const excess = aliases[MAX_ALIASES]
    if (excess)
      throw fail([
        {
          position: at(excess.range?.[0] ?? 0),
          message: `the file uses more than ${MAX_ALIASES} aliases`,
          hint: 'a gate needs only a few aliases (*name)',
        },
      ])
    let data: unknown
    try {
      data = doc.toJS({maxAliasCount: MAX_ALIAS_COUNT})
    } catch (error) {
      throw fail([aliasIssue(aliases, error, at)])
    }

    const source = new GateSource(file, display, bytes, text, doc, lines, data as Record<string, unknown>)
    const shape = shapeProblem(data)
    if (shape) throw fail([source.issue(shape)])
    source.issues.push(
      ...repeatedKeys(doc.contents).map(({key, offset}) => ({
        position: at(offset),
        message: `duplicate key "${key}"`,
        hint: 'a key may appear once in a mapping',
      })),
    )
    return source
  }

  /** file:line:column of a 0-based offset into the text. */
  position(offset: number): SourcePosition {
    return toPosition(this.display, this.lines, offset)
  }

  /** Where the node at `path` is; the nearest existing ancestor when it is absent. */
  locate(docPath: DocPath, part: NodePart = 'value'): SourcePosition {
    return this.position(this.offsetOf(docPath, part))
  }

  /** Turns a problem into an issue with file:line:column. */
  issue(problem: Problem): ConfigIssue {
    const position =
      problem.offset === undefined
        ? this.locate(problem.path, problem.key ? 'key' : 'value')
        : this.position(this.offsetInScalar(problem.path, problem.offset))
    return {position, message: problem.message, ...(problem.hint ? {hint: problem.hint} : {})}
  }

  private offsetOf(docPath: DocPath, part: NodePart): number {
    const found = this.find(docPath)
    const node = part === 'key' && found.pair ? found.pair : found.node
    return node?.range?.[0] ?? 0
  }

  /** The source offset of character `offset` of the string at `path`, accounting for quotes, escapes and folding. */
  private offsetInScalar(docPath: DocPath, offset: number): number {
    const found = this.find(docPath)
    const node = found.node
    if (!found.exact || !isScalar(node) || typeof node.value !== 'string' || !node.range)
      return this.offsetOf(docPath, 'value')
    return sourceOffset(this.text, node as Scalar.Parsed, offset)
  }

  /** Walks the YAML tree along `path`, through aliases, as far as it exists. */
  private find(docPath: DocPath): {exact: boolean; node: Node | null; pair?: Node} {
    let node: Node | null = this.doc.contents
    let pair: Node | undefined
    for (const step of docPath) {
      const next = this.childOf(node, step)
      if (!next) return {exact: false, node, ...(pair ? {pair} : {})}
      node = next.value ?? next.key ?? node
      pair = next.key ?? undefined
    }

    return {exact: true, node, ...(pair ? {pair} : {})}
  }

  private childOf(parent: Node | null, step: string | number): {key: Node | null; value: Node | null} | undefined {
    const node = isAlias(parent) ? (parent.resolve(this.doc) ?? null) : parent
    if (isMap(node)) {
      const entry = this.entriesOf(node).get(String(step))
      return entry && {key: entry.key as Node, value: realNode(entry.value)}
    }

    if (isSeq(node) && typeof step === 'number') {
      const item = node.items[step]
      return item === undefined ? undefined : {key: null, value: realNode(item)}
    }

    return undefined
  }

  /**
   * The first entry for each key of a mapping, indexed once: a hostile file can have 100,000 keys and as many problems.
   */
  private entriesOf(map: YAMLMap): Map<string, Pair> {
    let entries = this.entryIndex.get(map)
    if (!entries) {
      entries = new Map()
      for (const pair of map.items as Pair[]) {
        const key = isScalar(pair.key) ? String(pair.key.value) : ''
        if (!entries.has(key)) entries.set(key, pair)
      }

      this.entryIndex.set(map, entries)
    }

    return entries
  }
}

function realNode(value: unknown): Node | null {
  const node = value as Node | null
  // An empty value (`expect:`) has no place of its own.
  return isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1] ? null : node
}

function displayName(file: string, cwd: string): string {
  return path.relative(cwd, file) || path.basename(file)
}

function tooBig(display: string, size: number): GateConfigError {
  const hint = 'keep data in files that validators read (artifact) and list only targets here'
  return new GateConfigError(display, [
    {
      message: `the file is ${Math.ceil(size / 1024)} KiB; a gate file may be at most ${MAX_GATE_BYTES / 1024} KiB`,
      hint,
    },
  ])
}

function toPosition(file: string, lines: LineCounter, offset: number): SourcePosition {
  const {col, line} = lines.linePos(offset)
  return {column: col, file, line: Math.max(1, line)}
}

/** Line and column by counting newlines, for problems found before yaml has counted them. */
function positionByScan(file: string, text: string, offset: number): SourcePosition {
  const before = text.slice(0, offset)
  const lineStart = before.lastIndexOf('\n') + 1
  return {column: offset - lineStart + 1, file, line: before.split('\n').length}
}

/**
 * Where the nesting passes MAX_DEPTH, or null. yaml's parser slows down badly on deeply nested
 * input, so this cheap line scan runs first. It over-estimates: block levels come from the stack of
 * indentations plus "- "/"? " indicators that open a level on the same line, flow levels from
 * brackets outside quotes and comments.
 */
export function tooDeepAt(text: string): number | null {
  const indents: number[] = []
  let flow = 0
  for (let start = 0; start <= text.length;) {
    const newline = text.indexOf('\n', start)
    const end = newline === -1 ? text.length : newline
    const line = text.slice(start, end)
    const lead = /^( *)[ \t]*((?:[-?:][ \t]+)*)/.exec(line)!
    const indent = lead[1]!.length
    if (flow === 0 && !/^\s*(#|$)/.test(line)) {
      while (indents.length > 0 && indents.at(-1)! >= indent) indents.pop()
      indents.push(indent)
    }

    const block = indents.length + lead[2]!.replaceAll(/[ \t]/g, '').length
    if (block > MAX_DEPTH) return start + indent
    for (let i = 0; i < line.length; i++) {
      const char = line[i]!
      const before = i === 0 ? ' ' : line[i - 1]!
      if (char === '#' && /\s/.test(before)) break
      // A quote opens a string only where a value can start; "it's" is plain text.
      if ((char === '"' || char === "'") && /[\s,[{:]/.test(before)) i = closingQuote(line, i)
      else if (char === '[' || char === '{') {
        if (block + ++flow > MAX_DEPTH) return start + i
      } else if (char === ']' || char === '}') flow = Math.max(0, flow - 1)
    }

    start = end + 1
  }

  return null
}

/** Index of the quote that closes the one at `from`, within the line (a multi-line string simply counts on). */
function closingQuote(line: string, from: number): number {
  const quote = line[from]
  for (let i = from + 1; i < line.length; i++) {
    if (quote === '"' && line[i] === '\\') i++
    else if (line[i] === quote) {
      if (quote === "'" && line[i + 1] === "'") i++
      else return i
    }
  }

  return line.length
}

// yaml's messages are good for indentation and brackets; these say the rest in the gate file's terms.
const SYNTAX_MESSAGES: Partial<Record<string, {hint: string; message?: (source: string) => string}>> = {
  MULTIPLE_DOCS: {
    message: () => 'more than one YAML document',
    hint: 'a gate file holds one document: remove the second "---"',
  },
  NON_STRING_KEY: {
    message: () => 'a key must be a plain name, not a list or a mapping',
    hint: 'quote it if it is meant as text',
  },
  TAB_AS_INDENT: {hint: 'indent with spaces, not tabs'},
  TAG_RESOLVE_FAILED: {
    message: (source) => `unsupported tag ${source.trim()}`,
    hint: 'gate files hold plain values: remove the tag',
  },
}

function syntaxIssue(error: YAMLError, text: string, at: (offset: number) => SourcePosition): ConfigIssue {
  const known = SYNTAX_MESSAGES[error.code]
  const source = text.slice(error.pos[0], Math.min(error.pos[1], error.pos[0] + 40))
  const message = known?.message?.(source) ?? `YAML: ${error.message.split('\n')[0]}`
  return {position: at(Math.min(error.pos[0], text.length)), message, ...(known ? {hint: known.hint} : {})}
}

function notAMapping(contents: Node | null, at: (offset: number) => SourcePosition): ConfigIssue {
  const hint = 'a gate file is a mapping: version: 1, then targets: and the other keys (see `gate schema`)'
  if (contents === null || (isScalar(contents) && contents.value === null))
    return {message: 'the gate file is empty', hint}
  const what = isSeq(contents) ? 'a list' : isAlias(contents) ? 'an alias' : 'a single value'
  return {position: at(contents.range?.[0] ?? 0), message: `the gate file holds ${what}, not a mapping of keys`, hint}
}

/** toJS fails only on aliases: one without an anchor, or aliases that expand too much (billion laughs). */
function aliasIssue(aliases: readonly Alias[], error: unknown, at: (offset: number) => SourcePosition): ConfigIssue {
  const message = error instanceof Error ? error.message : String(error)
  // yaml names the anchor at the end of its message; resolving each alias to find it again would be quadratic.
  const unresolved = /^Unresolved alias.*: (\S+)$/.exec(message)?.[1]
  const culprit = aliases.find((alias) => alias.source === unresolved) ?? aliases[0]
  const position = at(culprit?.range?.[0] ?? 0)
  if (unresolved !== undefined)
    return {position, message: `alias *${unresolved} names no anchor`, hint: `define &${unresolved} before using it`}
  return {
    position,
    message: /alias count/i.test(message) ? 'aliases expand into too much data' : `cannot read the aliases: ${message}`,
    hint: 'use fewer nested aliases (*name)',
  }
}

function allAliases(node: unknown): Alias[] {
  if (isAlias(node)) return [node]
  if (isMap(node)) return node.items.flatMap((pair) => [...allAliases(pair.key), ...allAliases(pair.value)])
  if (isSeq(node)) return node.items.flatMap((item) => allAliases(item))
  return []
}

/** Offsets of keys that repeat an earlier key of their mapping; yaml's own check is quadratic in the number of keys. */
function repeatedKeys(node: unknown): Array<{key: string; offset: number}> {
  if (isSeq(node)) return node.items.flatMap((item) => repeatedKeys(item))
  if (!isMap(node)) return []
  const seen = new Set<string>()
  const repeats: Array<{key: string; offset: number}> = []
  for (const pair of node.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : ''
    if (seen.has(key)) repeats.push({key, offset: (pair.key as Node | null)?.range?.[0] ?? 0})
    seen.add(key)
    repeats.push(...repeatedKeys(pair.value))
  }

  return repeats
}

/**
 * Aliases can make the data cyclic (`&a [*a]`), very deep, or huge (10,000 aliases of a 10,000-item
 * list pass yaml's alias check); each would make every later walk hang, so this walk has a budget.
 */
function shapeProblem(data: unknown): Problem | undefined {
  let budget = MAX_VALUES
  const ancestors = new Set<object>()
  const walk = (value: unknown, docPath: DocPath): Problem | undefined => {
    if (--budget < 0)
      return {
        path: docPath,
        message: `the data holds more than ${MAX_VALUES} values once aliases are expanded`,
        hint: 'use fewer aliases (*name) of large nodes',
      }
    if (value === null || typeof value !== 'object') return undefined
    if (ancestors.has(value))
      return {
        path: docPath,
        message: 'an alias refers to a node that contains it',
        hint: 'aliases may only repeat a finished node',
      }
    if (docPath.length > MAX_DEPTH) return {path: docPath, message: `the data nests more than ${MAX_DEPTH} levels deep`}
    ancestors.add(value)
    const entries = Array.isArray(value) ? value.map((item, index) => [index, item] as const) : Object.entries(value)
    for (const [step, item] of entries) {
      const problem = walk(item, [...docPath, step])
      if (problem) return problem
    }

    ancestors.delete(value)
    return undefined
  }

  return walk(data, [])
}

/**
 * The source offset of character `offset` of a string scalar. Walks the value and the source side
 * by side: source characters that are not in the value (quotes, escapes, indentation, folded line
 * breaks) are skipped until the next value character matches.
 */
export function sourceOffset(text: string, scalar: Scalar.Parsed, offset: number): number {
  const value = String(scalar.value)
  const [start, end] = scalar.range
  const block = scalar.type === 'BLOCK_LITERAL' || scalar.type === 'BLOCK_FOLDED'
  const quoted = scalar.type === 'QUOTE_DOUBLE' || scalar.type === 'QUOTE_SINGLE'
  // Past this a value is not an expectation or a URL, and the walk below would be slow.
  if (value.length > 10_000) return start
  let at = block ? text.indexOf('\n', start) + 1 : quoted ? start + 1 : start
  for (let i = 0; i < Math.min(offset, value.length); i++) {
    const wanted = value[i]!
    let probe = at
    while (probe < end && !sameChar(text[probe]!, wanted)) probe++
    // A character the source writes differently (an escape): keep going from where we were.
    at = probe < end ? probe + 1 : at + 1
  }

  while (at < end && offset < value.length && !sameChar(text[at]!, value[offset]!)) at++
  // Point at the start of an escape sequence (\" in a double-quoted string), not at its last character.
  if (scalar.type === 'QUOTE_DOUBLE' && text[at - 1] === '\\' && at - 1 > start) at--
  return Math.min(at, Math.max(start, end))
}

function sameChar(source: string, value: string): boolean {
  // Folding turns a line break in the source into a space in the value.
  return source === value || (value === ' ' && source === '\n')
}
