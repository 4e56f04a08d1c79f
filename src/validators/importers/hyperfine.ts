// hyperfine's `--export-json`: per benchmarked command, the wall time of every run (seconds) and
// their statistics. `times` are real samples, so expectations on them get a bootstrap P.
import type {Dimension, MetricEvidence} from '../../engine/types.js'
import {
  type Importer,
  isRecord,
  malformed,
  type MetricType,
  numberAt,
  parseJson,
  proportion,
  refuseReadingOptions,
  splitLast,
} from './fields.js'

/** What a gate can read for one command, and what it gives. */
const FIELDS: Readonly<Record<string, {dimension: Dimension; type: MetricType; what: string}>> = {
  failures: {
    dimension: 'proportion',
    type: 'proportion',
    what: 'runs that exited non-zero (hyperfine -i), out of all runs',
  },
  max: {dimension: 'duration', type: 'value', what: 'slowest run'},
  mean: {dimension: 'duration', type: 'value', what: 'mean wall time'},
  median: {dimension: 'duration', type: 'value', what: 'median wall time'},
  min: {dimension: 'duration', type: 'value', what: 'fastest run'},
  runs: {dimension: 'count', type: 'value', what: 'measured runs'},
  stddev: {dimension: 'duration', type: 'value', what: 'standard deviation of the wall times'},
  system: {dimension: 'duration', type: 'value', what: 'mean system CPU time'},
  times: {dimension: 'duration', type: 'samples', what: 'wall time of each run'},
  user: {dimension: 'duration', type: 'value', what: 'mean user CPU time'},
}

/** Which command (by name or position) and which of its fields. */
interface Selector {
  command?: number | string
  field: string
}

function parseSelector(path: string): Selector {
  const bracketed = /^\[\s*(?:(\d+)|(["'])(.*)\2)\s*\]\.([a-z_]+)$/.exec(path)
  const [command, field] = bracketed
    ? [bracketed[1] === undefined ? bracketed[3]! : Number(bracketed[1]), bracketed[4]!]
    : splitLast(path)
  if (!FIELDS[field]) {
    throw new Error(
      `"${path}": hyperfine has no "${field}" for a command; read ${Object.keys(FIELDS).join(', ')}, after the ` +
        `command's name when the file holds several (node-startup.times, [1].mean)`,
    )
  }

  return command === undefined ? {field} : {command, field}
}

export const hyperfineImporter: Importer = {
  tool: 'hyperfine',
  spec(request, file) {
    refuseReadingOptions(request, 'hyperfine')

    const {command, field} = parseSelector(request.path)
    const {dimension, type, what} = FIELDS[field]!
    return {
      description: `hyperfine ${what}${command === undefined ? '' : ` of ${JSON.stringify(command)}`} in ${file}`,
      dimension,
      type,
    }
  },
  async read(artifact, requests) {
    const file = artifact.name
    const document = parseJson(await artifact.text(), file)
    const results = isRecord(document) ? document.results : document
    if (!Array.isArray(results) || results.length === 0)
      malformed(file, 'results', 'the array of benchmarked commands hyperfine --export-json writes', results)
    const metrics: Record<string, MetricEvidence> = {}
    const used = new Set<number>()
    for (const request of requests) {
      const {command, field} = parseSelector(request.path)
      const index = commandIndex(results, command, file)
      used.add(index)
      metrics[request.metric] = readField(recordOf(results, index, file), field, file, `results[${index}]`)
    }

    const indexes = [...used].sort((a, b) => a - b)
    const notes = indexes.flatMap((index) => failureNote(recordOf(results, index, file), file, `results[${index}]`))
    return {
      metrics,
      notes,
      source: `hyperfine ${file} (${indexes.map((index) => recordOf(results, index, file).command).join(', ')})`,
    }
  },
}

function recordOf(results: unknown[], index: number, file: string): Record<string, unknown> {
  const result = results[index]
  if (!isRecord(result) || typeof result.command !== 'string')
    malformed(file, `results[${index}]`, 'a benchmarked command {command, times, mean, …}', result)
  return result
}

/** The position of the command a path names; with none named, the file must hold exactly one. */
function commandIndex(results: unknown[], command: number | string | undefined, file: string): number {
  const names = results.map((result, index) =>
    isRecord(result) && typeof result.command === 'string' ? result.command : `#${index}`,
  )
  const list = names.map((name) => JSON.stringify(name)).join(', ')
  if (command === undefined) {
    if (results.length === 1) return 0
    throw new Error(
      `${file} holds ${results.length} commands (${list}): name one in the path, e.g. ${names[0]}.times or [0].times`,
    )
  }

  if (typeof command === 'number') {
    if (command < results.length) return command
    throw new Error(`${file} holds ${results.length} commands (${list}); there is no [${command}]`)
  }

  const index = names.indexOf(command)
  if (index === -1) throw new Error(`${file} has no command ${JSON.stringify(command)}; it holds ${list}`)
  return index
}

function readField(result: Record<string, unknown>, field: string, file: string, where: string): MetricEvidence {
  const times = result.times
  if (!Array.isArray(times) || times.length === 0)
    malformed(file, `${where}.times`, 'the wall time of each run in seconds', times)
  if (field === 'times') {
    return {
      dimension: 'duration',
      samples: times.map((time, index) => seconds(time, file, `${where}.times[${index}]`)),
      type: 'samples',
    }
  }

  if (field === 'runs') return {dimension: 'count', type: 'value', value: times.length}
  if (field === 'failures') {
    const codes = result.exit_codes
    if (!Array.isArray(codes))
      malformed(file, `${where}.exit_codes`, 'the exit code of each run (hyperfine ≥ 1.13)', codes)
    // A run killed by a signal has no exit code (null): it failed too.
    return proportion(codes.filter((code) => code !== 0).length, codes.length, file, `${where}.exit_codes`)
  }

  // stddev is null after a single run: it has no spread to give.
  return {dimension: 'duration', type: 'value', value: seconds(result[field], file, `${where}.${field}`)}
}

function seconds(value: unknown, file: string, field: string): number {
  const number = numberAt(value, file, field, 'seconds')
  if (number < 0) malformed(file, field, 'seconds ≥ 0', number)
  return number * 1000
}

function failureNote(result: Record<string, unknown>, file: string, where: string): string[] {
  const codes = Array.isArray(result.exit_codes) ? result.exit_codes : []
  const failed = codes.filter((code) => code !== 0).length
  if (failed === 0) return []
  return [
    `${String(result.command)}: ${failed} of ${codes.length} runs exited non-zero (${file} ${where}.exit_codes); ` +
      `their times are among the samples`,
  ]
}
