// What every importer needs to read another tool's file strictly: errors that name the file and
// the field, and say what was expected and what is there instead.
import type {Dimension, MetricEvidence} from '../../engine/types.js'
import {UNITS} from '../../engine/units.js'

export type MetricType = MetricEvidence['type']

/** One metric a gate asks an artifact for: its name, where it is in the file, how to read it. */
export interface ReadingRequest {
  metric: string
  path: string
  /** Unit of the numbers in the file (json, ndjson, custom k6 metrics). */
  unit?: string
  /** What the file holds there (json, ndjson). */
  type?: MetricType
  /** ndjson: only lines whose fields equal these values. */
  where?: Record<string, Scalar>
}

export type Scalar = boolean | null | number | string

/** What a reading will give, known from the options alone so expectations are checked before anything runs. */
export interface ReadingSpec {
  type: MetricType
  dimension: Dimension
  description: string
}

/** A file read into evidence: the metrics asked for, where they came from, and what a reader should know. */
export interface Imported {
  metrics: Record<string, MetricEvidence>
  /** "k6 summary results/k6.json (handleSummary data)". */
  source: string
  notes: string[]
  /** Length of the measurement the file covers, when it says. */
  durationMs?: number
}

/** Reads one tool's file format. */
export interface Importer {
  /** The tool as reports name it: "k6 summary", "autocannon", "JUnit report". */
  tool: string
  /** The metric name a bare path gives in `metrics: [...]`, e.g. k6's p(95) → p95. */
  nameOf?(path: string): string
  /** Checks one reading against the format and says what it will give; throws naming the option. */
  spec(request: ReadingRequest, file: string): ReadingSpec
  /** Reads the file; throws naming the file and the field when it is not what the format promises. */
  read(artifact: ArtifactFile, requests: readonly ReadingRequest[]): Promise<Imported>
}

/** The file an importer reads. */
export interface ArtifactFile {
  /** As the gate wrote it, for messages and the evidence source. */
  name: string
  /** The whole file as text. */
  text(): Promise<string>
  /** The file line by line, for formats that can be too large to hold (ndjson). */
  lines(): AsyncIterable<string>
  /** Seeds the choice of samples kept when a file holds more than can be kept. */
  seed: number
}

/** For formats that read NDJSON lines only. */
export function refuseWhere(request: ReadingRequest): void {
  if (request.where !== undefined)
    throw new Error(`metric ${request.metric}: \`where\` picks lines of an NDJSON file; use it with format: ndjson`)
}

/** For tools whose numbers have fixed units and shapes: a gate gives only the path. */
export function refuseReadingOptions(request: ReadingRequest, tool: string): void {
  if (request.unit !== undefined || request.type !== undefined || request.where !== undefined) {
    throw new Error(`metric ${request.metric}: ${tool}'s numbers have fixed units and shapes; give only path`)
  }
}

/** The JSON document in a file's text; the message says which file is not JSON. */
export function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new Error(`artifact ${file} is not valid JSON: ${(error as Error).message}`, {cause: error})
  }
}

/** Throws "<file>: <field>: expected <expected>, found <what is there>[ — <hint>]". */
export function malformed(file: string, field: string, expected: string, found: unknown, hint?: string): never {
  throw new Error(`${file}: ${field}: expected ${expected}, found ${describeFound(found)}${hint ? ` — ${hint}` : ''}`)
}

/**
 * A value as messages show what was found: nothing, null, the number 3, the string "x", an array of 2 items, an object
 * with keys a, b.
 */
export function describeFound(value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : `the number ${value}`
  if (typeof value === 'string')
    return `the string ${JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value)}`
  if (typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length} items`
  const keys = Object.keys(value as object)
  if (keys.length === 0) return 'an empty object'
  return `an object with keys ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''}`
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
}

/** The object at `field`, or a malformed-file error. */
export function recordAt(value: unknown, file: string, field: string, expected = 'an object'): Record<string, unknown> {
  if (!isRecord(value)) malformed(file, field, expected, value)
  return value
}

/** A finite number, or a malformed-file error naming the field. */
export function numberAt(value: unknown, file: string, field: string, expected = 'a number'): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) malformed(file, field, expected, value)
  return value
}

/** A whole number ≥ 0, or a malformed-file error naming the field. */
export function countAt(value: unknown, file: string, field: string): number {
  if (!Number.isInteger(value) || (value as number) < 0) malformed(file, field, 'a whole number ≥ 0', value)
  return value as number
}

/** The canonical factor and dimension of a unit option; plain counts without one. */
export function unitOf(unit: string | undefined): {dimension: Dimension; factor: number} {
  if (unit === undefined) return {dimension: 'count', factor: 1}
  const def = UNITS[unit]
  if (!def) throw new Error(`unit "${unit}" is not one a gate file can write`)
  return def
}

/** A proportion from counts; a file whose counts contradict each other is malformed. */
export function proportion(events: number, trials: number, file: string, field: string): MetricEvidence {
  if (events > trials) malformed(file, field, `at most ${trials} events out of ${trials}`, events)
  return {events, trials, type: 'proportion'}
}

/** Splits `A.B.field` at its last dot: [A.B, field]; a path without a dot is [undefined, path]. */
export function splitLast(path: string): [string | undefined, string] {
  const dot = path.lastIndexOf('.')
  return dot === -1 ? [undefined, path] : [path.slice(0, dot), path.slice(dot + 1)]
}

/** "p(95)", "p95", "p99.9", "p99_9" → 95, 99.9; null when it is no percentile. */
export function percentileIn(stat: string): number | null {
  const match = /^p\(?(\d+(?:[._]\d+)?)\)?$/.exec(stat)
  if (!match) return null
  const n = Number(match[1]!.replace('_', '.'))
  return n > 0 && n < 100 ? n : null
}
