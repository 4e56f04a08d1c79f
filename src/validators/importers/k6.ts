// k6 end-of-test summaries in the three shapes k6 writes: --summary-export (flat values, thresholds
// as booleans that are true when crossed), the handleSummary() data ({type, contains, values,
// thresholds: {ok}}), and the machine-readable summary of k6 ≥ 1.5 (results.metrics as an array, keys in
// snake_case: p95, k6_version — k6's TestMachineReadableSummary).
// A summary holds k6's statistics, never the samples, so every reading is a value or a proportion.
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
  type ReadingRequest,
  refuseWhere,
  unitOf,
} from './fields.js'

type Kind = 'counter' | 'gauge' | 'rate' | 'trend'
type Contains = 'data' | 'default' | 'time'
type Stat = 'avg' | 'bare' | 'count' | 'fails' | 'max' | 'med' | 'min' | 'passes' | 'percentile' | 'rate' | 'value'

/** k6's built-in metrics (metrics/builtin.go), so a gate can use them before the file exists. */
const BUILTIN: Readonly<Record<string, {kind: Kind; contains: Contains}>> = {
  checks: {contains: 'default', kind: 'rate'},
  checks_failed: {contains: 'default', kind: 'rate'},
  checks_succeeded: {contains: 'default', kind: 'rate'},
  checks_total: {contains: 'default', kind: 'counter'},
  data_received: {contains: 'data', kind: 'counter'},
  data_sent: {contains: 'data', kind: 'counter'},
  dropped_iterations: {contains: 'default', kind: 'counter'},
  group_duration: {contains: 'time', kind: 'trend'},
  grpc_req_duration: {contains: 'time', kind: 'trend'},
  http_req_blocked: {contains: 'time', kind: 'trend'},
  http_req_connecting: {contains: 'time', kind: 'trend'},
  http_req_duration: {contains: 'time', kind: 'trend'},
  http_req_failed: {contains: 'default', kind: 'rate'},
  http_req_receiving: {contains: 'time', kind: 'trend'},
  http_req_sending: {contains: 'time', kind: 'trend'},
  http_req_tls_handshaking: {contains: 'time', kind: 'trend'},
  http_req_waiting: {contains: 'time', kind: 'trend'},
  http_reqs: {contains: 'default', kind: 'counter'},
  iteration_duration: {contains: 'time', kind: 'trend'},
  iterations: {contains: 'default', kind: 'counter'},
  vus: {contains: 'default', kind: 'gauge'},
  vus_max: {contains: 'default', kind: 'gauge'},
  ws_connecting: {contains: 'time', kind: 'trend'},
  ws_msgs_received: {contains: 'default', kind: 'counter'},
  ws_msgs_sent: {contains: 'default', kind: 'counter'},
  ws_ping: {contains: 'time', kind: 'trend'},
  ws_session_duration: {contains: 'time', kind: 'trend'},
  ws_sessions: {contains: 'default', kind: 'counter'},
}

/** Which kinds of k6 metric have each statistic. */
const STAT_KINDS: Readonly<Record<Stat, readonly Kind[]>> = {
  avg: ['trend'],
  bare: ['rate'],
  count: ['trend', 'counter'],
  fails: ['rate'],
  max: ['trend', 'gauge'],
  med: ['trend'],
  min: ['trend', 'gauge'],
  passes: ['rate'],
  percentile: ['trend'],
  rate: ['rate', 'counter'],
  value: ['gauge'],
}

/** How a gate reads each kind, for messages. */
const READINGS: Readonly<Record<Kind, (name: string) => string>> = {
  counter: (name) => `${name}.count or ${name}.rate`,
  gauge: (name) => `${name}.value, ${name}.min or ${name}.max`,
  rate: (name) => `${name} (a proportion of passes) or ${name}.passes / ${name}.fails`,
  trend: (name) => `${name}.p95 (any p(N) in k6's summaryTrendStats), ${name}.avg, .med, .min, .max or .count`,
}

const STAT_ALIASES: Readonly<Record<string, Stat>> = {
  avg: 'avg',
  count: 'count',
  fails: 'fails',
  max: 'max',
  mean: 'avg',
  med: 'med',
  median: 'med',
  min: 'min',
  passes: 'passes',
  rate: 'rate',
  value: 'value',
}

/** A k6 metric and one of its statistics, as a gate names it: http_req_duration{expected_response:true}.p95. */
interface Selector {
  /** The metric's key in the summary, tags included. */
  name: string
  /** Without tags, to look up built-ins. */
  base: string
  stat: Stat
  /** For percentiles: 95, 99.9. */
  percentile?: number
}

const SELECTOR = /^([a-zA-Z_][a-zA-Z0-9_]*)(\{[^{}]*\})?(?:\.(.+))?$/

function parseSelector(path: string): Selector {
  const match = SELECTOR.exec(path.trim())
  const fix =
    'write it like http_req_duration.p95, http_req_failed, http_reqs.count or ' +
    'http_req_duration{expected_response:true}.p95'
  if (!match) throw new Error(`"${path}" does not name a k6 metric: ${fix}`)
  const [, base, tags = '', word] = match
  const selector = {base: base!, name: base! + tags}
  if (word === undefined) return {...selector, stat: 'bare'}
  const percentile = percentileIn(word)
  if (percentile !== null) return {...selector, percentile, stat: 'percentile'}
  const stat = STAT_ALIASES[word]
  if (!stat) throw new Error(`"${path}": k6 has no statistic "${word}"; ${fix}`)
  return {...selector, stat}
}

/** The statistic as k6 names it in a summary's values: p(95), or p95 in the machine-readable summary. */
function statKey(selector: Selector, machineReadable = false): string {
  if (selector.stat !== 'percentile') return selector.stat
  return machineReadable ? `p${selector.percentile}` : `p(${selector.percentile})`
}

/** The trend statistics the machine-readable summary can hold (machinereadable.TrendValues), whatever k6 kept. */
const MACHINE_READABLE_TREND_STATS = ['avg', 'min', 'med', 'max', 'p90', 'p95']

/** The dimension a statistic has, for a metric of this kind holding these contents. */
function dimensionOf(
  stat: Stat,
  kind: Kind | undefined,
  contains: Contains | undefined,
  unit: string | undefined,
): Dimension {
  if (stat === 'bare') return 'proportion'
  if (stat === 'passes' || stat === 'fails' || (stat === 'count' && kind === 'trend')) return 'count'
  if (stat === 'rate') return kind === 'rate' ? 'proportion' : 'rate'
  if (unit !== undefined) return unitOf(unit).dimension
  return contains === 'time' ? 'duration' : contains === 'data' ? 'size' : 'count'
}

export const k6Importer: Importer = {
  tool: 'k6 summary',
  nameOf: (path) => path.replace(/\bp\((\d+(?:\.\d+)?)\)/, 'p$1'),
  spec(request, file) {
    if (request.type !== undefined)
      throw new Error(
        `metric ${request.metric}: a k6 reading takes its type from the statistic it names ` +
          `(${request.path}); drop type`,
      )
    refuseWhere(request)
    const selector = parseSelector(request.path)
    const known = BUILTIN[selector.base]
    if (known && !STAT_KINDS[selector.stat].includes(known.kind)) {
      throw new Error(
        `metric ${request.metric}: k6's ${selector.base} is a ${known.kind}; ` +
          `read ${READINGS[known.kind](selector.name)}`,
      )
    }

    if (request.unit !== undefined) {
      const problem = unitProblem(selector, known?.contains, request.unit)
      if (problem) throw new Error(`metric ${request.metric}: ${problem}`)
    }

    const dimension = dimensionOf(selector.stat, known?.kind, known?.contains, request.unit)
    return {
      description: `k6 ${selector.name} ${
        selector.stat === 'bare' ? 'passes out of ' + 'all' : statKey(selector)
      } in ${file}`,
      dimension,
      type: selector.stat === 'bare' ? 'proportion' : 'value',
    }
  },
  async read(artifact, requests) {
    const summary = readSummary(parseJson(await artifact.text(), artifact.name), artifact.name)
    const notes = new Set<string>()
    const metrics: Record<string, MetricEvidence> = {}
    for (const request of requests) metrics[request.metric] = readMetric(summary, request, artifact.name, notes)
    if (summary.hasThresholds) {
      notes.add(
        "k6's own threshold verdicts in the file were ignored (--summary-export writes them inverted, true meaning " +
          'crossed); the gate decides from the values',
      )
    }

    if (Object.values(metrics).some((metric) => metric.type === 'value')) {
      notes.add('k6 summaries hold statistics, not samples: each expectation on a k6 value holds or fails outright')
    }

    const imported: Imported = {metrics, notes: [...notes], source: `k6 summary ${artifact.name} (${summary.shape})`}
    if (summary.durationMs !== undefined) imported.durationMs = summary.durationMs
    return imported
  },
}

/** One metric of the summary, whatever the shape it came in. */
interface Entry {
  /** Where its values are, for messages: metrics.http_req_duration.values. */
  field: string
  kind?: Kind
  contains?: Contains
  values: Record<string, unknown>
  /** From the machine-readable summary, which names percentiles p95 and keeps only p90 and p95. */
  machineReadable?: boolean
}

interface Summary {
  shape: string
  entries: Map<string, Entry>
  hasThresholds: boolean
  durationMs?: number
}

function readSummary(document: unknown, file: string): Summary {
  if (!isRecord(document)) malformed(file, 'the top level', 'a k6 summary object', document)
  const results = document.results
  if (isRecord(results) && Array.isArray(results.metrics)) return readMachineReadable(document, results, file)
  const metrics = document.metrics
  if (!isRecord(metrics))
    malformed(
      file,
      'metrics',
      'an object of k6 metrics (--summary-export or handleSummary data) or results.metrics (machine-readable summary)',
      metrics,
    )
  const entries = new Map<string, Entry>()
  let hasThresholds = false
  // handleSummary data wraps each metric's values; --summary-export writes them flat.
  const wrapped = Object.values(metrics).some((metric) => isRecord(metric) && 'values' in metric)
  for (const [name, metric] of Object.entries(metrics)) {
    if (!isRecord(metric)) malformed(file, `metrics.${name}`, 'an object', metric)
    if (metric.thresholds !== undefined) hasThresholds = true
    if (!wrapped) {
      entries.set(name, {field: `metrics.${name}`, values: metric})
      continue
    }

    if (!isRecord(metric.values)) malformed(file, `metrics.${name}.values`, 'an object', metric.values)
    entries.set(name, {
      contains: containsOf(metric.contains, file, `metrics.${name}.contains`),
      field: `metrics.${name}.values`,
      kind: kindOf(metric.type, file, `metrics.${name}.type`),
      values: metric.values,
    })
  }

  const summary: Summary = {entries, hasThresholds, shape: wrapped ? 'handleSummary data' : '--summary-export'}
  const duration = isRecord(document.state) ? document.state.testRunDurationMs : undefined
  if (wrapped && duration !== undefined)
    summary.durationMs = numberAt(duration, file, 'state.testRunDurationMs', "the run's length in ms")
  return summary
}

function readMachineReadable(
  document: Record<string, unknown>,
  results: Record<string, unknown>,
  file: string,
): Summary {
  const entries = new Map<string, Entry>()
  const lists: Array<[string, unknown]> = [['results.metrics', results.metrics]]
  if (isRecord(results.checks) && Array.isArray(results.checks.metrics))
    lists.push(['results.checks.metrics', results.checks.metrics])
  for (const [where, list] of lists) {
    for (const [index, metric] of (list as unknown[]).entries()) {
      const field = `${where}[${index}]`
      if (!isRecord(metric) || typeof metric.name !== 'string')
        malformed(file, field, 'a metric {name, type, contains, values}', metric)
      if (!isRecord(metric.values)) malformed(file, `${field}.values`, 'an object', metric.values)
      const values = {...metric.values}
      // Rates count matches out of a total here; the other shapes say passes and fails.
      if (metric.type === 'rate' && typeof values.matches === 'number' && typeof values.total === 'number') {
        values.passes = values.matches
        values.fails = values.total - values.matches
      }

      entries.set(metric.name, {
        contains: containsOf(metric.contains, file, `${field}.contains`),
        field: `${field}.values`,
        kind: kindOf(metric.type, file, `${field}.type`),
        machineReadable: true,
        values,
      })
    }
  }

  // The machine-readable summary reports checks as checks_succeeded.
  const succeeded = entries.get('checks_succeeded')
  if (succeeded && !entries.has('checks')) entries.set('checks', succeeded)
  const version = typeof document.version === 'string' ? ` ${document.version}` : ''
  const k6 =
    isRecord(document.metadata) && typeof document.metadata.k6_version === 'string'
      ? `, k6 ${document.metadata.k6_version}`
      : ''
  const summary: Summary = {entries, hasThresholds: false, shape: `machine-readable summary${version}${k6}`}
  const duration = isRecord(document.config) ? document.config.duration : undefined
  if (duration !== undefined)
    summary.durationMs = numberAt(duration, file, 'config.duration', "the run's length in seconds") * 1000
  return summary
}

function kindOf(type: unknown, file: string, field: string): Kind {
  if (type === 'counter' || type === 'gauge' || type === 'rate' || type === 'trend') return type
  malformed(file, field, 'counter, gauge, rate or trend', type)
}

function containsOf(contains: unknown, file: string, field: string): Contains | undefined {
  if (contains === undefined) return undefined
  if (contains === 'data' || contains === 'default' || contains === 'time') return contains
  malformed(file, field, 'time, data or default', contains)
}

/** --summary-export says no kind: the values' keys tell. */
function inferKind(values: Record<string, unknown>): Kind | undefined {
  if ('passes' in values || 'fails' in values) return 'rate'
  if ('avg' in values || 'med' in values || Object.keys(values).some((key) => percentileIn(key) !== null))
    return 'trend'
  if ('value' in values && 'min' in values) return 'gauge'
  if ('count' in values) return 'counter'
  return undefined
}

function readMetric(summary: Summary, request: ReadingRequest, file: string, notes: Set<string>): MetricEvidence {
  const selector = parseSelector(request.path)
  const entry = summary.entries.get(selector.name)
  if (!entry) {
    const names = [...summary.entries.keys()]
    throw new Error(
      `${file}: metrics: no k6 metric ${selector.name} (the file ` +
        `has ${names.length === 0 ? 'none' : names.slice(0, 12).join(', ')}${names.length > 12 ? ', …' : ''})`,
    )
  }

  const kind =
    entry.kind ??
    inferKind(entry.values) ??
    malformed(file, entry.field, 'the values of a k6 trend, rate, counter or gauge', entry.values)
  if (!STAT_KINDS[selector.stat].includes(kind))
    throw new Error(`${file}: ${entry.field}: ${selector.name} is a k6 ${kind}; read ${READINGS[kind](selector.name)}`)
  const builtin = BUILTIN[selector.base]
  const contains = entry.contains ?? builtin?.contains
  const unitMisfit = request.unit === undefined ? undefined : unitProblem(selector, contains, request.unit)
  if (unitMisfit) throw new Error(`${file}: ${entry.field}: ${unitMisfit}`)
  const declared = dimensionOf(selector.stat, builtin?.kind, builtin?.contains, request.unit)
  const actual = dimensionOf(selector.stat, kind, contains, request.unit)
  if (declared !== actual) throw new Error(`${file}: ${entry.field}: ${mismatch(selector, kind, contains, declared)}`)
  if (
    contains === undefined &&
    request.unit === undefined &&
    !['bare', 'count', 'fails', 'passes', 'rate'].includes(selector.stat)
  ) {
    notes.add(
      `${selector.name}: --summary-export does not say what a custom metric holds; read as plain numbers (give ` +
        `unit: ms if they are times)`,
    )
  }

  if (selector.stat === 'bare') return rateProportion(entry, selector, file, notes)
  const key = statKey(selector, entry.machineReadable)
  const value = numberAt(statValue(entry, selector, kind, file), file, `${entry.field}.${key}`)
  if (actual === 'rate' || actual === 'proportion' || request.unit === undefined)
    return {dimension: actual, type: 'value', value}
  return {dimension: actual, type: 'value', value: value * unitOf(request.unit).factor}
}

/** A statistic's value; one the file does not have is named with where it would come from. */
function statValue(entry: Entry, selector: Selector, kind: Kind, file: string): unknown {
  const {values} = entry
  const key = statKey(selector, entry.machineReadable)
  let value: unknown
  if (selector.stat === 'percentile')
    value = Object.entries(values).find(([name]) => percentileIn(name) === selector.percentile)?.[1]
  else if (selector.stat === 'rate' && values.rate === undefined) value = values.value
  else value = values[key]
  // The machine-readable summary writes a statistic k6 did not keep as null.
  if (value !== undefined && value !== null) return value
  malformed(file, entry.field, `an object with ${key}`, values, kind === 'trend' ? trendHint(entry, key) : undefined)
}

function trendHint(entry: Entry, key: string): string {
  const statistic = key.replace(/^p(\d+(?:\.\d+)?)$/, 'p($1)')
  if (!entry.machineReadable || MACHINE_READABLE_TREND_STATS.includes(key))
    return `add "${statistic}" to k6's summaryTrendStats`
  return (
    `the machine-readable summary keeps only ${MACHINE_READABLE_TREND_STATS.join(', ')}; for ${key} export ` +
    'handleSummary data, or --summary-export without --new-machine-readable-summary'
  )
}

function rateProportion(entry: Entry, selector: Selector, file: string, notes: Set<string>): MetricEvidence {
  const {fails, passes} = entry.values
  if (passes !== undefined || fails !== undefined) {
    const events = countAt(passes, file, `${entry.field}.passes`)
    return proportion(events, events + countAt(fails, file, `${entry.field}.fails`), file, entry.field)
  }

  const rate = entry.values.rate ?? entry.values.value
  if (typeof rate !== 'number') malformed(file, entry.field, 'an object with passes and fails (or rate)', entry.values)
  notes.add(`${selector.name}: the file gives its rate without passes and fails, so it is one value, not counts`)
  return {dimension: 'proportion', type: 'value', value: rate}
}

/** Why a unit does not fit: k6 computed the number itself, or already says what it holds. */
function unitProblem(selector: Selector, contains: Contains | undefined, unit: string): string | undefined {
  if (['bare', 'fails', 'passes', 'rate'].includes(selector.stat))
    return `k6 computes ${selector.name}${selector.stat === 'bare' ? '' : `.${selector.stat}`} itself; it takes no unit`
  if (contains === 'time' && unit !== 'ms') return `k6 writes ${selector.name} in ms; give unit: ms or none`
  if (contains === 'data' && unit !== 'B') return `k6 writes ${selector.name} in bytes; give unit: B or none`
  return undefined
}

function mismatch(selector: Selector, kind: Kind, contains: Contains | undefined, declared: Dimension): string {
  if (kind === 'rate' && selector.stat === 'rate')
    return `${selector.name} is a k6 rate; read ${selector.name} for the proportion of passes`
  if (kind === 'trend' && selector.stat === 'count')
    return `${selector.name}.count is how many values k6 recorded, a plain count; drop unit`
  const holds = contains === 'time' ? 'times in ms' : contains === 'data' ? 'bytes' : 'plain numbers'
  const unit = contains === 'time' ? 'ms' : contains === 'data' ? 'B' : undefined
  const fix = unit ? `give unit: ${unit} to read them as ${unit === 'ms' ? 'durations' : 'sizes'}` : 'drop unit'
  const expected = articleFor(declared)
  return `k6 says ${selector.name} holds ${holds} (contains: ${contains ?? 'default'}), not ${expected}; ${fix}`
}

function articleFor(dimension: Dimension): string {
  return {
    count: 'counts',
    duration: 'durations',
    proportion: 'proportions',
    rate: 'rates',
    ratio: 'ratios',
    size: 'sizes',
  }[dimension]
}
