// `gate list`: every gate in gates/, and for a broken one its first problem instead of a crash.
import path from 'node:path'

import {UserError} from '../errors.js'
import {gateFilesIn, gateName, loadGate} from './load.js'

export interface GateListing {
  name: string
  title: string
  /** Path relative to cwd, as it can be passed to `gate check`. */
  file: string
  targets: number
  /** The gate's first problem ("gates/x.yaml:3:5: unknown key ..."), when it does not load. */
  error?: string
}

/** The gates in `<cwd>/gates`, sorted by file name. */
export function listGates(cwd: string, env: NodeJS.ProcessEnv = process.env): GateListing[] {
  return gateFilesIn(path.join(cwd, 'gates')).map((file) => listing(file, cwd, env))
}

function listing(file: string, cwd: string, env: NodeJS.ProcessEnv): GateListing {
  const relative = path.relative(cwd, file)
  try {
    const gate = loadGate(file, {cwd, env})
    return {name: gate.name, title: gate.title, file: relative, targets: gate.targets.length}
  } catch (error) {
    const name = gateName(file)
    // Even a bug while loading one gate must not hide the others.
    return {
      name,
      title: name,
      file: relative,
      targets: 0,
      error: error instanceof UserError ? firstProblem(error) : String(error),
    }
  }
}

/** The first issue as describe() prints it, or the headline when there is none. */
function firstProblem(error: UserError): string {
  return error.describe().split('\n')[1]?.trim() ?? error.message
}
