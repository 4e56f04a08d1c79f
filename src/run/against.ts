// `gate check GATE --against REF`: the candidate (this working tree) and the baseline (REF, checked out in a temporary
// git worktree and built with the gate file's `build:`) started side by side and measured in alternating rounds
// (ABBA) on one machine, Kayenta's way, so what drifts on the machine hits both sides alike.
import {existsSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {loadGate} from '../config/load.js'
import type {GateConfig, ServiceConfig, TargetConfig} from '../config/types.js'
import {evaluateGate} from '../engine/index.js'
import type {BaselineInput, MetricEvidence, TargetInput} from '../engine/types.js'
import {summarizeMetric} from '../engine/verdict.js'
import {UserError} from '../errors.js'
import {childProcess} from '../lazy.js'
import {describeEnvironment} from '../results/environment.js'
import {ROUNDS, mergeEvidence} from '../results/merge.js'
import type {MachineNoise} from '../results/noise.js'
import {runId} from '../results/store.js'
import type {RunResults} from '../results/types.js'
import {LogTail} from '../services/log-tail.js'
import {describeExit, ProcessGroup} from '../services/process-group.js'
import type {RunningServices} from '../services/start.js'
import {
  type CheckOptions,
  type Installed,
  type Kept,
  type TargetRun,
  checkGate,
  collectTarget,
  gateRecord,
  openLog,
  startGateServices,
  terminalEvents,
  toTargetInput,
} from './check.js'
import {resultsEnvelope} from './envelope.js'

/** Rounds when --rounds is not given: 4 pairs leave 3 degrees of freedom, the fewest that decide a clear shift. */
export const DEFAULT_ROUNDS = 4

export interface AgainstOptions {
  /** A git ref (branch, tag, commit) or a directory holding a clean checkout of the project. */
  ref: string
  rounds: number
}

/** Where the baseline's tree is and how to let go of it. */
interface BaselineTree {
  /** The project root (the directory that holds gates/) inside the baseline's checkout. */
  root: string
  commit: string
  checkout: 'worktree' | 'directory'
  /** Removes a temporary worktree (nothing for a directory); synchronous so an exit handler can run it. */
  remove(): void
}

/** `gate check --against`: runCheck's counterpart that measures REF beside this tree; never throws for a target. */
export function runCheckAgainst(options: CheckOptions & {against: AgainstOptions}): Promise<RunResults> {
  return checkGate(options, measureAgainst)
}

/** Measures a gate on the candidate and on REF in alternating rounds; the temporary worktree is always removed. */
async function measureAgainst(
  gate: GateConfig,
  installed: Installed,
  warnings: string[],
  options: CheckOptions & {against: AgainstOptions},
): Promise<RunResults> {
  const {ref} = options.against
  const shownGate = path.relative(options.cwd, gate.file) || gate.file
  if (!gate.build)
    throw new UserError(
      `--against ${ref}: ${shownGate} has no build step; add \`build: {command: ...}\` (how to build a checkout, ` +
        `e.g. npm run compile) so the baseline can be built`,
    )
  const tree = checkoutBaseline(ref, gate.root, options.cwd)
  const removeOnExit = () => tree.remove()
  // A second Ctrl-C exits at once: the worktree goes with the process all the same.
  process.once('exit', removeOnExit)
  try {
    const events = terminalEvents(options.events, gate.redactor)
    const label = `${ref}@${tree.commit.slice(0, 7)}`
    for (const linked of linkDependencies(gate.root, tree.root))
      events.log(`baseline ${label}: ${linked} links to the candidate's (the checkout has none)`)
    await buildBaseline(gate.build, tree, label, options.signal, events.log)
    const baseline = baselineGate(gate, tree, options, warnings)
    return await measureRounds(gate, installed, warnings, options, {...baseline, label, tree})
  } finally {
    tree.remove()
    process.removeListener('exit', removeOnExit)
  }
}

/** REF as a temporary detached worktree, or a clean directory as it is. */
function checkoutBaseline(ref: string, projectRoot: string, cwd: string): BaselineTree {
  const top = git(['rev-parse', '--show-toplevel'], projectRoot)
  if (top === null) throw new UserError(`--against ${ref}: ${projectRoot} is not in a git repository`)
  const inside = path.relative(top, projectRoot)
  const directory = path.resolve(cwd, ref)
  if (existsSync(directory) && statSync(directory).isDirectory()) {
    const commit = git(['rev-parse', 'HEAD'], directory)
    if (commit === null) throw new UserError(`--against ${ref}: the directory is not a git checkout of the project`)
    const dirty = git(['status', '--porcelain'], directory)
    if (dirty !== '')
      throw new UserError(
        `--against ${ref}: the directory has uncommitted changes; commit or stash them, or pass a git ref instead`,
      )
    return {checkout: 'directory', commit, remove: () => {}, root: path.join(directory, inside)}
  }

  const commit = git(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`], top)
  if (commit === null)
    throw new UserError(
      `--against ${ref}: no such git ref or directory; name a branch, tag or commit (see git rev-parse ${ref})`,
    )
  const worktree = mkdtempSync(path.join(os.tmpdir(), 'phasegate-against-'))
  let removed = false
  const remove = () => {
    if (removed) return
    removed = true
    git(['worktree', 'remove', '--force', worktree], top)
    rmSync(worktree, {force: true, recursive: true})
    git(['worktree', 'prune'], top)
  }
  if (git(['worktree', 'add', '--detach', '--quiet', worktree, commit], top) === null) {
    remove()
    throw new UserError(`--against ${ref}: git could not check out ${commit.slice(0, 7)} in a temporary worktree`)
  }
  return {checkout: 'worktree', commit, remove, root: path.join(worktree, inside)}
}

/** A git command's trimmed output, or null when it fails. */
function git(args: string[], cwd: string): string | null {
  try {
    return childProcess()
      .execFileSync('git', args, {cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']})
      .trim()
  } catch {
    return null
  }
}

/**
 * A checkout has no node_modules: each the candidate has (the root's, a workspace's) and the checkout lacks becomes a
 * link to the candidate's, so the build and the services resolve the same dependencies. Returns what it linked.
 */
function linkDependencies(candidate: string, checkout: string): string[] {
  const workspaces = (dir: string): string[] =>
    readdirSync(path.join(candidate, dir), {withFileTypes: true})
      .filter((entry) => entry.isDirectory() && entry.name !== 'node_modules' && !entry.name.startsWith('.'))
      .map((entry) => path.join(dir, entry.name))
  const dirs = ['.', ...workspaces('.'), ...workspaces('.').flatMap(workspaces)]
  const linked: string[] = []
  for (const dir of dirs) {
    const from = path.join(candidate, dir, 'node_modules')
    const to = path.join(checkout, dir, 'node_modules')
    if (!existsSync(from) || existsSync(to) || !existsSync(path.dirname(to))) continue
    symlinkSync(from, to, 'dir')
    linked.push(path.join(dir, 'node_modules'))
  }
  return linked
}

/** Runs the gate file's build step in the baseline's checkout; a failure is a UserError quoting its last line. */
async function buildBaseline(
  build: NonNullable<GateConfig['build']>,
  tree: BaselineTree,
  label: string,
  signal: AbortSignal,
  log: (message: string) => void,
): Promise<void> {
  if (signal.aborted) return
  log(`baseline ${label}: building (${build.command})`)
  const group = ProcessGroup.spawn(build.command, {cwd: tree.root})
  const tail = new LogTail(20)
  tail.attach(group.child.stdout)
  tail.attach(group.child.stderr)
  let timedOut = false
  const stop = () => void group.stop(2000)
  const timer = setTimeout(() => {
    timedOut = true
    stop()
  }, build.timeoutMs)
  signal.addEventListener('abort', stop, {once: true})
  const status = await group.exited
  await group.closed
  clearTimeout(timer)
  signal.removeEventListener('abort', stop)
  // Ctrl-C: no error; the targets find the signal aborted and the run is saved as interrupted.
  if (signal.aborted) return
  if (timedOut || status.code !== 0) {
    const why = timedOut ? `took longer than its timeout (${build.timeoutMs / 1000} s)` : describeExit(status)
    const last = tail.lines(1)[0]
    throw new UserError(
      `--against: the build step \`${build.command}\` ${why} in the baseline ${label}` +
        `${last ? ` (last line: ${last.trim()})` : ''}; run it in a checkout of ${label} to see why`,
    )
  }
}

/**
 * What starts the baseline: REF's own copy of the gate file, as Argo Rollouts starts the baseline from the stable pod
 * template (a change to a service's command or env is part of the candidate). A gate REF does not have yet is started
 * as the candidate's gate file says, inside REF's tree, with a warning.
 */
function baselineGate(
  gate: GateConfig,
  tree: BaselineTree,
  options: CheckOptions,
  warnings: string[],
): {services: ServiceConfig[]; gateDir: string; servicesFrom: 'ref' | 'candidate'} {
  const inTree = (file: string) => path.join(tree.root, path.relative(gate.root, file))
  const file = inTree(gate.file)
  if (existsSync(file)) {
    const base = loadGate(file, {args: options.args, cwd: tree.root, env: options.env})
    return {gateDir: base.dir, services: base.services, servicesFrom: 'ref'}
  }
  warnings.push(
    `the baseline has no ${path.relative(gate.root, gate.file)}: its services are started as the candidate's gate ` +
      `file says, inside the baseline's tree`,
  )
  const services = gate.services.map((service) => ({...service, cwd: inTree(service.cwd)}))
  return {gateDir: inTree(gate.dir), services, servicesFrom: 'candidate'}
}

interface BaselineSide {
  services: ServiceConfig[]
  gateDir: string
  servicesFrom: 'ref' | 'candidate'
  label: string
  tree: BaselineTree
}

type Side = 'candidate' | 'baseline'

interface RoundOutcome {
  collected: TargetInput['collected']
  histograms: Record<string, string>
}

async function measureRounds(
  gate: GateConfig,
  installed: Installed,
  warnings: string[],
  options: CheckOptions & {against: AgainstOptions},
  baseline: BaselineSide,
): Promise<RunResults> {
  const {cwd, env, signal} = options
  const events = terminalEvents(options.events, gate.redactor)
  const settings = {...gate.decision, ...(options.seed === undefined ? {} : {seed: options.seed})}
  const startedAt = new Date()
  const id = runId(gate.name, startedAt)
  const collected: TargetInput[] = []
  const noise = new Map<string, MachineNoise>()
  options.onForcedExit?.(() => resultsOf(collected))
  let running: string | undefined
  const serviceLog = openLog(cwd, id, warnings)
  const logFile = serviceLog && (path.relative(cwd, serviceLog.file) || serviceLog.file)
  const shared = {
    events,
    logFile,
    redact: gate.redactor.text,
    running: () => running,
    serviceLog,
    shownLive: options.verbose === true || serviceLog === undefined,
    signal,
    warnings,
  }
  const started: Array<RunningServices | undefined> = []
  try {
    const candidate = await startGateServices(gate.services, {...shared, side: 'candidate'})
    started.push(candidate.services)
    const base = await startGateServices(baseline.services, {...shared, side: `baseline ${baseline.label}`})
    started.push(base.services)
    const common = {env, events, gate, installed, settings, shard: undefined, signal, keepHistograms: true}
    const runs: Record<Side, TargetRun> = {
      baseline: {...common, gateDir: baseline.gateDir, serviceFailure: base.failure, services: base.services},
      candidate: {...common, serviceFailure: candidate.failure, services: candidate.services},
    }
    for (const [index, target] of gate.targets.entries()) {
      events.targetStarted(target, index, gate.targets.length)
      running = target.id
      const began = performance.now()
      const kept: Kept = {histograms: {}}
      const input = target.expect.some((expectation) => expectation.relative)
        ? await inRounds(target, runs, options.against.rounds, kept)
        : toTargetInput(target, await collectTarget(runs.candidate, target, undefined, kept))
      events.targetFinished(target, input.collected, performance.now() - began)
      running = undefined
      collected.push(input)
      if (kept.noise) noise.set(target.id, kept.noise)
    }
  } finally {
    await Promise.all(started.map((services) => services?.stop()))
    await serviceLog?.close()
  }
  return resultsOf(collected)

  /** ABBA: the candidate first in even rounds, the baseline first in odd ones; each side's rounds pooled. */
  async function inRounds(target: TargetConfig, runs: Record<Side, TargetRun>, count: number, kept: Kept) {
    const outcomes: Record<Side, RoundOutcome[]> = {baseline: [], candidate: []}
    for (let round = 0; round < count; round++) {
      const order: Side[] = round % 2 === 0 ? ['candidate', 'baseline'] : ['baseline', 'candidate']
      for (const side of order) {
        const mine: Kept = {histograms: {}}
        const outcome = await collectTarget(runs[side], target, undefined, mine)
        outcomes[side].push({collected: outcome, histograms: mine.histograms})
        // The machine's noise is the candidate's: its rounds are what absolute expectations judge.
        if (side === 'candidate' && (mine.noise?.busy || !kept.noise)) kept.noise = mine.noise
      }
    }
    const paired = outcomes.candidate.flatMap((candidate, round) => {
      const base = outcomes.baseline[round]!.collected
      return 'evidence' in candidate.collected && 'evidence' in base
        ? [{baseline: base.evidence.metrics, candidate: candidate.collected.evidence.metrics}]
        : []
    })
    const pooledBaseline = pool(outcomes.baseline, target.id)
    const against: BaselineInput | {missing: string} =
      'evidence' in pooledBaseline
        ? {
            metrics: baselineMetrics(pooledBaseline.evidence.metrics),
            name: baseline.label,
            rounds: paired,
            run: baseline.label,
          }
        : {missing: `the baseline ${baseline.label} gave no data: ${pooledBaseline.noData}`}
    return toTargetInput(target, pool(outcomes.candidate, target.id), against)
  }

  /** One side's rounds as one run's evidence: samples and counts pooled, values kept when every round agrees. */
  function pool(rounds: readonly RoundOutcome[], target: string): TargetInput['collected'] {
    const parts = rounds.flatMap(({collected: part, histograms}, index) =>
      'evidence' in part
        ? [{evidence: part.evidence, histograms, shard: {count: rounds.length, index: index + 1}}]
        : [],
    )
    if (parts.length === 0)
      return rounds.find(({collected: part}) => 'noData' in part)?.collected ?? {noData: 'no round ran'}
    return {evidence: parts.length === 1 ? parts[0]!.evidence : mergeEvidence(parts, settings.seed, target, ROUNDS)}
  }

  function resultsOf(done: readonly TargetInput[]): RunResults {
    const reached = new Set(done.map((target) => target.id))
    const unreached = gate.targets
      .filter((target) => !reached.has(target.id))
      .map((target) => toTargetInput(target, {noData: 'interrupted: the run was forced to stop before this target'}))
    return gate.redactor.deep<RunResults>(
      resultsEnvelope({
        against: {
          checkout: baseline.tree.checkout,
          commit: baseline.tree.commit,
          order: 'ABBA',
          ref: options.against.ref,
          rounds: options.against.rounds,
          services: baseline.servicesFrom,
        },
        environment: describeEnvironment(cwd, env),
        evaluation: evaluateGate(settings, [...done, ...unreached]),
        finishedAt: new Date(),
        gate: gateRecord(gate),
        id,
        interrupted: signal.aborted,
        narrativeOf: (target) => gate.targets.find((t) => t.id === target)?.narrative,
        noiseOf: (target) => noise.get(target),
        settings,
        startedAt,
        toolVersion: options.toolVersion,
        warnings,
      }),
    )
  }
}

/** The baseline's pooled metrics as a baseline run's record of them. */
function baselineMetrics(metrics: Record<string, MetricEvidence>): BaselineInput['metrics'] {
  return Object.fromEntries(
    Object.entries(metrics).map(([name, evidence]) => [name, {evidence, summary: summarizeMetric(name, evidence)}]),
  )
}
