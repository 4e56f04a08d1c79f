// Finds a gate file, reads it, checks it (schema, meaning, interpolation) and turns it into a GateConfig.
// Every problem is collected with its file:line:column and reported together in one GateConfigError.
import {existsSync, readdirSync, statSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {parseExpectation} from '../engine/expectation.js'
import {parseDuration} from '../engine/units.js'
import {GateConfigError, UserError, type ConfigIssue} from '../errors.js'
import {semanticProblems} from './checks.js'
import {interpolateGate} from './interpolate.js'
import {DURATION_EXPECTED, mustBe, reportable, type Problem, shortenQuotes} from './problem.js'
import type {DurationText, GateDocument, ServiceDocument, TargetDocument} from './schema.js'
import {checkSchema} from './schema-check.js'
import {GateSource} from './source.js'
import {nearest} from '../engine/suggest.js'
import {sha256Hex} from '../hash.js'
import {type Redactor, redactorFor} from '../redact.js'
import type {TargetNarrative} from '../results/types.js'
import type {DocPath, GateConfig, ServiceConfig, TargetConfig} from './types.js'

const GATE_EXTENSIONS = ['.yaml', '.yml']

/**
 * Gates that ship in the package (package.json `files`) and need nothing of this repository: found by name when
 * the project has no gate of that name, so `gate check smoke` works right after `npm install phasegate`.
 */
export const BUNDLED_GATES: readonly string[] = ['smoke']
const BUNDLED_GATE_DIR = fileURLToPath(new URL('../../gates/', import.meta.url))

export interface LoadOptions {
  cwd: string
  env: NodeJS.ProcessEnv
  /** `--arg NAME=VALUE` from the command line: values for the gate's declared args. */
  args?: Readonly<Record<string, string>>
}

/**
 * The absolute path of a gate: a name finds `<cwd>/gates/<name>.yaml` (or .yml), else a bundled gate of that
 * name; anything with a slash or a .yaml/.yml ending is a path. Throws UserError naming the available gates
 * when not found.
 */
export function resolveGateFile(nameOrPath: string, cwd: string): string {
  const isPath = /[/\\]/.test(nameOrPath) || GATE_EXTENSIONS.includes(path.extname(nameOrPath).toLowerCase())
  const candidates = isPath
    ? [path.resolve(cwd, nameOrPath)]
    : [
        ...GATE_EXTENSIONS.map((extension) => path.join(cwd, 'gates', `${nameOrPath}${extension}`)),
        ...(BUNDLED_GATES.includes(nameOrPath) ? [path.join(BUNDLED_GATE_DIR, `${nameOrPath}.yaml`)] : []),
      ]
  const found = candidates.find((file) => isFile(file))
  if (found) return found
  const directory = isPath ? path.dirname(candidates[0]!) : path.join(cwd, 'gates')
  const wanted = isPath ? path.basename(nameOrPath) : nameOrPath
  throw notFound(
    isPath
      ? `gate file ${nameOrPath} not found`
      : `no gate named "${nameOrPath}" in ${path.relative(cwd, directory) || '.'}/`,
    wanted,
    directory,
    isPath,
  )
}

function notFound(message: string, wanted: string, directory: string, isPath: boolean): UserError {
  const gates = gateFilesIn(directory).map((file) => (isPath ? path.basename(file) : gateName(file)))
  if (gates.length === 0)
    return new UserError(message, [
      {
        message: `${directory} holds no .yaml gate files`,
        hint: 'write gates/NAME.yaml (see `gate schema`), or pass the path of a gate file',
      },
    ])
  const guess = nearest(wanted, gates) ?? nearest(stripExtension(wanted), gates.map(stripExtension))
  return new UserError(message, [
    {message: `available: ${gates.join(', ')}`, ...(guess ? {hint: `did you mean "${guess}"?`} : {})},
  ])
}

/** The gate files in `directory`, sorted; none when it does not exist. */
export function gateFilesIn(directory: string): string[] {
  if (!existsSync(directory) || !statSync(directory).isDirectory()) return []
  return readdirSync(directory)
    .filter((entry) => GATE_EXTENSIONS.includes(path.extname(entry).toLowerCase()))
    .sort()
    .map((entry) => path.join(directory, entry))
    .filter((file) => isFile(file))
}

function isFile(file: string): boolean {
  return existsSync(file) && statSync(file).isFile()
}

/** A gate's default name: its file name without the extension. */
export function gateName(file: string): string {
  return stripExtension(path.basename(file))
}

function stripExtension(name: string): string {
  return GATE_EXTENSIONS.includes(path.extname(name).toLowerCase()) ? name.slice(0, -path.extname(name).length) : name
}

/** Finds, reads and checks a gate; throws GateConfigError listing every problem, or UserError when not found. */
export function loadGate(nameOrPath: string, options: LoadOptions): GateConfig {
  const file = resolveGateFile(nameOrPath, options.cwd)
  return configFrom(GateSource.read(file, options.cwd), options)
}

/** Like loadGate for a gate whose bytes are already in memory; `file` (absolute) names it and sets its directory. */
export function parseGate(bytes: Buffer, file: string, options: LoadOptions): GateConfig {
  return configFrom(GateSource.parse(bytes, file, options.cwd), options)
}

function configFrom(source: GateSource, options: LoadOptions): GateConfig {
  const dir = path.dirname(source.file)
  // Built before the schema check so that even a message about a broken file shows no secret.
  const redactor = redactorFor(secretNames(source.data.secrets), options.env)
  const fail = (problems: readonly Problem[], issues: readonly ConfigIssue[] = []) => {
    const error = redactor.error(
      new GateConfigError(source.display, reportable([...issues, ...problems.map((problem) => source.issue(problem))])),
    )
    for (const issue of error.issues) issue.message = shortenQuotes(issue.message)
    return error
  }
  const {document, problems: schemaProblems} = checkSchema(source.data)
  const {
    args,
    data,
    problems: interpolationProblems,
  } = interpolateGate(source.data, {args: options.args, env: options.env, gateDir: dir})
  const problems = [...schemaProblems, ...interpolationProblems, ...semanticProblems(data)]
  if (!document || problems.length > 0 || source.issues.length > 0) throw fail(problems, source.issues)
  // The schema passed, so the interpolated copy has the document's shape.
  const built = build(data as unknown as GateDocument, source, dir, args, redactor)
  if (built.problems.length > 0) throw fail(built.problems)
  return built.config
}

/** Turns a checked, interpolated document into the GateConfig the rest of the tool uses. */
function build(
  document: GateDocument,
  source: GateSource,
  dir: string,
  args: Record<string, string>,
  redactor: Redactor,
): {config: GateConfig; problems: Problem[]} {
  const problems: Problem[] = []
  // A limit of 0 would cut every target or readiness wait at once: only stop_timeout (kill at once) may be 0.
  const duration = (value: DurationText, at: DocPath, {positive = true} = {}): number => {
    const ms = parseDuration(value)
    if (ms !== null && Number.isFinite(ms) && (ms > 0 || !positive)) return ms
    problems.push({
      path: at,
      message: mustBe(at, positive ? `${DURATION_EXPECTED}, above 0` : DURATION_EXPECTED, value),
    })
    return 0
  }

  const root = path.basename(dir) === 'gates' ? path.dirname(dir) : dir
  const name = document.gate ?? gateName(source.file)
  const defaultTimeoutMs = duration(document.defaults.timeout, ['defaults', 'timeout'])
  const config: GateConfig = {
    version: 1,
    name,
    title: document.title ?? name,
    file: source.file,
    dir,
    root,
    sha256: sha256Hex(source.bytes),
    args,
    secrets: document.secrets,
    redactor,
    decision: {
      minConsensus: document.decision.min_consensus,
      confidence: document.decision.confidence,
      seed: document.decision.seed,
      resamples: document.decision.resamples,
    },
    defaults: {timeoutMs: defaultTimeoutMs},
    ...(document.build
      ? {build: {command: document.build.command, timeoutMs: duration(document.build.timeout, ['build', 'timeout'])}}
      : {}),
    services: Object.entries(document.services).map(([serviceName, service]) =>
      serviceConfig(serviceName, service, root, duration),
    ),
    targets: document.targets.map((target, index) => targetConfig(target, index, defaultTimeoutMs, duration)),
    nextPhase: document.next_phase ?? [],
    locate: (docPath) => source.locate(docPath),
  }
  return {config, problems}
}

/** The names under `secrets:` as written; whatever is not a name is the schema's to report. */
function secretNames(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((name): name is string => typeof name === 'string') : []
}

type DurationReader = (value: DurationText, at: DocPath, options?: {positive?: boolean}) => number

function serviceConfig(name: string, service: ServiceDocument, root: string, duration: DurationReader): ServiceConfig {
  const at = ['services', name]
  return {
    name,
    command: service.command,
    cwd: path.resolve(root, service.cwd ?? '.'),
    env: Object.fromEntries(Object.entries(service.env ?? {}).map(([key, value]) => [key, String(value)])),
    ready: {
      ...(service.ready.log === undefined ? {} : {log: service.ready.log}),
      ...(service.ready.http === undefined ? {} : {http: service.ready.http}),
      timeoutMs: duration(service.ready.timeout, [...at, 'ready', 'timeout']),
    },
    stopTimeoutMs: duration(service.stop_timeout, [...at, 'stop_timeout'], {positive: false}),
  }
}

function targetConfig(
  target: TargetDocument,
  index: number,
  defaultTimeoutMs: number,
  duration: DurationReader,
): TargetConfig {
  return {
    id: target.id,
    title: target.title ?? target.id,
    validator: target.validator,
    with: target.with,
    expect: (typeof target.expect === 'string' ? [target.expect] : target.expect).map(parseExpectation),
    weight: target.weight,
    required: target.required,
    level: target.level,
    timeoutMs:
      target.timeout === undefined ? defaultTimeoutMs : duration(target.timeout, ['targets', index, 'timeout']),
    ...(target.quality === undefined ? {} : {quality: target.quality}),
    allowRemote: target.allow_remote,
    index,
    ...narrativeOf(target),
  }
}

/** The target's narrative keys, present only when the file gives at least one. */
function narrativeOf({notes, owner, recommendation, risk}: TargetDocument): {narrative?: TargetNarrative} {
  const narrative: TargetNarrative = {
    ...(owner === undefined ? {} : {owner}),
    ...(notes === undefined ? {} : {notes}),
    ...(recommendation === undefined ? {} : {recommendation}),
    ...(risk === undefined ? {} : {risk}),
  }
  return Object.keys(narrative).length > 0 ? {narrative} : {}
}
