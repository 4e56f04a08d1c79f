import {readFile} from 'node:fs/promises'
import path from 'node:path'

import type {Dimension, MetricEvidence} from '../engine/types.js'
import {UNITS} from '../engine/units.js'
import {METRIC_TYPES} from './evidence.js'
import {parsePath, type PathStep, valueAt} from '../json-path.js'
import {METRIC_NAME_PATTERN, UNIT_NAMES} from './schema.js'
import {defineValidator, type MetricSpec} from './types.js'

type MetricType = MetricEvidence['type']

export interface ArtifactMetricOptions {
  path: string
  unit?: string
  type?: MetricType
}

export interface ArtifactOptions {
  file: string
  format: string
  path?: string
  metric?: string
  unit?: string
  type?: MetricType
  metrics?: Record<string, ArtifactMetricOptions>
}

/** Formats the artifact validator reads; the schema refuses others, and its description says they are not supported yet. */
const FORMATS = ['json']

/** One metric to read: where it is in the file and how to convert it. */
interface Reading {
  metric: string
  path: string
  steps: PathStep[]
  type: MetricType
  unit?: string
}

const READING_PROPERTIES = {
  type: {
    description: 'What the file holds there: value (a number, the default), samples (an array of numbers) or proportion ({events, trials}).',
    enum: [...METRIC_TYPES],
    type: 'string',
  },
  unit: {
    description: 'Unit of the numbers in the file, converted like a gate file\'s units (s → ms, % → 0..1). Without one a number is a plain count.',
    enum: UNIT_NAMES,
    type: 'string',
  },
}

export const artifact = defineValidator<ArtifactOptions>({
  name: 'artifact',
  description: 'Reads numbers another tool measured from a file (a k6 summary, a benchmark report): one value, samples or a proportion per metric.',
  kind: 'artifact',
  options: {
    additionalProperties: false,
    properties: {
      ...READING_PROPERTIES,
      file: {description: 'The file to read, relative to the gate file\'s directory.', minLength: 1, type: 'string'},
      format: {default: 'json', description: 'File format; only json is supported yet.', enum: FORMATS, type: 'string'},
      metric: {description: 'Name of the metric read from `path`.', pattern: METRIC_NAME_PATTERN, type: 'string'},
      metrics: {
        additionalProperties: {
          additionalProperties: false,
          properties: {...READING_PROPERTIES, path: {description: 'Where the number is, e.g. a.b[0].c or a JSON Pointer /a/b/0/c.', minLength: 1, type: 'string'}},
          required: ['path'],
          type: 'object',
        },
        description: 'Several metrics: name → {path, unit?, type?}; instead of `path` and `metric`.',
        minProperties: 1,
        propertyNames: {pattern: METRIC_NAME_PATTERN},
        type: 'object',
      },
      path: {description: 'Where the number is, e.g. metrics.http_req_duration.values["p(95)"] or a JSON Pointer /a/b/0.', minLength: 1, type: 'string'},
    },
    required: ['file'],
    type: 'object',
  },
  metrics: (options) => readingsOf(options).map((reading) => specOf(reading, options.file)),
  async collect(ctx, options) {
    const readings = readingsOf(options)
    const document = await readDocument(path.resolve(ctx.gateDir, options.file), options)
    const metrics: Record<string, MetricEvidence> = {}
    for (const reading of readings) {
      try {
        metrics[reading.metric] = toMetric(valueAt(document, reading.steps), reading)
      } catch (error) {
        throw new Error(`${options.file}#${reading.path}: ${(error as Error).message}`)
      }
    }

    return {kind: 'artifact', metrics, source: `artifact: ${options.file}#${readings.map((reading) => reading.path).join(', ')}`}
  },
})

/** The metrics to read; throws when the options do not say which (checked before anything runs). */
function readingsOf(options: ArtifactOptions): Reading[] {
  const single = options.path !== undefined || options.metric !== undefined
  if (options.metrics && single) throw new Error('give either `path` and `metric` (one metric) or `metrics` (several), not both')
  if (options.metrics) return Object.entries(options.metrics).map(([metric, reading]) => toReading(metric, reading))
  if (options.path === undefined || options.metric === undefined) throw new Error('needs `path` and `metric` (one metric) or `metrics` (several)')
  return [toReading(options.metric, {path: options.path, type: options.type, unit: options.unit})]
}

function toReading(metric: string, {path, type, unit}: ArtifactMetricOptions): Reading {
  if (type === 'proportion' && unit !== undefined) throw new Error(`metric ${metric}: a proportion is counts of events and trials; it takes no unit`)
  return {metric, path, steps: parsePath(path), type: type ?? 'value', ...(unit === undefined ? {} : {unit})}
}

function specOf(reading: Reading, file: string): MetricSpec {
  return {description: `${reading.path} in ${file}`, dimension: dimensionOf(reading), name: reading.metric, type: reading.type}
}

function dimensionOf(reading: Reading): Dimension {
  if (reading.type === 'proportion') return 'proportion'
  return reading.unit === undefined ? 'count' : UNITS[reading.unit]!.dimension
}

async function readDocument(file: string, options: ArtifactOptions): Promise<unknown> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new Error(code === 'ENOENT' ? `artifact ${options.file} not found (looked for ${file})` : `cannot read artifact ${options.file}: ${(error as Error).message}`)
  }

  try {
    return JSON.parse(text) as unknown
  } catch (error) {
    throw new Error(`artifact ${options.file} is not valid JSON: ${(error as Error).message}`)
  }
}

/** Converts what the file holds into a metric of the declared type, or says what it holds instead. */
function toMetric(value: unknown, reading: Reading): MetricEvidence {
  const factor = reading.unit === undefined ? 1 : UNITS[reading.unit]!.factor
  const dimension = dimensionOf(reading)
  const found = shapeOf(value)
  if (found !== reading.type) {
    const fix = found === undefined ? 'expected a number, an array of numbers or {events, trials}' : `set type: ${found}`
    throw new Error(`holds ${describeValue(value)}, not ${articleFor(reading.type)}; ${fix}`)
  }

  if (reading.type === 'samples') return {dimension, samples: (value as number[]).map((sample) => sample * factor), type: 'samples'}
  if (reading.type === 'proportion') {
    const {events, trials} = value as {events: number; trials: number}
    return {events, trials, type: 'proportion'}
  }

  return {dimension, type: 'value', value: (value as number) * factor}
}

function shapeOf(value: unknown): MetricType | undefined {
  if (typeof value === 'number') return 'value'
  if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'number')) return 'samples'
  const counts = value as null | {events?: unknown; trials?: unknown}
  if (counts !== null && typeof counts === 'object' && typeof counts.events === 'number' && typeof counts.trials === 'number') return 'proportion'
  return undefined
}

function articleFor(type: MetricType): string {
  return {proportion: 'a proportion {events, trials}', samples: 'an array of numbers', value: 'a number'}[type]
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'an empty array' : `an array of ${value.length} items`
  if (value === null) return 'null'
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${JSON.stringify(value)}`
}
