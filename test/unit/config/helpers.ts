import {fileURLToPath} from 'node:url'

import {parseGate} from '../../../src/config/load.js'
import type {GateConfig} from '../../../src/config/types.js'
import {GateConfigError, type ConfigIssue} from '../../../src/errors.js'

/** The repository root: fixtures are addressed from here, as a user's cwd would. */
export const REPO = fileURLToPath(new URL('../../../', import.meta.url))
/** test/fixtures/gates, relative to REPO. */
export const FIXTURES = 'test/fixtures/gates'

/** Where in-memory gates pretend to live: a gates/ folder of a project. */
export const PROJECT = '/project'
export const GATE_FILE = '/project/gates/test.yaml'

/**
 * Strips the indentation of a template literal so gates read naturally in tests; lines keep their relative indentation.
 */
export function yaml(strings: TemplateStringsArray, ...values: unknown[]): string {
  const text = strings.reduce(
    (out, part, index) => out + part + (index < values.length ? String(values[index]) : ''),
    '',
  )
  const lines = text
    .replace(/^\n/, '')
    .replace(/\n[ \t]*$/, '\n')
    .split('\n')
  const indent = Math.min(...lines.filter((line) => line.trim() !== '').map((line) => /^ */.exec(line)![0].length))
  return lines.map((line) => line.slice(indent)).join('\n')
}

export function load(text: string, env: NodeJS.ProcessEnv = {}): GateConfig {
  return parseGate(Buffer.from(text), GATE_FILE, {cwd: PROJECT, env})
}

/** "line:column message — hint", as the CLI prints an issue (without the file). */
export function format(issue: ConfigIssue): string {
  const where = issue.position ? `${issue.position.line}:${issue.position.column} ` : ''
  return `${where}${issue.message}${issue.hint ? ` — ${issue.hint}` : ''}`
}

/** The issues a gate is rejected with; fails the test when it loads. */
export function rejection(text: string, env: NodeJS.ProcessEnv = {}): GateConfigError {
  try {
    load(text, env)
  } catch (error) {
    if (error instanceof GateConfigError) return error
    throw error
  }

  throw new Error('the gate loaded, but it should have been rejected')
}

export function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  return rejection(text, env).issues.map((issue) => format(issue))
}

/** 1-based column of the `occurrence`-th `token` on 1-based `line` of `text`: where an issue should point. */
export function columnOf(text: string, line: number, token: string, occurrence = 1): number {
  const source = text.split('\n')[line - 1] ?? ''
  let index = -1
  for (let i = 0; i < occurrence; i++) index = source.indexOf(token, index + 1)
  if (index < 0) throw new Error(`"${token}" is not on line ${line}: ${source}`)
  return index + 1
}

/** A small valid gate to start tests from. */
export const VALID = yaml`
  version: 1
  targets:
    - id: api-latency
      validator: http
      with: {url: "http://127.0.0.1:3000/"}
      expect: p95(latency) < 100ms
`
