// One annotation per target that did not pass, pointing at the target in the gate file, so the run's
// summary page and the pull request's "Files changed" show what missed where it is configured.
import path from 'node:path'

import {GateSource} from '../config/source.js'
import {sha256Hex} from '../hash.js'
import {plainLine} from '../report/escape.js'
import {buildReportView} from '../report/view-model.js'
import type {RunResults} from '../results/types.js'
import {annotation, type AnnotationLevel} from './workflow-commands.js'

export interface AnnotationOptions {
  /** Where the check ran: results.gate.file is relative to it. */
  cwd: string
  /** GITHUB_WORKSPACE: annotation paths are relative to the repository root. */
  workspace?: string
}

/**
 * `::error` for FAIL and NO_DATA targets (`::warning` when the target is warn-level), `::warning` for
 * INCONCLUSIVE ones; PASS gives none. Each names the gate file and the line where the target starts.
 */
export function targetAnnotations(results: RunResults, options: AnnotationOptions): string[] {
  const view = buildReportView(results)
  const where = targetLocations(results, options)
  return results.targets.flatMap((target, index) => {
    if (target.status === 'PASS') return []
    const level: AnnotationLevel = target.status === 'INCONCLUSIVE' || target.level === 'warn' ? 'warning' : 'error'
    const t = view.targets[index]!
    const required = target.required ? ', required' : ''
    const message = `${t.title}: ${target.status}, ${t.headline} (confidence ${t.confidence}${required})`
    return [
      annotation(level, plainLine(message), {
        file: where?.file,
        line: where?.lines.get(target.id),
        title: plainLine(`phasegate ${view.gate.name}: ${t.id} ${target.status}`),
      }),
    ]
  })
}

/**
 * The gate file as the workspace names it and the first line of each target; lines only when the file is the one that
 * ran.
 */
function targetLocations(
  results: RunResults,
  options: AnnotationOptions,
): {file: string; lines: Map<string, number>} | undefined {
  const absolute = path.resolve(options.cwd, results.gate.file)
  const relative = path.relative(options.workspace || options.cwd, absolute)
  const file = (relative.startsWith('..') || path.isAbsolute(relative) ? absolute : relative).split(path.sep).join('/')
  const lines = new Map<string, number>()
  try {
    const source = GateSource.read(absolute, options.cwd)
    // An edited file would put the annotations on the wrong lines.
    if (sha256Hex(source.bytes) !== results.gate.sha256) return {file, lines}
    const targets = Array.isArray(source.data.targets) ? (source.data.targets as unknown[]) : []
    for (const [index, target] of targets.entries()) {
      const id = (target as {id?: unknown} | null)?.id
      if (typeof id === 'string' && !lines.has(id)) lines.set(id, source.locate(['targets', index]).line)
    }
  } catch {
    // The file is gone or unreadable: annotations still name it, without lines.
  }
  return {file, lines}
}
