// PromQL over Prometheus's HTTP API: an instant query gives one value per metric, a range query
// the values at each step as samples. What Prometheus recorded of the real system is evidence of
// kind artifact: the gate did not measure it, and histogram_quantile() estimates from buckets.
import type {Dimension, MetricEvidence} from '../engine/types.js'
import {UNITS} from '../engine/units.js'
import {
  describeSeries,
  type PromSample,
  type PromSeries,
  queryPrometheus,
  queryPrometheusRange,
} from '../telemetry/prometheus.js'
import {DIMENSIONS} from './evidence.js'
import {durationOption, METRIC_NAME_PATTERN, readDuration, UNIT_NAMES} from './schema.js'
import {defineValidator, type MetricSpec} from './types.js'

type Aggregate = 'avg' | 'max' | 'min' | 'sum'

export interface PrometheusQueryOptions {
  query: string
  unit?: string
  dimension?: Dimension
}

export interface PrometheusOptions {
  url: string
  query?: string
  metric?: string
  queries?: Record<string, PrometheusQueryOptions | string>
  range?: {duration: string; step: string}
  aggregate?: Aggregate
  timeout: string
  token?: string
  unit?: string
  dimension?: Dimension
}

/** One PromQL query and how to read its numbers. */
interface Reading {
  metric: string
  query: string
  dimension: Dimension
  factor: number
}

/** Series named in a message; the rest are counted. */
const NAMED_SERIES = 5

const COMBINE: Readonly<Record<Aggregate, (values: number[]) => number>> = {
  avg: (values) => values.reduce((sum, value) => sum + value, 0) / values.length,
  max: (values) => Math.max(...values),
  min: (values) => Math.min(...values),
  sum: (values) => values.reduce((sum, value) => sum + value, 0),
}

const READING_PROPERTIES = {
  dimension: {
    description:
      'What a plain number from the query measures when it has no unit: count (default), proportion (a ratio 0..1, ' +
      'compared with %), ratio or rate.',
    enum: [...DIMENSIONS],
    type: 'string',
  },
  unit: {
    description:
      "Unit of the numbers the query returns, converted like a gate file's units: s for *_seconds metrics (→ ms), B " +
      'for bytes, % for 0..100.',
    enum: UNIT_NAMES,
    type: 'string',
  },
}

export const prometheus = defineValidator<PrometheusOptions>({
  name: 'prometheus',
  description:
    'Runs PromQL queries against a Prometheus server: an instant query gives one value per metric, a range query ' +
    'the value at each step as samples.',
  kind: 'artifact',
  // It reads rather than loads, but it still connects to its url: the loopback guard applies.
  connects: true,
  options: {
    additionalProperties: false,
    properties: {
      aggregate: {
        description:
          'How to combine a query that returns several series into one value (per step for a range): sum, avg, min ' +
          'or max. Without it several series are an error; better still, aggregate in PromQL (sum(...)).',
        enum: Object.keys(COMBINE),
        type: 'string',
      },
      dimension: READING_PROPERTIES.dimension,
      metric: {
        description: 'Name of the metric `query` gives, as the expectations use it.',
        pattern: METRIC_NAME_PATTERN,
        type: 'string',
      },
      queries: {
        additionalProperties: {
          additionalProperties: false,
          description: 'A PromQL query, or {query, unit?, dimension?}.',
          minLength: 1,
          properties: {
            ...READING_PROPERTIES,
            query: {description: 'The PromQL expression.', minLength: 1, type: 'string'},
          },
          required: ['query'],
          type: ['string', 'object'],
        },
        description:
          'Several metrics: name → PromQL query (or {query, unit?, dimension?}); instead of `query` and `metric`.',
        minProperties: 1,
        propertyNames: {pattern: METRIC_NAME_PATTERN},
        type: 'object',
      },
      query: {
        description:
          'The PromQL expression, e.g. sum(rate(http_requests_total{code=~"5.."}[5m])) / ' +
          'sum(rate(http_requests_total[5m])).',
        minLength: 1,
        type: 'string',
      },
      range: {
        additionalProperties: false,
        description: 'Makes every query a range query over the last `duration`, one sample per `step`.',
        properties: {
          duration: durationOption('How far back the range reaches from now.'),
          step: durationOption('Time between two samples.'),
        },
        required: ['duration', 'step'],
        type: 'object',
      },
      timeout: durationOption('Limit for each query, on the server and on the wire.', '10s'),
      token: {
        description: 'Sent as `Authorization: Bearer …` (write ${env.NAME}); never shown in reports.',
        minLength: 1,
        type: 'string',
      },
      unit: READING_PROPERTIES.unit,
      url: {
        description: 'Base URL of the Prometheus server, e.g. http://127.0.0.1:9090 (a path prefix is kept).',
        format: 'uri',
        type: 'string',
      },
    },
    required: ['url'],
    type: 'object',
  },
  metrics: (options) =>
    readingsOf(options).map((reading): MetricSpec => ({
      description: `PromQL ${reading.query}${
        options.range ? ` over the ` + `last ${options.range.duration}, every ${options.range.step}` : ''
      }`,
      dimension: reading.dimension,
      name: reading.metric,
      type: options.range ? 'samples' : 'value',
    })),
  async collect(ctx, options) {
    const readings = readingsOf(options)
    const timeoutMs = readDuration(options.timeout, 'timeout')
    const base = {signal: ctx.signal, timeoutMs, url: options.url, ...(options.token ? {token: options.token} : {})}
    const metrics: Record<string, MetricEvidence> = {}
    const notes: string[] = []
    const server = new URL(options.url).origin
    if (!options.range) {
      for (const reading of readings) {
        const samples = await queryPrometheus({...base, query: reading.query})
        metrics[reading.metric] = {
          dimension: reading.dimension,
          type: 'value',
          value: instantValue(samples, reading, options, server, notes),
        }
      }

      return {kind: 'artifact', metrics, notes, source: `Prometheus ${server}: ${describeQueries(readings)}`}
    }

    const durationMs = readDuration(options.range.duration, 'range.duration')
    const stepMs = readDuration(options.range.step, 'range.step')
    const end = Date.now() / 1000
    for (const reading of readings) {
      const series = await queryPrometheusRange({
        ...base,
        end,
        query: reading.query,
        start: end - durationMs / 1000,
        stepSeconds: stepMs / 1000,
      })
      metrics[reading.metric] = {
        dimension: reading.dimension,
        samples: rangeValues(series, reading, options, server, notes),
        type: 'samples',
      }
    }

    notes.push(
      `one sample per ${options.range.step} step: when a query's window (rate(x[5m])) is longer than the step, ` +
        `neighbouring samples overlap and are not independent`,
    )
    return {
      durationMs,
      kind: 'artifact',
      metrics,
      notes,
      source:
        `Prometheus ${server}, the last ${options.range.duration} every ${options.range.step}: ` +
        describeQueries(readings),
    }
  },
})

/** The queries to run; throws when the options do not say which (checked before anything runs). */
function readingsOf(options: PrometheusOptions): Reading[] {
  if (options.queries && (options.query !== undefined || options.metric !== undefined))
    throw new Error('give either `query` and `metric` (one metric) or `queries` (several), not both')
  if (
    options.range &&
    readDuration(options.range.step, 'range.step') > readDuration(options.range.duration, 'range.duration')
  ) {
    throw new Error(
      `range.step ${options.range.step} is longer than range.duration ${options.range.duration}: there would be at ` +
        `most one sample`,
    )
  }

  const defaults = {dimension: options.dimension, unit: options.unit}
  if (options.queries) {
    return Object.entries(options.queries).map(([metric, entry]) =>
      toReading(metric, typeof entry === 'string' ? {...defaults, query: entry} : {...defaults, ...entry}),
    )
  }

  if (options.query === undefined || options.metric === undefined)
    throw new Error('needs `query` and `metric` (one metric) or `queries` (several: name → PromQL)')
  return [toReading(options.metric, {...defaults, query: options.query})]
}

function toReading(metric: string, {dimension, query, unit}: PrometheusQueryOptions): Reading {
  if (unit === undefined) return {dimension: dimension ?? 'count', factor: 1, metric, query}
  const def = UNITS[unit]!
  if (dimension !== undefined && dimension !== def.dimension)
    throw new Error(
      `metric ${metric}: unit ${unit} is a ${def.dimension} but dimension says ${dimension}; drop dimension, it is ` +
        `only for plain numbers`,
    )
  return {dimension: def.dimension, factor: def.factor, metric, query}
}

/** One number from an instant query: its single series, or the series combined as `aggregate` says. */
function instantValue(
  samples: PromSample[],
  reading: Reading,
  options: PrometheusOptions,
  server: string,
  notes: string[],
): number {
  const values = usableSeries(
    samples.map((sample) => ({labels: sample.labels, values: [sample.value]})),
    reading,
    options,
    server,
    notes,
  )
  const value = values.length === 1 ? values[0]![0]! : COMBINE[options.aggregate!](values.map(([only]) => only!))
  if (!Number.isFinite(value)) {
    throw new Error(
      `query ${JSON.stringify(reading.query)} returned ${value}${
        Number.isNaN(value) ? ' (0/0: was there no traffic ' + 'in its window?)' : ''
      }; no number to judge`,
    )
  }

  return value * reading.factor
}

/** The samples of a range query: its single series, or the series combined at each step. */
function rangeValues(
  series: PromSeries[],
  reading: Reading,
  options: PrometheusOptions,
  server: string,
  notes: string[],
): number[] {
  const byTime = new Map<number, number[]>()
  for (const {points} of series)
    for (const {time, value} of points) byTime.set(time, [...(byTime.get(time) ?? []), value])
  const usable = usableSeries(
    series.map(({labels, points}) => ({labels, values: points.map(({value}) => value)})),
    reading,
    options,
    server,
    notes,
  )
  const combined =
    usable.length === 1
      ? usable[0]!
      : [...byTime.keys()].sort((a, b) => a - b).map((time) => COMBINE[options.aggregate!](byTime.get(time)!))
  const finite = combined.filter((value) => Number.isFinite(value))
  if (finite.length === 0)
    throw new Error(
      `range query ${JSON.stringify(reading.query)} returned no finite values (${combined.length} steps of NaN or ` +
        `±Inf)`,
    )
  if (finite.length < combined.length)
    notes.push(
      `${reading.metric}: ${combined.length - finite.length} of ${combined.length} steps were NaN or ±Inf and were ` +
        `left out`,
    )
  return finite.map((value) => value * reading.factor)
}

/** The series a query returned, refusing none (NO_DATA) and several without `aggregate` (say which). */
function usableSeries(
  series: Array<{labels: Record<string, string>; values: number[]}>,
  reading: Reading,
  options: PrometheusOptions,
  server: string,
  notes: string[],
): number[][] {
  const query = JSON.stringify(reading.query)
  if (series.length === 0)
    throw new Error(
      `query ${query} returned no series from Prometheus at ${server}: nothing it has matches (a misspelled metric ` +
        `or label, or a target not scraped yet)`,
    )
  if (series.length === 1) return [series[0]!.values]
  const names =
    series
      .slice(0, NAMED_SERIES)
      .map(({labels}) => describeSeries(labels))
      .join(', ') + (series.length > NAMED_SERIES ? `, … ${series.length - NAMED_SERIES} more` : '')
  if (!options.aggregate) {
    throw new Error(
      `query ${query} returned ${series.length} series (${names}); combine them in PromQL (sum(...), max by ` +
        `(...)(...)) or set aggregate: sum, avg, min or max`,
    )
  }

  notes.push(`${reading.metric}: the ${options.aggregate} of ${series.length} series (${names})`)
  return series.map(({values}) => values)
}

function describeQueries(readings: Reading[]): string {
  return readings.map(({metric, query}) => `${metric} = ${query}`).join('; ')
}
