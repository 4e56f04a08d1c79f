import {
  existsSync,
  linkSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import path from 'node:path'

import {UserError} from '../errors.js'
import {type CollectedTarget, EVIDENCE_VERSION, type RunEvidence, type RunResults} from './types.js'
import {parseResults} from './validate.js'

export const STATE_DIR = '.gate'

/** "phase-2-20261123T174132Z": sortable, filesystem-safe, unique per second (a suffix breaks ties). */
export function runId(gate: string, startedAt: Date): string {
  const stamp = startedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')
  return `${gate}-${stamp}`
}

/** Writes a file so that readers see the old content or the new, never half of either. */
export function writeFileAtomic(file: string, content: string): void {
  const temp = writeTemp(file, content)
  try {
    renameSync(temp, file)
  } catch (error) {
    rmSync(temp, {force: true})
    throw error
  }
}

/**
 * `mkdir -p` one level at a time: Node's recursive mkdirSync spins forever where mkdir says ENOENT of a parent that
 * exists (/proc).
 */
export function makeDirectory(dir: string): void {
  if (statSync(dir, {throwIfNoEntry: false})?.isDirectory()) return
  const parent = path.dirname(dir)
  if (parent !== dir) makeDirectory(parent)
  try {
    mkdirSync(dir)
  } catch (error) {
    // Another process may have made it meanwhile; anything else there is the caller's problem to name.
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(dir).isDirectory()) throw error
  }
}

let temps = 0

/** A complete copy of `content` beside `file`, under a name no other process picks (nor this one twice). */
function writeTemp(file: string, content: string): string {
  makeDirectory(path.dirname(file))
  const temp = `${file}.${process.pid}.${++temps}.tmp`
  try {
    writeFileSync(temp, content)
  } catch (error) {
    rmSync(temp, {force: true})
    throw error
  }
  return temp
}

/**
 * Saves a run under .gate/runs/ and as .gate/latest.json; two runs in the same second, even in two processes at once,
 * get distinct names: <id>.json, <id>-2.json … The run is saved with the id of its name (and returned so): JSON output,
 * the history and `gate report ID` then name the same run.
 */
export function saveResults(results: RunResults, cwd: string): {file: string; results: RunResults} {
  const runsDir = path.join(cwd, STATE_DIR, 'runs')
  for (let n = 1; ; n++) {
    const id = n === 1 ? results.id : `${results.id}-${n}`
    const file = path.join(runsDir, `${id}.json`)
    if (existsSync(file)) continue
    const saved = {...results, id}
    const content = `${JSON.stringify(saved, null, 2)}\n`
    const temp = writeTemp(file, content)
    try {
      // link() fails if the name exists, so a run never replaces another's file, whoever checked first.
      linkSync(temp, file)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw error
    } finally {
      rmSync(temp, {force: true})
    }
    writeFileAtomic(path.join(cwd, STATE_DIR, 'latest.json'), content)
    return {file, results: saved}
  }
}

/** Finds a saved run by path, by run id, or the latest one; a missing or corrupted file is a clear user error. */
export function loadResults(ref: string | undefined, cwd: string): {file: string; results: RunResults} {
  const file = resolveRun(ref, cwd)
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new UserError(`${path.relative(cwd, file)} cannot be read: ${(error as Error).message}`)
  }
  return {file, results: parseResults(text, path.relative(cwd, file))}
}

const EVIDENCE_SUFFIX = '.evidence.json'

/** The evidence file beside a results file: .gate/runs/<id>.evidence.json next to .gate/runs/<id>.json. */
export function evidenceFileFor(resultsFile: string): string {
  return resultsFile.replace(/\.json$/, EVIDENCE_SUFFIX)
}

/**
 * Saves a run's evidence beside its results, compact (it is for machines), written atomically; `targets` come redacted
 * from runCheck.
 */
export function saveEvidence(results: RunResults, targets: readonly CollectedTarget[], resultsFile: string): string {
  const file = evidenceFileFor(resultsFile)
  const evidence: RunEvidence = {
    finishedAt: results.finishedAt,
    gate: results.gate,
    interrupted: results.interrupted,
    run: results.id,
    settings: results.settings,
    shard: results.shard ?? {count: 1, index: 1},
    startedAt: results.startedAt,
    targets: [...targets],
    version: EVIDENCE_VERSION,
    warnings: results.warnings,
  }
  writeFileAtomic(file, `${JSON.stringify(evidence)}\n`)
  return file
}

/**
 * Finds a run's evidence by run id, results or evidence file, or "latest"; a missing, foreign or newer file is a clear
 * user error.
 */
export function loadEvidence(ref: string, cwd: string): {file: string; evidence: RunEvidence} {
  const found = resolveRun(ref, cwd)
  const file = found.endsWith(EVIDENCE_SUFFIX)
    ? found
    : evidenceFileFor(found === path.join(cwd, STATE_DIR, 'latest.json') ? latestRunFile(found, cwd) : found)
  const shown = path.relative(cwd, file) || file
  if (!existsSync(file))
    throw new UserError(
      `${shown} does not exist: run "${ref}" kept no evidence to merge; only \`gate check GATE --shard i/n\` saves it.`,
    )
  let evidence: RunEvidence
  try {
    evidence = JSON.parse(readFileSync(file, 'utf8')) as RunEvidence
  } catch (error) {
    throw new UserError(`${shown} cannot be read as JSON: ${(error as Error).message}`)
  }
  if (
    evidence?.version !== EVIDENCE_VERSION ||
    !Array.isArray(evidence.targets) ||
    typeof evidence.gate?.sha256 !== 'string'
  ) {
    throw new UserError(`${shown} is not a phasegate evidence file of version ${EVIDENCE_VERSION}.`)
  }
  return {evidence, file}
}

/**
 * .gate/latest.json is a copy: its run's own file under .gate/runs/ is found by its id, which must be a plain file name
 * there.
 */
function latestRunFile(latest: string, cwd: string): string {
  const shown = path.relative(cwd, latest)
  let id: unknown
  try {
    id = (JSON.parse(readFileSync(latest, 'utf8')) as {id?: unknown} | null)?.id
  } catch (error) {
    throw new UserError(
      `${shown} cannot be read as JSON (${(error as Error).message}): name the run by its id or file instead of ` +
        `"latest".`,
    )
  }
  if (typeof id !== 'string' || id === '' || id.startsWith('.') || path.basename(id) !== id || id.includes('\\')) {
    const named = JSON.stringify(id) ?? 'missing'
    throw new UserError(
      `${shown} names no run in ${path.join(STATE_DIR, 'runs')} (its id is ${named}): name the run by its id or ` +
        `file instead of "latest".`,
    )
  }
  return path.join(cwd, STATE_DIR, 'runs', `${id}.json`)
}

function resolveRun(ref: string | undefined, cwd: string): string {
  const runsDir = path.join(cwd, STATE_DIR, 'runs')
  if (ref === undefined || ref === 'latest') {
    const latest = path.join(cwd, STATE_DIR, 'latest.json')
    if (!existsSync(latest))
      throw new UserError(`No saved run in ${path.join(STATE_DIR, 'latest.json')}: run \`gate check GATE\` first.`)
    return latest
  }
  const candidates = [path.resolve(cwd, ref), path.join(runsDir, ref), path.join(runsDir, `${ref}.json`)]
  const found = candidates.find((candidate) => existsSync(candidate) && !candidate.endsWith(path.sep))
  if (found) return found
  const known = existsSync(runsDir)
    ? readdirSync(runsDir)
        .filter((f) => f.endsWith('.json') && !f.endsWith(EVIDENCE_SUFFIX))
        .sort()
        .slice(-5)
    : []
  const hint =
    known.length > 0
      ? ` Recent runs: ${known.map((f) => f.replace(/\.json$/, '')).join(', ')}.`
      : ' Run `gate check GATE` first.'
  throw new UserError(`No saved run "${ref}".${hint}`)
}
