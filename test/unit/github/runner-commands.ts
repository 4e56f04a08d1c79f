// How the Actions runner reads a workflow command line (actions/runner ActionCommand.TryParseV2): an
// independent reading, so the tests check our escaping against the parser rather than against itself.

export interface ParsedCommand {
  command: string
  properties: Record<string, string>
  message: string
}

// The runner unescapes `%25` last, so `%250A` stays the text `%0A`.
const DATA: Array<[string, string]> = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%25', '%'],
]
const PROPERTY: Array<[string, string]> = [
  ['%0D', '\r'],
  ['%0A', '\n'],
  ['%3A', ':'],
  ['%2C', ','],
  ['%25', '%'],
]

const unescape = (text: string, mappings: Array<[string, string]>) =>
  mappings.reduce((out, [escaped, token]) => out.replaceAll(escaped, token), text)

export function parseWorkflowCommand(line: string): ParsedCommand {
  const trimmed = line.trim()
  if (!trimmed.startsWith('::')) throw new Error(`not a workflow command: ${line}`)
  const end = trimmed.indexOf('::', 2)
  if (end < 0) throw new Error(`no closing :: in ${line}`)
  const info = trimmed.slice(2, end)
  const space = info.indexOf(' ')
  const properties: Record<string, string> = {}
  if (space > 0) {
    for (const pair of info
      .slice(space + 1)
      .trim()
      .split(',')
      .filter(Boolean)) {
      const equals = pair.indexOf('=')
      if (equals > 0 && equals < pair.length - 1)
        properties[pair.slice(0, equals)] = unescape(pair.slice(equals + 1), PROPERTY)
    }
  }
  return {command: space < 0 ? info : info.slice(0, space), message: unescape(trimmed.slice(end + 2), DATA), properties}
}
