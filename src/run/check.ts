import type {Config} from '@oclif/core'
import path from 'node:path'

import {expandServiceRefs} from '../config/interpolate.js'
import {loadGate, type LoadOptions} from '../config/load.js'
import type {GateConfig, TargetConfig} from '../config/types.js'
import {evaluateGate, evaluateTarget} from '../engine/index.js'
import type {DecisionSettings, TargetInput} from '../engine/types.js'
import {GateConfigError} from '../errors.js'
import {baselinesFor} from '../history/index.js'
import type {Redactor} from '../redact.js'
import {visibleControls} from '../report/escape.js'
import {readEnvironment} from '../results/environment.js'
import {judgeNoise, type MachineNoise} from '../results/noise.js'
import {watchNoise} from '../results/noise-watch.js'
import {openServiceLog, type ServiceLog} from '../results/service-log.js'
import {runId, STATE_DIR} from '../results/store.js'
import {type CollectedTarget, type RunResults} from '../results/types.js'
import {remoteRefusal} from '../safety/remote.js'
import {startServices, type RunningServices} from '../services/index.js'
import {checkTargetOptions} from '../validators/options.js'
import {loadValidators, type RegisteredValidator} from '../validators/registry.js'
import {collectEvidence, runsOnShard} from '../validators/runner.js'
import type {ProgressUpdate, Shard} from '../validators/types.js'
import {resultsEnvelope} from './envelope.js'

/** What the caller sees while a run goes on; the terminal and CI renderers hang off these. */
export interface CheckEvents {
  log(message: string): void
  targetStarted(target: TargetConfig, index: number, total: number): void
  targetFinished(target: TargetConfig, outcome: TargetInput['collected'], elapsedMs: number): void
  /** What the running target's validator says about how far it is (ctx.progress), about once a second. */
  targetProgress?(target: TargetConfig, update: ProgressUpdate, elapsedMs: number): void
}

export interface CheckOptions {
  gate: string
  cwd: string
  env: NodeJS.ProcessEnv
  /** --arg values for the gate's args. */
  args?: Readonly<Record<string, string>>
  config: Config
  /** Aborted on SIGINT/SIGTERM: the running target stops, the rest are skipped, services stop. */
  signal: AbortSignal
  seed?: number
  events: CheckEvents
  toolVersion: string
  /** `--shard i/n`: this runner measures share i of n of the load. */
  shard?: Shard
  /** `--verbose`: the services' output is shown as it comes, not only kept in their log file. */
  verbose?: boolean
  /** Which saved baseline relative expectations compare with (`--baseline`); default main. */
  baseline?: string
  /** A baseline file (`gate baseline export`) to compare with instead of a saved baseline (`--baseline-file`). */
  baselineFile?: string
  /** Each target's evidence as collected (with its histograms), for the evidence file `gate merge` reads. */
  onCollected?(target: CollectedTarget): void
  /** Given, once the gate is loaded, a synchronous way to the results so far, for a forced exit to save them. */
  onForcedExit?(resultsSoFar: () => RunResults): void
}

/** Loads a gate and its validators and checks everything that can be checked without running anything. */
export async function prepareGate(gateRef: string, load: LoadOptions, config: Config) {
  return checkGateValidators(loadGate(gateRef, load), config)
}

/** Checks a loaded gate's targets against the installed validators (what `gate validate` adds to loading it). */
export async function checkGateValidators(gate: GateConfig, config: Config) {
  const needed = gate.targets.map((target) => target.validator)
  const {unavailable, validators, warnings} = await loadValidators(config, needed)
  const issues = checkTargetOptions(gate, validators, unavailable)
  if (issues.length > 0) throw gate.redactor.error(new GateConfigError(gate.locate([]).file, issues))
  return {gate, unavailable, validators, warnings: [...gate.redactor.warnings, ...warnings]}
}

/** Runs a gate end to end and returns the results object, secrets redacted; never throws for what a target does. */
export function runCheck(options: CheckOptions): Promise<RunResults> {
  return checkGate(options, measureGate)
}

/** Loads and checks the gate, then measures it with `measure`; whatever it throws has the gate's secrets redacted. */
export async function checkGate<O extends CheckOptions>(
  options: O,
  measure: (gate: GateConfig, installed: Installed, warnings: string[], options: O) => Promise<RunResults>,
): Promise<RunResults> {
  const {gate, unavailable, validators, warnings} = await prepareGate(
    options.gate,
    {args: options.args, cwd: options.cwd, env: options.env},
    options.config,
  )
  try {
    return await measure(gate, {unavailable, validators}, warnings, options)
  } catch (error) {
    throw gate.redactor.error(error)
  }
}

/** The validators installed, and the plugins that failed to provide theirs. */
export interface Installed {
  unavailable: readonly string[]
  validators: Map<string, RegisteredValidator>
}

async function measureGate(
  gate: GateConfig,
  installed: Installed,
  warnings: string[],
  options: CheckOptions,
): Promise<RunResults> {
  const {cwd, env, signal} = options
  const {redactor} = gate
  const events = terminalEvents(options.events, redactor)
  const settings = {...gate.decision, ...(options.seed === undefined ? {} : {seed: options.seed})}
  // Only targets with a relative expectation read the history: the others never pay for it.
  const relative = gate.targets.filter((target) => target.expect.some((expectation) => expectation.relative))
  const baselines =
    relative.length > 0
      ? baselinesFor({name: gate.name, targets: relative}, cwd, options.baseline, options.baselineFile)
      : new Map<string, NonNullable<TargetInput['baseline']>>()
  const startedAt = new Date()
  const environment = readEnvironment(cwd, env)
  // A forced exit (a second Ctrl-C) cannot wait for this function to return: it takes what is collected so far.
  options.onForcedExit?.(() => resultsOf(collected))

  let services: RunningServices | undefined
  let serviceFailure: string | undefined
  let running: string | undefined
  const collected: TargetInput[] = []
  const noise = new Map<string, MachineNoise>()
  const serviceLog = gate.services.length > 0 ? openLog(cwd, runId(gate.name, startedAt), warnings) : undefined
  // Without a log file to keep it, the services' output is shown as before: it must go somewhere.
  const shownLive = options.verbose === true || (gate.services.length > 0 && serviceLog === undefined)
  const logFile = serviceLog && (path.relative(cwd, serviceLog.file) || serviceLog.file)
  try {
    ;({services, failure: serviceFailure} = await startGateServices(gate.services, {
      events,
      logFile,
      redact: redactor.text,
      running: () => running,
      serviceLog,
      shownLive,
      signal,
      warnings,
    }))

    const run: TargetRun = {
      env,
      events,
      gate,
      installed,
      services,
      serviceFailure,
      settings,
      shard: options.shard,
      signal,
    }
    for (const [index, target] of gate.targets.entries()) {
      events.targetStarted(target, index, gate.targets.length)
      running = target.id
      const began = performance.now()
      const kept: Kept = {histograms: {}}
      const outcome = await collectTarget(run, target, baselines.get(target.id), kept)
      events.targetFinished(target, outcome, performance.now() - began)
      running = undefined
      const input = toTargetInput(target, outcome, baselines.get(target.id))
      collected.push(input)
      if (kept.noise) noise.set(target.id, kept.noise)
      const {histograms, ...rest} = kept
      // The evidence file keeps expectations as written; `gate merge` parses them again as it reads the file.
      const written = {...input, expectations: input.expectations.map((expectation) => expectation.text)}
      options.onCollected?.(
        redactor.deep({
          ...written,
          ...(Object.keys(histograms).length > 0 ? {histograms} : {}),
          ...rest,
          ...(target.narrative ? {narrative: target.narrative} : {}),
        }),
      )
    }
  } finally {
    await services?.stop()
    await serviceLog?.close()
  }

  await environment.ready
  return resultsOf(collected)

  /**
   * The results object over what has been collected; a target not reached yet is NO_DATA (only a forced exit sees any).
   */
  function resultsOf(done: readonly TargetInput[]): RunResults {
    const reached = new Set(done.map((target) => target.id))
    const unreached = gate.targets
      .filter((target) => !reached.has(target.id))
      .map((target) =>
        toTargetInput(
          target,
          {noData: 'interrupted: the run was forced to stop before this target finished'},
          baselines.get(target.id),
        ),
      )
    const evaluation = evaluateGate(settings, [...done, ...unreached])
    return redactor.deep<RunResults>(
      resultsEnvelope({
        id: runId(gate.name, startedAt),
        toolVersion: options.toolVersion,
        gate: gateRecord(gate),
        startedAt,
        finishedAt: new Date(),
        environment: environment.now(),
        settings,
        evaluation,
        noiseOf: (id) => noise.get(id),
        narrativeOf: (id) => gate.targets.find((t) => t.id === id)?.narrative,
        interrupted: signal.aborted,
        warnings,
        ...(options.shard ? {shard: options.shard} : {}),
      }),
    )
  }
}

/** The gate as the results file names it. */
export function gateRecord(gate: GateConfig): RunResults['gate'] {
  return {
    name: gate.name,
    title: gate.title,
    file: gate.locate([]).file,
    sha256: gate.sha256,
    ...(Object.keys(gate.args).length > 0 ? {args: gate.args} : {}),
    ...(gate.nextPhase.length > 0 ? {nextPhase: gate.nextPhase} : {}),
  }
}

export interface GateServicesOptions {
  events: CheckEvents
  serviceLog: ServiceLog | undefined
  /** The log file as shown to the user, when there is one. */
  logFile: string | undefined
  shownLive: boolean
  redact(text: string): string
  signal: AbortSignal
  warnings: string[]
  /** The target running now, named in the warning when a service dies under it. */
  running(): string | undefined
  /** Names which set of services these are when a run starts two (`--against`): "baseline". */
  side?: string
}

/** Starts a gate's services; a failure is a warning and the reason its targets have no data, never a throw. */
export async function startGateServices(
  configs: GateConfig['services'],
  options: GateServicesOptions,
): Promise<{services?: RunningServices; failure?: string}> {
  const {events, logFile, serviceLog, shownLive, warnings} = options
  const logNote = logFile ? `; full log: ${logFile}` : ''
  const side = options.side ? `${options.side} ` : ''
  try {
    // A death mid-run is a warning naming the target it cut into; its last lines are shown unless already seen.
    const onLost = (description: string) => {
      const running = options.running()
      const warning = `${side}${description}${logNote}${running ? ` (during target ${running})` : ''}`
      warnings.push(warning)
      if (!shownLive) events.log(warning)
    }
    const log = (line: string) => {
      serviceLog?.write(visibleControls(`${side}${line}`))
      if (shownLive) events.log(`${side}${line}`)
    }
    const services = await startServices(configs, {log, onLost, redact: options.redact, signal: options.signal})
    if (logFile) events.log(`${side}services ready: ${describeServices(services)}; their output goes to ${logFile}`)
    return {services}
  } catch (error) {
    const failure = `${side}${(error as Error).message}${logNote}`
    warnings.push(failure)
    events.log(failure)
    return {failure}
  }
}

/** The services' log beside the run's results; a run that cannot write it goes on, with a warning. */
export function openLog(cwd: string, id: string, warnings: string[]): ServiceLog | undefined {
  try {
    return openServiceLog(path.join(cwd, STATE_DIR, 'runs'), id)
  } catch (error) {
    warnings.push(`the services' output is not kept in a file: ${(error as Error).message}`)
    return undefined
  }
}

/** "demo at http://127.0.0.1:38133, db": what each service announced. */
function describeServices(services: RunningServices): string {
  return Object.values(services.info)
    .map((service) => (service.url ? `${service.name} at ${service.url}` : service.name))
    .join(', ')
}

/** What a target leaves beside its evidence: for a merge, and the machine's noise while its validator ran. */
export interface Kept {
  histograms: Record<string, string>
  skippedOnShard?: true
  noise?: MachineNoise
}

/** What every target of one run is collected with: the gate, its validators and services, the run's settings. */
export interface TargetRun {
  gate: GateConfig
  installed: Installed
  services: RunningServices | undefined
  /** Why the services did not start, when they did not: the NO_DATA reason of targets that name them. */
  serviceFailure: string | undefined
  settings: DecisionSettings
  env: NodeJS.ProcessEnv
  events: CheckEvents
  signal: AbortSignal
  shard: Shard | undefined
  /** Keep each samples metric's HDR histogram (a shard's, or a round's to pool), in `Kept`. */
  keepHistograms?: boolean
  /** Where the validator resolves relative paths; default the gate's directory. */
  gateDir?: string
}

export async function collectTarget(
  run: TargetRun,
  target: TargetConfig,
  baseline: TargetInput['baseline'],
  kept: Kept,
): Promise<TargetInput['collected']> {
  const {env, events, gate, services, serviceFailure, settings, shard, signal} = run
  const {unavailable, validators} = run.installed
  const began = performance.now()
  if (signal.aborted) return {noData: 'interrupted before it ran'}
  const registered = validators.get(target.validator)
  if (!registered) return {noData: [`validator "${target.validator}" is not installed`, ...unavailable].join('; ')}
  if (!runsOnShard(registered.validator, shard)) {
    kept.skippedOnShard = true
    return {noData: `runs whole on shard 1/${shard?.count}: validator ${target.validator} cannot split its work`}
  }
  let options: unknown
  try {
    options = expandServiceRefs(target.with, services?.info ?? {}, services?.lost)
  } catch (error) {
    return {noData: serviceFailure ?? (error as Error).message}
  }
  // Validators that connect to what they name (claims and artifacts only read files): checked after
  // ${services.*} expansion and before the validator runs, so nothing has connected yet.
  const kind = registered.validator.kind ?? 'measured'
  const connects = registered.validator.connects ?? kind === 'measured'
  const refusal = connects ? remoteRefusal(options, target.allowRemote, env) : null
  if (refusal) return {noData: refusal}
  // The window is the validator's run alone: a target refused or skipped above never loaded the machine. A claim or an
  // artifact runs nothing here, so the machine's noise says nothing about it (and reading it cost ~7 ms of a claim).
  const watch = kind === 'measured' ? watchNoise() : undefined
  const outcome = await collectEvidence(registered.validator, options, {
    timeoutMs: target.timeoutMs,
    signal,
    services: services?.info ?? {},
    gateDir: run.gateDir ?? gate.dir,
    redact: gate.redactor.text,
    seed: settings.seed,
    target: {id: target.id, title: target.title},
    log: (message) => events.log(`[${target.id}] ${message}`),
    progress: (update) => events.targetProgress?.(target, update, performance.now() - began),
    decided: (evidence) =>
      ['FAIL', 'PASS'].includes(evaluateTarget(settings, toTargetInput(target, {evidence}, baseline)).status),
    // Only a shard's evidence is saved for a merge and only rounds are pooled, so only they encode their histograms.
    ...(shard || run.keepHistograms
      ? {keepHistogram: (metric: string, encoded: string) => (kept.histograms[metric] = encoded)}
      : {}),
    ...(shard ? {shard} : {}),
  })
  if (watch) kept.noise = judgeNoise(watch.stop(), 'evidence' in outcome ? outcome.evidence.kind : kind)
  return outcome
}

export function toTargetInput(
  target: TargetConfig,
  collected: TargetInput['collected'],
  baseline?: TargetInput['baseline'],
): TargetInput {
  return {
    ...(baseline ? {baseline} : {}),
    id: target.id,
    title: target.title,
    validator: target.validator,
    weight: target.weight,
    required: target.required,
    level: target.level,
    quality: target.quality,
    expectations: target.expect,
    collected,
  }
}

/**
 * The same events with secrets redacted and control characters made visible (a service's log may hold terminal escapes)
 * in all they carry to the terminal.
 */
export function terminalEvents(events: CheckEvents, redactor: Redactor): CheckEvents {
  const shown = (text: string): string => visibleControls(redactor.text(text))
  return {
    log: (message) => events.log(shown(message)),
    targetStarted: (target, index, total) => events.targetStarted(target, index, total),
    targetFinished: (target, outcome, elapsedMs) =>
      events.targetFinished(target, 'noData' in outcome ? {noData: shown(outcome.noData)} : outcome, elapsedMs),
    targetProgress: (target, update, elapsedMs) =>
      events.targetProgress?.(
        target,
        update.message === undefined ? update : {...update, message: shown(update.message)},
        elapsedMs,
      ),
  }
}
