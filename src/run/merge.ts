import {evaluateGate} from '../engine/index.js'
import {ExpectationSyntaxError, parseExpectation} from '../engine/expectation.js'
import type {TargetInput} from '../engine/types.js'
import {UserError} from '../errors.js'
import {describeEnvironment} from '../results/environment.js'
import {noisiest} from '../results/noise.js'
import {loadEvidence, runId} from '../results/store.js'
import {type CollectedTarget, type RunEvidence, type RunResults, shardLabel} from '../results/types.js'
import {resultsEnvelope} from './envelope.js'

type MergeTarget = typeof import('../results/merge.js').mergeTarget

export interface MergeOptions {
  /** Run ids, results or evidence files, or "latest". */
  runs: readonly string[]
  cwd: string
  env: NodeJS.ProcessEnv
  toolVersion: string
}

/** A decided merge and the evidence it decided on (the history keeps its samples, so it can be a baseline). */
export interface MergedRun {
  results: RunResults
  collected: CollectedTarget[]
}

/** Loads the shard runs, checks they are shares of one gate, and decides on the union of their evidence. */
export async function mergeRuns(options: MergeOptions): Promise<MergedRun> {
  // The merge reads HDR histograms: hdr-histogram-js loads only when there is something to merge.
  const {mergeTarget} = await import('../results/merge.js')
  const runs = options.runs.map((ref) => ({ref, ...loadEvidence(ref, options.cwd)}))
  // Missing shards are warnings of the merged run: every report shows them.
  const warnings = checkShards(runs.map(({evidence, ref}) => ({evidence, ref})))
  return decideMerged(
    runs.map(({evidence}) => evidence),
    warnings,
    options,
    mergeTarget,
  )
}

/**
 * Refuses what cannot be one run (different gate files, different shard counts, a shard twice)
 * and returns a warning for each shard that is missing.
 */
export function checkShards(runs: ReadonlyArray<{ref: string; evidence: RunEvidence}>): string[] {
  const [first] = runs
  if (!first)
    throw new UserError(
      'Nothing to merge: name the shard runs, e.g. `gate merge phase-2-20261123T174132Z phase-2-20261123T174135Z`.',
    )
  for (const {evidence, ref} of runs) {
    if (evidence.gate.sha256 !== first.evidence.gate.sha256) {
      throw new UserError(
        `Cannot merge runs of different gate files: ` +
          `${first.ref} ran ${first.evidence.gate.file} (sha256 ${first.evidence.gate.sha256.slice(0, 12)}…) ` +
          `but ${ref} ran ${evidence.gate.file} (sha256 ${evidence.gate.sha256.slice(0, 12)}…). ` +
          'Run every shard from the same gate file, unchanged.',
      )
    }
    if (evidence.shard.count !== first.evidence.shard.count) {
      throw new UserError(
        `Cannot merge ${first.ref} (${shardLabel(first.evidence.shard)}) ` +
          `with ${ref} (${shardLabel(evidence.shard)}): every shard must split the load the same number of ways.`,
      )
    }
  }

  const count = first.evidence.shard.count
  const byIndex = new Map<number, string>()
  for (const {evidence, ref} of runs) {
    const twice = byIndex.get(evidence.shard.index)
    if (twice !== undefined)
      throw new UserError(
        `${shardLabel(evidence.shard)} is given twice (${twice} and ${ref}): merge each shard exactly once.`,
      )
    byIndex.set(evidence.shard.index, ref)
  }

  const missing = Array.from({length: count}, (_, i) => i + 1).filter((index) => !byIndex.has(index))
  if (missing.length === 0) return []
  const labels = missing.map((index) => shardLabel({count, index})).join(', ')
  return [
    `${labels} ${missing.length === 1 ? 'is' : 'are'} missing: the merge ` +
      `covers ${count - missing.length} of ${count} shares of the load, so its counts and rates cover only those ` +
      `shares`,
  ]
}

function decideMerged(
  runs: readonly RunEvidence[],
  warnings: readonly string[],
  options: MergeOptions,
  mergeTarget: MergeTarget,
): MergedRun {
  const ordered = [...runs].sort((a, b) => a.shard.index - b.shard.index)
  const first = ordered[0]!
  const {settings} = first
  const merged: CollectedTarget[] = first.targets.map(({histograms, narrative, noise, skippedOnShard, ...target}) => ({
    ...target,
    collected: mergeTarget(
      ordered.flatMap((run) =>
        run.targets.filter(({id}) => id === target.id).map((found) => ({shard: run.shard, target: found})),
      ),
      settings.seed,
    ),
  }))
  const targets = merged.map((target): TargetInput => ({...target, expectations: parsed(target, first.run)}))
  const evaluation = evaluateGate(settings, targets)
  // A merged target is only as quiet as its noisiest runner.
  const noiseOf = (id: string) =>
    noisiest(
      ordered.flatMap((run) =>
        run.targets.flatMap((target) => (target.id === id && target.noise ? [target.noise] : [])),
      ),
    )
  const startedAt = new Date(Math.min(...ordered.map((run) => Date.parse(run.startedAt))))
  const finishedAt = new Date(Math.max(...ordered.map((run) => Date.parse(run.finishedAt))))
  const results = resultsEnvelope({
    id: runId(`${first.gate.name}-merged`, new Date()),
    toolVersion: options.toolVersion,
    gate: first.gate,
    startedAt,
    finishedAt,
    environment: describeEnvironment(options.cwd, options.env),
    settings,
    evaluation,
    noiseOf,
    narrativeOf: (id) => first.targets.find((t) => t.id === id)?.narrative,
    interrupted: ordered.some((run) => run.interrupted),
    warnings: [
      ...warnings,
      ...ordered.flatMap((run) => run.warnings.map((warning) => `${shardLabel(run.shard)}: ${warning}`)),
    ],
    merged: {runs: ordered.map((run) => ({id: run.run, shard: run.shard}))},
  })
  return {collected: merged, results}
}

/** The evidence file keeps expectations as written; one that no longer parses was edited by hand. */
function parsed(target: CollectedTarget, run: string): TargetInput['expectations'] {
  return target.expectations.map((text) => {
    try {
      return parseExpectation(text)
    } catch (error) {
      if (!(error instanceof ExpectationSyntaxError)) throw error
      throw new UserError(
        `Cannot merge: run ${run}'s evidence file has target ${target.id}'s expectation "${text}", which does not ` +
          `parse (${error.problem}); it was edited by hand: run the shard again.`,
        [],
        {cause: error},
      )
    }
  })
}
