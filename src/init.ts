// `gate init`: a starting gate file from a few answers (a URL to load, a service command, a k6 summary, the seed
// targets as templates), checked exactly as `gate validate` checks a file before a byte of it is written.
import type {Config} from '@oclif/core'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import path from 'node:path'

import {checkGateValidators} from './run/check.js'
import {parseGate} from './config/load.js'
import {nearest} from './engine/suggest.js'
import {UserError} from './errors.js'

/** The seed's Phase 2 targets, as gates/phase-2.yaml measures them; each speaks the bundled demo's API. */
export const TEMPLATES = ['fleet', 'dashboard', 'swarm', 'cache'] as const
export type TemplateName = (typeof TEMPLATES)[number]

export interface InitAnswers {
  /** gates/NAME.yaml */
  name: string
  title?: string
  /** A shell command that starts the system under test. */
  service?: string
  /** The log line that says the service is ready; a (?<url>…) group gives ${services.app.url}. */
  ready?: string
  /** A URL to load with the http validator. */
  url?: string
  /** A k6 summary (--summary-export or handleSummary JSON) to import, relative to the project. */
  k6?: string
  templates: TemplateName[]
}

export const DEFAULT_READY = String.raw`listening on (?<url>https?://\S+)`
const SERVICE_URL = '${services.app.url}'
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

/** Reads a template name as typed; an unknown one is a UserError with the nearest name. */
export function templateNamed(text: string): TemplateName {
  const name = text.trim().toLowerCase()
  if ((TEMPLATES as readonly string[]).includes(name)) return name as TemplateName
  const guess = nearest(name, [...TEMPLATES])
  throw new UserError(`unknown template "${text}"`, [
    {message: `templates: ${TEMPLATES.join(', ')}`, ...(guess ? {hint: `did you mean "${guess}"?`} : {})},
  ])
}

/** What is missing or contradictory in the answers, as one UserError; nothing when they make a gate. */
export function checkAnswers(answers: InitAnswers): void {
  const problems: Array<{message: string; hint?: string}> = []
  if (!NAME_PATTERN.test(answers.name))
    problems.push({hint: 'letters, digits, "-", "_" and "."', message: `"${answers.name}" cannot name a gate file`})
  if (!answers.url && !answers.service && !answers.k6 && answers.templates.length === 0)
    problems.push({
      hint: 'give --url, --service, --k6 or --template (in a terminal, run it without flags to be asked)',
      message: 'nothing to measure',
    })
  if (answers.url && !/^https?:\/\//.test(answers.url) && !answers.url.startsWith(SERVICE_URL))
    problems.push({hint: 'e.g. http://127.0.0.1:8080/health', message: `--url ${answers.url} is not an http(s) URL`})
  if (answers.service && !answers.url && !(answers.ready ?? DEFAULT_READY).includes('(?<url>'))
    problems.push({
      hint: 'give --url, or a --ready pattern with a (?<url>…) group that captures it from the log',
      message: 'the service announces no URL to measure',
    })
  if (answers.templates.length > 0 && !answers.url && !answers.service)
    problems.push({
      hint: 'give --service (its URL is captured from its log) or --url with the base URL of the system',
      message: `templates ${answers.templates.join(', ')} need the system's URL`,
    })
  if (problems.length > 0) throw new UserError('gate init: cannot write a starting gate', problems)
}

/** The gate file's text: YAML with a comment on every choice made for the user. */
export function renderGate(answers: InitAnswers, gateDir: string, cwd: string): string {
  checkAnswers(answers)
  const text = (value: string): string => JSON.stringify(value)
  const base = answers.service && !answers.url ? SERVICE_URL : (answers.url ?? SERVICE_URL)
  const lines = [
    `# Written by \`gate init\`: a starting point. Thresholds are placeholders — set them to your targets.`,
    `# Check it with \`gate validate ${answers.name}\`, run it with \`gate check ${answers.name}\`.`,
    'version: 1',
    `title: ${text(answers.title ?? `${answers.name} gate`)}`,
    'decision:',
    '  min_consensus: 0.85   # weighted mean of target confidences needed to PROCEED',
    '  confidence: 0.95      # a target PASSes only when its confidence reaches this',
    '  seed: 1',
    'defaults:',
    '  timeout: 2m',
  ]
  if (answers.service)
    lines.push(
      'services:               # started before the targets, always stopped afterwards',
      '  app:',
      `    command: ${text(answers.service)}`,
      `    ready: { log: ${text(answers.ready ?? DEFAULT_READY)}, timeout: 30s }`,
    )
  lines.push('targets:')
  if (answers.url || answers.service) lines.push(...httpTarget(answers.url ?? SERVICE_URL))
  // Relative to the gate file, as every path in `with:` is; a path given absolute stays absolute.
  if (answers.k6)
    lines.push(
      ...k6Target(path.isAbsolute(answers.k6) ? answers.k6 : path.relative(gateDir, path.resolve(cwd, answers.k6))),
    )
  for (const template of answers.templates) lines.push(...TEMPLATE_TARGETS[template](trimSlash(base)))
  return `${lines.join('\n')}\n`
}

function trimSlash(url: string): string {
  return url.replace(/\/+$/, '')
}

function httpTarget(url: string): string[] {
  const what = url === SERVICE_URL ? 'The service' : url
  return [
    '  - id: http-latency',
    `    title: ${JSON.stringify(`${what} — p95 under 500 ms, under 1% errors`)}`,
    '    validator: http',
    `    with: { url: ${JSON.stringify(url)}, connections: 10, duration: 10s }`,
    '    expect:',
    '      - p95(latency) < 500ms',
    '      - error_rate < 1%',
    '    required: true',
  ]
}

function k6Target(file: string): string[] {
  return [
    '  - id: k6-load-test',
    '    title: k6 load test — p95 under 500 ms, under 1% failed',
    '    validator: artifact   # numbers k6 measured: evidence of kind artifact (quality 0.9)',
    '    with:',
    `      file: ${JSON.stringify(file.split(path.sep).join('/'))}`,
    '      format: k6',
    '      metrics: [http_req_duration.p95, http_req_failed]',
    '    expect: [ http_req_duration.p95 < 500ms, http_req_failed < 1% ]',
  ]
}

/** The seed's targets with gates/phase-2.yaml's thresholds; the comment says which API they speak. */
const TEMPLATE_TARGETS: Record<TemplateName, (base: string) => string[]> = {
  cache: (base) => [
    '  - id: cache-hit-rate   # reads the demo cache at {url}/cache; validator cache also reads Redis INFO',
    '    title: Cache — hit rate of 90% or more under a read-mostly Zipf workload',
    '    validator: cache',
    '    with:',
    `      url: ${JSON.stringify(`${base}/cache`)}`,
    '      workload: { keys: 2000, skew: 1.0, reads: 0.95, preload: 1000, duration: 10s, concurrency: 8 }',
    '    expect: [ hit_rate >= 90%, error_rate < 1% ]',
    '    level: warn',
  ],
  dashboard: (base) => [
    '  - id: dashboard-refresh   # the demo’s WebSocket; mode sse, redis or http and latency fit other dashboards',
    '    title: Dashboard — 100 live clients, refreshed in under 1 s (p95)',
    '    validator: dashboard',
    `    with: { url: ${JSON.stringify(base)}, clients: 100, mode: websocket, duration: 10s }`,
    '    expect: [ p95(refresh_latency) < 1s, p95(update_interval) < 1s, error_rate < 1% ]',
    '    weight: 2',
    '    required: true',
  ],
  fleet: (base) => [
    '  - id: fleet-allocation   # speaks the demo’s fleet API (POST /fleet/allocations)',
    '    title: Fleet manager — 1000 agents allocated, allocation under 100 ms (p95)',
    '    validator: fleet',
    `    with: { url: ${JSON.stringify(base)}, agents: 1000, duration: 10s, ramp: 1s }`,
    '    expect: [ p95(allocation_latency) < 100ms, allocated_agents >= 1000, error_rate < 1% ]',
    '    weight: 3',
    '    required: true',
  ],
  swarm: (base) => [
    '  - id: swarm-failover   # speaks the demo’s swarm API (GET /swarms/:id)',
    '    title: Multi-swarm — 100 swarms, leader failover under 5 s (p95), no task lost',
    '    validator: swarm',
    `    with: { url: ${JSON.stringify(base)}, swarms: 100, faults: 60, tasks: 5 }`,
    '    timeout: 3m',
    '    expect: [ p95(failover_time) < 5s, failed_recoveries == 0, lost_tasks == 0, swarms_healthy >= 100 ]',
    '    weight: 2',
    '    required: true',
  ],
}

export interface InitOutcome {
  /** The gate file, relative to the project. */
  file: string
  written: boolean
  gate: string
}

/**
 * Renders the gate, checks it as `gate validate` would, and writes gates/NAME.yaml unless `dryRun`.
 * An existing file is replaced only with `force`.
 */
export async function initGate(
  answers: InitAnswers,
  options: {cwd: string; config: Config; force: boolean; dryRun: boolean},
): Promise<InitOutcome> {
  const gateDir = path.join(options.cwd, 'gates')
  const file = path.join(gateDir, `${answers.name}.yaml`)
  const relative = path.relative(options.cwd, file)
  if (answers.k6 && !existsSync(path.resolve(options.cwd, answers.k6)))
    throw new UserError(`--k6 ${answers.k6}: no such file`, [
      {hint: 'k6 run --summary-export summary.json script.js writes one', message: 'give the path of a k6 summary'},
    ])
  const gate = renderGate(answers, gateDir, options.cwd)
  // Checked under its future name, so every message points where the file will be.
  await checkGateValidators(parseGate(Buffer.from(gate), file, {cwd: options.cwd, env: process.env}), options.config)
  if (options.dryRun) return {file: relative, gate, written: false}
  if (existsSync(file) && !options.force)
    throw new UserError(`${relative} exists; nothing was written`, [
      {hint: 'pass --force to replace it, or choose another name', message: 'gate init never overwrites by itself'},
    ])
  mkdirSync(gateDir, {recursive: true})
  writeFileSync(file, gate)
  return {file: relative, gate, written: true}
}

/** Asks, one question at a time, for what the flags did not give; `ask` shows a question and its default. */
export async function askAnswers(
  given: Partial<InitAnswers>,
  ask: (question: string, answer?: string) => Promise<string>,
): Promise<InitAnswers> {
  const optional = async (question: string, value: string | undefined, fallback = ''): Promise<string | undefined> =>
    value ?? ((await ask(question, fallback)).trim() || undefined)
  const name = (await optional('Gate name (writes gates/NAME.yaml)', given.name, 'main')) ?? 'main'
  const title = await optional('Title', given.title, `${name} gate`)
  const service = await optional('Command that starts the system under test (empty: none)', given.service)
  const ready = service ? await optional('Log line that says it is ready', given.ready, DEFAULT_READY) : undefined
  const url = await optional(
    service ? `URL to load (empty: the URL the service announces)` : 'URL to load (empty: none)',
    given.url,
  )
  const k6 = await optional('k6 summary JSON to import (empty: none)', given.k6)
  const templates =
    given.templates && given.templates.length > 0
      ? given.templates
      : (await ask(`Seed targets to add, comma-separated (${TEMPLATES.join(', ')}; empty: none)`, ''))
          .split(',')
          .filter((entry) => entry.trim() !== '')
          .map(templateNamed)
  return {name, templates, ...{k6, ready, service, title, url}}
}
