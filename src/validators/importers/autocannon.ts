// autocannon's result (`autocannon --json`): latency percentiles in ms, requests and bytes per
// second, and counts of responses by status and of requests that got none. Statistics only, no samples.
// With --warmup, autocannon --json writes two results, one a line: the warmup's, then the measured run's.
import type {Dimension, MetricEvidence} from '../../engine/types.js'
import {
  countAt,
  type Imported,
  type Importer,
  isRecord,
  malformed,
  numberAt,
  parseJson,
  percentileIn,
  proportion,
  recordAt,
  refuseReadingOptions,
} from './fields.js'

/** Top-level counts autocannon writes. */
const COUNTS = ['errors', 'timeouts', 'mismatches', 'non2xx', 'resets', '1xx', '2xx', '3xx', '4xx', '5xx'] as const
/** The statistics autocannon writes for latency, requests and throughput (its percentiles are listed apart). */
const STATS = ['average', 'mean', 'stddev', 'min', 'max'] as const
/** Percentiles autocannon reports (hdr-histogram-percentiles-obj). */
const PERCENTILES = [0.001, 0.01, 0.1, 1, 2.5, 10, 25, 50, 75, 90, 97.5, 99, 99.9, 99.99, 99.999]

/** One thing a gate can read from an autocannon result. */
interface Selection {
  /** The key path in the file: latency.p97_5, requests.total, non2xx, statusCodeStats["503"].count. */
  field: string
  dimension: Dimension
  read(result: Record<string, unknown>, file: string): MetricEvidence
}

const GROUPS: Readonly<Record<string, {per: Dimension; total?: Dimension; what: string}>> = {
  latency: {per: 'duration', what: 'ms per response'},
  requests: {per: 'rate', total: 'count', what: 'responses per second'},
  throughput: {per: 'rate', total: 'size', what: 'bytes per second'},
}

function select(path: string): Selection {
  const [group, ...rest] = path.split('.')
  const stat = rest.join('.')
  if (group === 'error_rate' && stat === '') return {dimension: 'proportion', field: 'error_rate', read: errorRate}
  if (group === 'duration' && stat === '')
    return {
      dimension: 'duration',
      field: 'duration',
      read: (result, file) =>
        value('duration', numberAt(result.duration, file, 'duration', "the run's length in seconds") * 1000),
    }
  if ((COUNTS as readonly string[]).includes(group!) && stat === '')
    return {
      dimension: 'count',
      field: group!,
      read: (result, file) => value('count', countAt(result[group!], file, group!)),
    }
  if (group === 'statusCodeStats' && /^\d{3}$/.test(stat)) {
    const field = `statusCodeStats["${stat}"].count`
    // A status code that never came back is absent: zero responses had it.
    return {dimension: 'count', field, read: (result, file) => value('count', statusCount(result, stat, file, field))}
  }

  const spec = GROUPS[group!]
  if (spec) {
    if (stat === 'total' && spec.total)
      return {
        dimension: spec.total,
        field: path,
        read: (result, file) => value(spec.total!, numberAt(groupOf(result, group!, file).total, file, path)),
      }
    if (stat === 'sent' && group === 'requests')
      return {
        dimension: 'count',
        field: path,
        read: (result, file) => value('count', countAt(groupOf(result, group, file).sent, file, path)),
      }
    if (stat === 'totalCount' && group === 'latency')
      return {
        dimension: 'count',
        field: path,
        read: (result, file) => value('count', countAt(groupOf(result, group, file).totalCount, file, path)),
      }
    const key = statKey(stat)
    if (key)
      return {
        dimension: spec.per,
        field: `${group}.${key}`,
        read: (result, file) => value(spec.per, perSecond(result, group!, key, file)),
      }
    if (percentileIn(stat) !== null)
      throw new Error(
        `"${path}": autocannon reports the ` +
          `percentiles ${PERCENTILES.map((p) => `p${p}`).join(' ')}; p${percentileIn(stat)} is not one of them`,
      )
  }

  throw new Error(
    `"${path}" is nothing autocannon reports: read latency.p99, latency.mean, requests.mean, requests.total, ` +
      `throughput.mean, non2xx, errors, timeouts, duration, statusCodeStats.503 or error_rate`,
  )
}

/** average mean stddev min max, or a percentile as autocannon spells it (p97_5). */
function statKey(stat: string): string | undefined {
  if ((STATS as readonly string[]).includes(stat)) return stat
  const percentile = percentileIn(stat)
  if (percentile === null || !PERCENTILES.includes(percentile)) return undefined
  return `p${String(percentile).replace('.', '_')}`
}

function value(dimension: Dimension, number: number): MetricEvidence {
  return {dimension, type: 'value', value: number}
}

function groupOf(result: Record<string, unknown>, group: string, file: string): Record<string, unknown> {
  return recordAt(result[group], file, group, `an object of ${GROUPS[group]!.what} statistics`)
}

/** autocannon counts requests per sample interval (sampleInt, 1 s unless changed); per second here. */
function perSecond(result: Record<string, unknown>, group: string, key: string, file: string): number {
  const number = numberAt(groupOf(result, group, file)[key], file, `${group}.${key}`)
  if (group === 'latency') return number
  const interval =
    result.sampleInt === undefined ? 1000 : numberAt(result.sampleInt, file, 'sampleInt', 'the sample interval in ms')
  return number * (1000 / interval)
}

function statusCount(result: Record<string, unknown>, code: string, file: string, field: string): number {
  const stats = recordAt(result.statusCodeStats, file, 'statusCodeStats', 'an object of counts by status code')
  const entry = stats[code]
  if (entry === undefined) return 0
  return countAt(recordAt(entry, file, field.replace(/\.count$/, ''), '{count}').count, file, field)
}

/**
 * Requests that failed out of all that ended: non-2xx responses, plus requests that got no response (errors, timeouts
 * included).
 */
function errorRate(result: Record<string, unknown>, file: string): MetricEvidence {
  const errors = countAt(result.errors, file, 'errors')
  const non2xx = countAt(result.non2xx, file, 'non2xx')
  const responses = countAt(groupOf(result, 'requests', file).total, file, 'requests.total')
  return proportion(errors + non2xx, responses + errors, file, 'non2xx + errors')
}

export const autocannonImporter: Importer = {
  tool: 'autocannon',
  spec(request, file) {
    refuseReadingOptions(request, 'autocannon')

    const selection = select(request.path)
    return {
      description: `autocannon ${selection.field} in ${file}`,
      dimension: selection.dimension,
      type: selection.dimension === 'proportion' ? 'proportion' : 'value',
    }
  },
  async read(artifact, requests) {
    const file = artifact.name
    const {result, warmup} = measuredRun(await artifact.text(), file)
    if (!isRecord(result) || !isRecord(result.latency) || !isRecord(result.requests)) {
      malformed(
        file,
        isRecord(result) ? (isRecord(result.latency) ? 'requests' : 'latency') : 'the top level',
        'an autocannon result (autocannon --json)',
        isRecord(result) ? (isRecord(result.latency) ? result.requests : result.latency) : result,
      )
    }

    const metrics: Record<string, MetricEvidence> = {}
    for (const request of requests) metrics[request.metric] = select(request.path).read(result, file)
    const notes = notesOf(
      result,
      requests.map((request) => select(request.path).field),
    )
    if (warmup)
      notes.unshift(`${file} holds a warmup and a measured run (autocannon --warmup): the measured run was read`)
    const imported: Imported = {
      metrics,
      notes,
      source: sourceOf(result, file),
    }
    if (typeof result.duration === 'number' && result.duration > 0) imported.durationMs = result.duration * 1000
    return imported
  },
}

/** The measured run: the file's one result, or the second of the two --warmup writes. */
function measuredRun(text: string, file: string): {result: unknown; warmup: boolean} {
  try {
    return {result: JSON.parse(text) as unknown, warmup: false}
  } catch (error) {
    const lines = text.split('\n').filter((line) => line.trim() !== '')
    if (lines.length < 2)
      throw new Error(`artifact ${file} is not valid JSON: ${(error as Error).message}`, {cause: error})
    const [warmup, result] = lines.map((line, index) => parseJson(line, `${file} (line ${index + 1})`))
    if (lines.length > 2)
      throw new Error(
        `${file} holds ${lines.length} autocannon results, one a line; autocannon --json writes one, or two with ` +
          '--warmup (the warmup, then the measured run): write each run to a file of its own',
        {cause: error},
      )
    if (isRecord(warmup) && isRecord(warmup.latency)) return {result, warmup: true}
    malformed(file, 'line 1', 'the warmup result autocannon --warmup writes first', warmup)
  }
}

function sourceOf(result: Record<string, unknown>, file: string): string {
  const details = [
    typeof result.url === 'string' ? result.url : undefined,
    typeof result.connections === 'number' ? `${result.connections} connections` : undefined,
    typeof result.duration === 'number' ? `${result.duration} s` : undefined,
  ].filter(Boolean)
  return `autocannon ${file}${details.length > 0 ? ` (${details.join(', ')})` : ''}`
}

function notesOf(result: Record<string, unknown>, fields: string[]): string[] {
  const notes: string[] = []
  if (
    fields.some(
      (field) => field.startsWith('latency.') || field.startsWith('requests.') || field.startsWith('throughput.'),
    )
  ) {
    notes.push(
      'autocannon reports statistics of its histograms, not samples: each expectation on them holds or fails outright',
    )
  }

  const latency = result.latency as Record<string, unknown>
  const requests = result.requests as Record<string, unknown>
  if (
    typeof latency.totalCount === 'number' &&
    typeof requests.total === 'number' &&
    latency.totalCount < requests.total
  ) {
    notes.push(
      `latency covers ${latency.totalCount} of ${requests.total} responses: autocannon ran with ` +
        `--excludeErrorStats, so non-2xx responses are left out`,
    )
  }

  const failed = COUNTS.filter(
    (key) => key !== '2xx' && key !== 'non2xx' && typeof result[key] === 'number' && (result[key] as number) > 0,
  )
  if (failed.length > 0) notes.push(`autocannon counted ${failed.map((key) => `${result[key]} ${key}`).join(', ')}`)
  return notes
}
