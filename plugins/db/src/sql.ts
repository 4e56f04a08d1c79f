// Gate files write one placeholder syntax for both drivers, `$1 $2 …`; this finds them (outside quotes
// and comments) and translates a statement for the driver that runs it.

export type Driver = 'postgres' | 'sqlite'

/** A statement as written, split at its placeholders: parts[i] comes before placeholder refs[i] (1-based). */
export interface ParsedStatement {
  text: string
  parts: string[]
  refs: number[]
}

/** A statement ready for one driver: its SQL and, in bind order, which of the operation's values (0-based) it takes. */
export interface DriverStatement {
  sql: string
  params: number[]
}

const IDENTIFIER_CHAR = /[\w$]/

/** Finds `$N` placeholders; quoted strings, quoted identifiers, comments and dollar-quoted bodies are skipped. */
export function parseStatement(text: string): ParsedStatement {
  const parts: string[] = []
  const refs: number[] = []
  let partStart = 0
  let i = 0
  while (i < text.length) {
    const char = text[i]!
    const next = text[i + 1]
    const afterIdentifier = i > 0 && IDENTIFIER_CHAR.test(text[i - 1]!)
    if (char === "'") {
      // E'…' strings (PostgreSQL) take backslash escapes.
      const escapes = i > 0 && /[eE]/.test(text[i - 1]!) && !(i > 1 && IDENTIFIER_CHAR.test(text[i - 2]!))
      i = endOfQuoted(text, i, "'", escapes)
    } else if (char === '"' || char === '`') {
      i = endOfQuoted(text, i, char, false)
    } else if (char === '-' && next === '-') {
      const end = text.indexOf('\n', i)
      i = end === -1 ? text.length : end + 1
    } else if (char === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2)
      i = end === -1 ? text.length : end + 2
    } else if (char === '$' && !afterIdentifier && /\d/.test(next ?? '')) {
      let end = i + 1
      while (end < text.length && /\d/.test(text[end]!)) end++
      parts.push(text.slice(partStart, i))
      refs.push(Number(text.slice(i + 1, end)))
      partStart = end
      i = end
    } else if (char === '$' && !afterIdentifier) {
      const tag = /^\$([A-Za-z_]\w*)?\$/.exec(text.slice(i))
      if (tag) {
        const end = text.indexOf(tag[0], i + tag[0].length)
        i = end === -1 ? text.length : end + tag[0].length
      } else {
        i++
      }
    } else {
      i++
    }
  }

  parts.push(text.slice(partStart))
  return {parts, refs, text}
}

/** Index just past the closing quote; a doubled quote inside is part of the text. */
function endOfQuoted(text: string, start: number, quote: string, backslashEscapes: boolean): number {
  let i = start + 1
  while (i < text.length) {
    if (backslashEscapes && text[i] === '\\') {
      i += 2
    } else if (text[i] === quote) {
      if (text[i + 1] !== quote) return i + 1
      i += 2
    } else {
      i++
    }
  }

  return text.length
}

/**
 * The statement for a driver. PostgreSQL gets `$1…$k` renumbered over the values this statement
 * uses (a prepared statement must use every value it is sent); SQLite gets `?` in order of appearance.
 */
export function forDriver(statement: ParsedStatement, driver: Driver): DriverStatement {
  if (driver === 'sqlite') {
    return {params: statement.refs.map((ref) => ref - 1), sql: join(statement, () => '?')}
  }

  const used = [...new Set(statement.refs)].sort((a, b) => a - b)
  const renumbered = new Map(used.map((ref, index) => [ref, index + 1]))
  return {params: used.map((ref) => ref - 1), sql: join(statement, (ref) => `$${renumbered.get(ref)}`)}
}

function join(statement: ParsedStatement, placeholder: (ref: number) => string): string {
  return statement.parts
    .map((part, index) => (index < statement.refs.length ? part + placeholder(statement.refs[index]!) : part))
    .join('')
}

/**
 * Why the statements' placeholders and the `count` values given do not fit, or undefined when every
 * value from $1 to $count is used and no placeholder points past them.
 */
export function placeholderProblem(statements: ParsedStatement[], count: number, subject: string): string | undefined {
  const given =
    count === 0 ? 'no params' : `${count} params value${count === 1 ? '' : 's'} ($1${count > 1 ? `..$${count}` : ''})`
  for (const [index, statement] of statements.entries()) {
    const beyond = statement.refs.find((ref) => ref < 1 || ref > count)
    if (beyond !== undefined) {
      const which = statements.length > 1 ? `statement ${index + 1}` : 'the statement'
      return (
        `${subject}: ${which} uses $${beyond} but there ${count === 1 ? 'is' : 'are'} ${given}; give one ` +
        `params entry per placeholder $1, $2, …`
      )
    }
  }

  const used = new Set(statements.flatMap((statement) => statement.refs))
  for (let ref = 1; ref <= count; ref++) {
    if (!used.has(ref)) {
      return (
        `${subject}: params has ${count} value${count === 1 ? '' : 's'} but no statement uses ` +
        `$${ref}; remove it, or use $${ref} (placeholders are $1, $2, … for SQLite and PostgreSQL alike)`
      )
    }
  }

  return undefined
}
