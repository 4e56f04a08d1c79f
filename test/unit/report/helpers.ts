import {readdirSync, readFileSync} from 'node:fs'

import {SaxesParser} from 'saxes'

import {DEFAULT_QUALITY, type Status} from '../../../src/engine/types.js'
import type {RunResults} from '../../../src/results/types.js'
import {validateResults} from '../../../src/results/validate.js'

export const FIXTURE_DIR = new URL('../../fixtures/results/', import.meta.url)
export const FIXTURES = readdirSync(FIXTURE_DIR)
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -'.json'.length))
  .sort()

export function fixtureText(name: string): string {
  return readFileSync(new URL(`${name}.json`, FIXTURE_DIR), 'utf8')
}

export function loadFixture(name: string): RunResults {
  return validateResults(JSON.parse(fixtureText(name)))
}

/** A deep copy, so a test can corrupt or freeze it without touching other tests. */
export function copy<T>(value: T): T {
  return structuredClone(value)
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const child of Object.values(value)) deepFreeze(child)
    Object.freeze(value)
  }
  return value
}

/** Cells of a Markdown table row, honouring backslash escapes (`\|` is text, not a border). */
export function tableCells(row: string): string[] {
  const cells: string[] = []
  let cell = ''
  for (let i = 0; i < row.length; i++) {
    const char = row[i]!
    if (char === '\\') {
      cell += char + (row[i + 1] ?? '')
      i++
    } else if (char === '|') {
      cells.push(cell)
      cell = ''
    } else cell += char
  }
  cells.push(cell)
  // Leading and trailing pipes leave empty ends.
  return cells.slice(1, -1)
}

/** Every table (consecutive lines starting with `|`) whose rows do not all have as many cells as its header. */
export function raggedTables(markdown: string): string[] {
  const problems: string[] = []
  let header: string[] | undefined
  for (const line of markdown.split('\n')) {
    if (!line.startsWith('|')) {
      header = undefined
      continue
    }
    const cells = tableCells(line)
    if (!header) header = cells
    else if (cells.length !== header.length)
      problems.push(`${cells.length} cells instead of ${header.length}: ${line.slice(0, 120)}`)
  }
  return problems
}

/** Rows of the first table after `## heading`, as cell arrays without the header and divider. */
export function sectionTable(markdown: string, heading: string): string[][] {
  const lines = markdown.split('\n')
  const start = lines.indexOf(`## ${heading}`)
  if (start < 0) throw new Error(`no section ${heading}`)
  const rows: string[][] = []
  for (const line of lines.slice(start + 1)) {
    if (line.startsWith('## ')) break
    if (line.startsWith('|')) rows.push(tableCells(line).map((c) => c.trim()))
    else if (rows.length > 0) break
  }
  return rows.slice(2)
}

/** Parses XML with a strict, spec-conformant parser; throws on the first well-formedness error. */
export function parseXml(xml: string): {attributes: Array<{name: string; attributes: Record<string, string>}>} {
  const parser = new SaxesParser()
  const elements: Array<{name: string; attributes: Record<string, string>}> = []
  let error: Error | undefined
  parser.on('error', (e) => {
    error ??= e
  })
  parser.on('opentag', (tag) => elements.push({attributes: tag.attributes as Record<string, string>, name: tag.name}))
  parser.write(xml).close()
  if (error) throw error
  return {attributes: elements}
}

/**
 * An independent reading of scoring.md v2 §3–4 over a results file: every problem where the saved numbers
 * do not follow the rules. Fixtures are hand-built, so this is what keeps them honest.
 */
export function scoringProblems(results: RunResults): string[] {
  const problems: string[] = []
  const {confidence: passAt, minConsensus} = results.settings
  const close = (a: number, b: number, tolerance = 1e-6) => Math.abs(a - b) <= tolerance
  for (const t of results.targets) {
    const where = `target ${t.id}`
    if (t.status === 'NO_DATA') {
      if (t.confidence !== 0 || t.p !== null) problems.push(`${where}: NO_DATA must have c = 0 and p = null`)
      if (!t.reason) problems.push(`${where}: NO_DATA without a reason`)
      continue
    }
    if (!t.evidence) {
      problems.push(`${where}: ${t.status} without evidence`)
      continue
    }
    if (t.evidence.quality > DEFAULT_QUALITY[t.evidence.kind] + 1e-9)
      problems.push(`${where}: quality above the ${t.evidence.kind} default`)
    const ps = t.expectations.map((e) => e.p)
    if (ps.some((p) => p === null)) problems.push(`${where}: an expectation without P in a target with data`)
    const pTarget = Math.min(...ps.map((p) => p ?? 0))
    if (t.p === null || !close(t.p, pTarget))
      problems.push(`${where}: p ${t.p} is not the smallest expectation P ${pTarget}`)
    const c = 0.5 + t.evidence.quality * (pTarget - 0.5)
    if (!close(t.confidence, c)) problems.push(`${where}: confidence ${t.confidence}, expected ${c}`)
    // v2: status from P and kind, never from c; a claim is never decided.
    const status: Status =
      t.evidence.kind === 'claim'
        ? 'INCONCLUSIVE'
        : pTarget >= passAt - 1e-9
          ? 'PASS'
          : pTarget <= 1 - passAt + 1e-9
            ? 'FAIL'
            : 'INCONCLUSIVE'
    if (t.status !== status) problems.push(`${where}: status ${t.status}, expected ${status}`)
    if (t.evidence.kind === 'claim' && (t.confidence > 0.65 + 1e-9 || t.status === 'PASS'))
      problems.push(`${where}: a claim above 0.65 or PASS`)
    for (const e of t.expectations) {
      const holds = e.value !== null && e.threshold !== null && compare(e.value, e.operator, e.threshold)
      if (e.marginPct !== null && e.operator !== '!=' && e.marginPct < 0 === holds && e.marginPct !== 0)
        problems.push(`${where}: ${e.expression} margin sign disagrees with the value`)
      if (e.method === 'exact' && e.p !== (holds ? 1 : 0))
        problems.push(`${where}: ${e.expression} exact P must be ${holds ? 1 : 0}`)
      if (e.interval95 && e.value !== null && (e.interval95[0] > e.value || e.interval95[1] < e.value))
        problems.push(`${where}: ${e.expression} value outside its interval`)
    }
  }
  const weight = results.targets.reduce((s, t) => s + t.weight, 0)
  const consensus = results.targets.reduce((s, t) => s + t.weight * t.confidence, 0) / weight
  if (!close(results.consensus, consensus)) problems.push(`consensus ${results.consensus}, expected ${consensus}`)
  const required = results.targets.filter((t) => t.required)
  const blocking = required.filter((t) => t.status === 'FAIL' || t.status === 'NO_DATA')
  const undecided = required.filter((t) => t.status === 'INCONCLUSIVE')
  const [rule, outcome, deciding] =
    blocking.length > 0
      ? [1, 'BLOCK', blocking]
      : undecided.length > 0
        ? [2, 'INCONCLUSIVE', undecided]
        : results.consensus < minConsensus - 1e-9
          ? [3, 'BLOCK', []]
          : [4, 'PROCEED', []]
  const d = results.decision
  if (d.rule !== rule || d.outcome !== outcome)
    problems.push(`decision ${d.outcome} by rule ${d.rule}, expected ${outcome} by rule ${rule}`)
  if (!d.reason.startsWith(`decided by rule ${rule}`)) problems.push(`decision reason does not name rule ${rule}`)
  if (d.deciding.join() !== deciding.map((t) => t.id).join())
    problems.push(`deciding ${d.deciding.join()}, expected ${deciding.map((t) => t.id).join()}`)
  const improvements = results.targets.filter((t) => !t.required && t.status !== 'PASS').map((t) => t.id)
  if (d.improvements.join() !== improvements.join())
    problems.push(`improvements ${d.improvements.join()}, expected ${improvements.join()}`)
  return problems
}

function compare(value: number, operator: string, threshold: number): boolean {
  switch (operator) {
    case '<':
      return value < threshold
    case '<=':
      return value <= threshold
    case '>':
      return value > threshold
    case '>=':
      return value >= threshold
    case '==':
      return value === threshold
    default:
      return value !== threshold
  }
}
