// Generic JSON (a value, an array of samples or {events, trials} under a path) and NDJSON (one
// value per line under a path, e.g. k6's --out json points) for tools without an importer of their own.
import type {MetricEvidence} from '../../engine/types.js'
import {SampleReservoir} from '../../load/reservoir.js'
import {formatPath, parsePath, type PathStep, valueAt} from '../../json-path.js'
import {MAX_SAMPLES} from '../evidence.js'
import {
  describeFound,
  type Importer,
  malformed,
  type MetricType,
  parseJson,
  type ReadingRequest,
  type ReadingSpec,
  refuseWhere,
  type Scalar,
  unitOf,
} from './fields.js'
import {grouped} from '../../engine/units.js'

export const jsonImporter: Importer = {
  tool: 'JSON',
  spec(request, file) {
    refuseWhere(request)
    return specOf(request, request.type ?? 'value', file)
  },
  async read(artifact, requests) {
    const document = parseJson(await artifact.text(), artifact.name)
    const metrics: Record<string, MetricEvidence> = {}
    for (const request of requests) {
      try {
        metrics[request.metric] = toMetric(valueAt(document, parsePath(request.path)), request)
      } catch (error) {
        throw new Error(`${artifact.name}#${request.path}: ${(error as Error).message}`, {cause: error})
      }
    }

    return {
      metrics,
      notes: [],
      source: `artifact: ${artifact.name}#${requests.map((request) => request.path).join(', ')}`,
    }
  },
}

export const ndjsonImporter: Importer = {
  tool: 'NDJSON',
  spec(request, file) {
    const type = request.type ?? 'samples'
    if (type === 'value')
      throw new Error(
        `metric ${request.metric}: each line of an NDJSON file gives one value, so the file gives samples (numbers) ` +
          `or a proportion (true/false or 0/1 per line), not type: value`,
      )
    return specOf(request, type, file)
  },
  async read(artifact, requests) {
    const readers = requests.map((request) => new LineReader(request, artifact.seed))
    let number = 0
    for await (const line of artifact.lines()) {
      number++
      if (line.trim() === '') continue
      let record: unknown
      try {
        record = JSON.parse(line) as unknown
      } catch (error) {
        throw new Error(`${artifact.name}: line ${number}: not valid JSON: ${(error as Error).message}`, {cause: error})
      }

      for (const reader of readers) reader.offer(record, number, artifact.name)
    }

    const metrics: Record<string, MetricEvidence> = {}
    for (const reader of readers) metrics[reader.request.metric] = reader.metric(artifact.name)
    const notes = readers.flatMap((reader) => reader.notes())
    return {metrics, notes, source: `NDJSON ${artifact.name}: ${readers.map((reader) => reader.describe()).join('; ')}`}
  },
}

function specOf(request: ReadingRequest, type: MetricType, file: string): ReadingSpec {
  if (type === 'proportion' && request.unit !== undefined)
    throw new Error(`metric ${request.metric}: a proportion is counts of events and trials; it takes no unit`)
  parsePath(request.path)
  for (const path of Object.keys(request.where ?? {})) parsePath(path)
  return {
    description: `${request.path} in ${file}`,
    dimension: type === 'proportion' ? 'proportion' : unitOf(request.unit).dimension,
    type,
  }
}

/** Collects one metric from the lines of an NDJSON file: numbers into a bounded reservoir, or true/false as counts. */
class LineReader {
  private readonly steps: PathStep[]
  private readonly filters: Array<[PathStep[], Scalar]>
  private readonly factor: number
  private readonly reservoir: SampleReservoir
  private events = 0
  private trials = 0
  private skipped = 0

  constructor(
    readonly request: ReadingRequest,
    seed: number,
  ) {
    this.steps = parsePath(request.path)
    this.filters = Object.entries(request.where ?? {}).map(([path, value]) => [parsePath(path), value])
    this.factor = unitOf(request.unit).factor
    this.reservoir = new SampleReservoir(MAX_SAMPLES, `${seed}:${request.metric}`)
  }

  offer(record: unknown, line: number, file: string): void {
    if (!this.filters.every(([steps, expected]) => fieldOf(record, steps) === expected)) {
      this.skipped++
      return
    }

    const value = fieldOf(record, this.steps)
    const field = `line ${line}: ${formatPath(this.steps)}`
    if (this.request.type === 'proportion') {
      // k6 writes a Rate's points as 0 and 1, and counts any non-zero value as a pass.
      if (typeof value !== 'boolean' && (typeof value !== 'number' || !Number.isFinite(value)))
        malformed(file, field, 'true/false or a number (type: proportion)', value)
      this.trials++
      if (value !== false && value !== 0) this.events++
      return
    }

    if (typeof value !== 'number' || !Number.isFinite(value)) malformed(file, field, 'a number', value)
    this.reservoir.add(value * this.factor)
  }

  metric(file: string): MetricEvidence {
    const found = this.request.type === 'proportion' ? this.trials : this.reservoir.seen
    if (found === 0) {
      const where =
        this.filters.length > 0 ? ` among the ${this.skipped} lines; none matched where ${this.describeWhere()}` : ''
      throw new Error(`${file}: no line holds ${this.request.path}${where}`)
    }

    if (this.request.type === 'proportion') return {events: this.events, trials: this.trials, type: 'proportion'}
    const samples = this.reservoir.samples()
    const dimension = unitOf(this.request.unit).dimension
    return {
      dimension,
      samples,
      type: 'samples',
      ...(this.reservoir.seen > samples.length ? {seen: this.reservoir.seen} : {}),
    }
  }

  notes(): string[] {
    if (this.reservoir.seen <= MAX_SAMPLES) return []
    return [
      `${this.request.metric}: ${grouped(this.reservoir.seen)} lines, of which a ` +
        `uniform ${grouped(MAX_SAMPLES)} are kept as samples`,
    ]
  }

  describe(): string {
    return `${this.request.path}${this.filters.length > 0 ? ` where ${this.describeWhere()}` : ''}`
  }

  private describeWhere(): string {
    return this.filters.map(([steps, value]) => `${formatPath(steps)}=${JSON.stringify(value)}`).join(', ')
  }
}

/** The value at `steps`, or undefined when the record has no such field (a filter then does not match). */
function fieldOf(record: unknown, steps: readonly PathStep[]): unknown {
  let current = record
  for (const step of steps) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, String(step))) return undefined
    current = (current as Record<string, unknown>)[String(step)]
  }

  return current
}

/** Converts what a JSON file holds into a metric of the declared type, or says what it holds instead. */
function toMetric(value: unknown, request: ReadingRequest): MetricEvidence {
  const type = request.type ?? 'value'
  const {dimension, factor} = unitOf(request.unit)
  const found = shapeOf(value)
  if (found !== type) {
    const fix =
      found === undefined ? 'expected a number, an array of numbers or {events, trials}' : `set type: ${found}`
    throw new Error(`holds ${describeFound(value).replace(/^the /, '')}, not ${articleFor(type)}; ${fix}`)
  }

  if (type === 'samples')
    return {dimension, samples: (value as number[]).map((sample) => sample * factor), type: 'samples'}
  if (type === 'proportion') {
    const {events, trials} = value as {events: number; trials: number}
    return {events, trials, type: 'proportion'}
  }

  return {dimension, type: 'value', value: (value as number) * factor}
}

function shapeOf(value: unknown): MetricType | undefined {
  if (typeof value === 'number') return 'value'
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'number')) return 'samples'
  const counts = value as null | {events?: unknown; trials?: unknown}
  if (
    counts !== null &&
    typeof counts === 'object' &&
    typeof counts.events === 'number' &&
    typeof counts.trials === 'number'
  )
    return 'proportion'
  return undefined
}

function articleFor(type: MetricType): string {
  return {proportion: 'a proportion {events, trials}', samples: 'an array of numbers', value: 'a number'}[type]
}
