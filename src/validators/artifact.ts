import {createReadStream} from 'node:fs'
import {readFile, stat} from 'node:fs/promises'
import path from 'node:path'

import type {Evidence, MetricEvidence} from '../engine/types.js'
import {METRIC_TYPES} from './evidence.js'
import {type ArtifactFile, type ArtifactFormat, IMPORTERS, type ReadingRequest, type Scalar} from './importers/index.js'
import {METRIC_NAME_PATTERN, UNIT_NAMES} from './schema.js'
import {defineValidator, type MetricSpec} from './types.js'

type MetricType = MetricEvidence['type']

/** How to read one metric: where it is, and for generic formats what it holds and in which unit. */
export interface ArtifactMetricOptions {
  path: string
  unit?: string
  type?: MetricType
  where?: Record<string, Scalar>
}

export interface ArtifactOptions {
  file: string
  format: ArtifactFormat
  path?: string
  metric?: string
  unit?: string
  type?: MetricType
  where?: Record<string, Scalar>
  /** name → path or {path, …}; or a list of paths, each its own metric name. */
  metrics?: string[] | Record<string, ArtifactMetricOptions | string>
}

const READING_PROPERTIES = {
  type: {
    description:
      'json and ndjson: what the file holds there: value (a number), samples (an array of numbers, or one number ' +
      'per NDJSON line) or proportion ({events, trials}, or per NDJSON line true/false or a number, non-zero ' +
      'counting as an event).',
    enum: [...METRIC_TYPES],
    type: 'string',
  },
  unit: {
    description:
      "Unit of the numbers in the file, converted like a gate file's units (s → ms, % → 0..1). Without one a number " +
      "is a plain count. Tools with their own units (autocannon, hyperfine, JUnit, k6's built-in metrics) need none.",
    enum: UNIT_NAMES,
    type: 'string',
  },
  where: {
    additionalProperties: {type: ['string', 'number', 'boolean', 'null']},
    description:
      'ndjson: read only lines whose fields have these values, e.g. {type: Point, metric: http_req_duration} for k6 ' +
      '--out json.',
    minProperties: 1,
    type: 'object',
  },
}

const PATH = {
  description:
    'Where the number is; its form depends on `format`, e.g. metrics.p95 (json), http_req_duration.p95 (k6), ' +
    'latency.p99 (autocannon).',
  minLength: 1,
  type: 'string',
}

export const artifact = defineValidator<ArtifactOptions>({
  name: 'artifact',
  description:
    'Reads numbers another tool measured from its output file (k6, autocannon, hyperfine, JUnit, JSON, NDJSON): ' +
    'values, samples or proportions.',
  kind: 'artifact',
  options: {
    additionalProperties: false,
    properties: {
      file: {description: "The file to read, relative to the gate file's directory.", minLength: 1, type: 'string'},
      format: {
        default: 'json',
        description:
          'The tool that wrote the file: json (any JSON), ndjson (one JSON value per line), k6 (a k6 summary), ' +
          'autocannon (--json), hyperfine (--export-json) or junit (JUnit XML).',
        enum: Object.keys(IMPORTERS),
        type: 'string',
      },
      metric: {description: 'Name of the metric read from `path`.', pattern: METRIC_NAME_PATTERN, type: 'string'},
      metrics: {
        additionalProperties: {
          additionalProperties: false,
          description: 'A path, or {path, unit?, type?, where?}.',
          minLength: 1,
          properties: {...READING_PROPERTIES, path: PATH},
          required: ['path'],
          type: ['string', 'object'],
        },
        description:
          'Several metrics: name → path or {path, unit?, type?, where?}; or a list of paths, each named after ' +
          'itself (http_req_duration.p95). Instead of `path` and `metric`.',
        items: {minLength: 1, type: 'string'},
        minItems: 1,
        minProperties: 1,
        propertyNames: {pattern: METRIC_NAME_PATTERN},
        type: ['object', 'array'],
        uniqueItems: true,
      },
      path: PATH,
      ...READING_PROPERTIES,
    },
    required: ['file'],
    type: 'object',
  },
  metrics: (options) => readingsOf(options).map((reading) => specOf(reading, options)),
  async collect(ctx, options) {
    const readings = readingsOf(options)
    // The same checks as before the run, for callers that skipped `gate validate`.
    for (const reading of readings) specOf(reading, options)
    const file = await openArtifact(path.resolve(ctx.gateDir, options.file), options.file, ctx.seed, ctx.signal)
    const imported = await IMPORTERS[options.format].read(file, readings)
    const evidence: Evidence = {kind: 'artifact', metrics: imported.metrics, source: imported.source}
    if (imported.notes.length > 0) evidence.notes = imported.notes
    if (imported.durationMs !== undefined) evidence.durationMs = imported.durationMs
    return evidence
  },
})

/** The metrics to read; throws when the options do not say which (checked before anything runs). */
function readingsOf(options: ArtifactOptions): ReadingRequest[] {
  const single = options.path !== undefined || options.metric !== undefined
  if (options.metrics && single)
    throw new Error('give either `path` and `metric` (one metric) or `metrics` (several), not both')
  // Top-level unit, type and where apply to every metric that does not give its own.
  const defaults = {type: options.type, unit: options.unit, where: options.where}
  if (Array.isArray(options.metrics))
    return unique(options.metrics.map((entry) => toReading(nameFor(entry, options), {...defaults, path: entry})))
  if (options.metrics) {
    return Object.entries(options.metrics).map(([metric, entry]) =>
      toReading(metric, typeof entry === 'string' ? {...defaults, path: entry} : {...defaults, ...entry}),
    )
  }

  if (options.path === undefined || options.metric === undefined)
    throw new Error('needs `path` and `metric` (one metric) or `metrics` (several)')
  return [toReading(options.metric, {...defaults, path: options.path})]
}

function toReading(
  metric: string,
  {path, type, unit, where}: Partial<ArtifactMetricOptions> & {path: string},
): ReadingRequest {
  return {
    metric,
    path,
    ...(type === undefined ? {} : {type}),
    ...(unit === undefined ? {} : {unit}),
    ...(where === undefined ? {} : {where}),
  }
}

/** A listed path names its own metric; one that cannot be a name (quotes, braces) needs `metrics: {name: path}`. */
function nameFor(entry: string, options: ArtifactOptions): string {
  const name = IMPORTERS[options.format].nameOf?.(entry) ?? entry
  if (new RegExp(METRIC_NAME_PATTERN).test(name)) return name
  throw new Error(`metrics: "${entry}" cannot be a metric name; name it: metrics: {my_metric: '${entry}'}`)
}

function unique(readings: ReadingRequest[]): ReadingRequest[] {
  const seen = new Set<string>()
  for (const {metric} of readings) {
    if (seen.has(metric))
      throw new Error(`metrics: two paths give the metric name ${metric}; name them: metrics: {a: path, b: path}`)
    seen.add(metric)
  }

  return readings
}

function specOf(reading: ReadingRequest, options: ArtifactOptions): MetricSpec {
  try {
    return {name: reading.metric, ...IMPORTERS[options.format].spec(reading, options.file)}
  } catch (error) {
    // The importer's message names the metric when it needs to; the format says which reader refused.
    throw new Error(`format ${options.format}: ${(error as Error).message}`, {cause: error})
  }
}

/** Longer NDJSON lines are refused: one value per line, and a string this long is near what V8 can hold at all. */
const MAX_LINE_CHARS = 16 * 1024 * 1024
/** Larger files are read line by line (ndjson) or not at all: the formats read whole are summaries. */
const MAX_TEXT_BYTES = 256 * 1024 * 1024

/** The artifact to read; a missing or unreadable file is said plainly, with where it was looked for. */
async function openArtifact(absolute: string, name: string, seed: number, signal: AbortSignal): Promise<ArtifactFile> {
  const failure = (error: unknown): Error => {
    const code = (error as NodeJS.ErrnoException).code
    return new Error(
      code === 'ENOENT'
        ? `artifact ${name} not found (looked for ${absolute})`
        : `cannot read artifact ${name}: ${(error as Error).message}`,
    )
  }

  const info = await stat(absolute).catch((error: unknown) => {
    throw failure(error)
  })
  if (info.isDirectory()) throw new Error(`artifact ${name} is a directory (${absolute}); name the file in it`)
  // A FIFO, socket or device may never end, and a read blocked on one keeps the process alive past any timeout.
  if (!info.isFile())
    throw new Error(`artifact ${name} is not a regular file (${absolute}); write the tool's output to a file first`)
  return {
    async *lines() {
      try {
        yield* linesOf(createReadStream(absolute, {encoding: 'utf8', signal}), name)
      } catch (error) {
        throw signal.aborted || error instanceof ArtifactLineError ? error : failure(error)
      }
    },
    name,
    seed,
    text: () => {
      if (info.size > MAX_TEXT_BYTES) {
        throw new Error(
          `artifact ${name} is ${info.size} bytes, over the ${MAX_TEXT_BYTES / 1024 / 1024} MiB read whole; only ` +
            `ndjson is read line by line`,
        )
      }
      return readFile(absolute, {encoding: 'utf8', signal}).catch((error: unknown) => {
        throw signal.aborted ? error : failure(error)
      })
    },
  }
}

class ArtifactLineError extends Error {}

/**
 * The lines of a text stream (LF or CRLF); a line over MAX_LINE_CHARS is an error naming it, not a string too long for
 * V8.
 */
async function* linesOf(stream: AsyncIterable<string> & {destroy(): void}, name: string): AsyncGenerator<string> {
  let partial = ''
  let number = 1
  try {
    for await (const chunk of stream) {
      // Only the new chunk is searched: re-splitting a long partial line on every chunk would be quadratic.
      let from = 0
      for (let at = chunk.indexOf('\n'); at !== -1; at = chunk.indexOf('\n', from)) {
        const line = partial + chunk.slice(from, at)
        partial = ''
        from = at + 1
        yield line.endsWith('\r') ? line.slice(0, -1) : line
        number++
      }
      partial += chunk.slice(from)
      if (partial.length > MAX_LINE_CHARS) {
        throw new ArtifactLineError(
          `artifact ${name}: line ${number} is over ${MAX_LINE_CHARS / 1024 / 1024} Mi characters; ndjson holds one ` +
            `value per line`,
        )
      }
    }
    if (partial !== '') yield partial.endsWith('\r') ? partial.slice(0, -1) : partial
  } finally {
    stream.destroy()
  }
}
