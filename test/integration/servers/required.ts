// One policy for integration tests that need a program from outside npm (redis-server, postgres, prometheus, chromium):
// with CI=true a missing program fails the suite; locally the suite is skipped and says so loudly.
import {accessSync, constants} from 'node:fs'
import path from 'node:path'

export const ON_CI = process.env.CI === 'true' || process.env.CI === '1'

/** The first of `candidates` (names looked up in PATH, or absolute paths) that is executable, or undefined. */
export function findProgram(...candidates: string[]): string | undefined {
  const dirs = (process.env.PATH ?? '').split(path.delimiter).filter(Boolean)
  for (const candidate of candidates) {
    const paths = path.isAbsolute(candidate) ? [candidate] : dirs.map((dir) => path.join(dir, candidate))
    for (const file of paths) {
      try {
        accessSync(file, constants.X_OK)
        return file
      } catch {
        // Not here; try the next place.
      }
    }
  }

  return undefined
}

/**
 * Finds a program a suite needs. Missing on CI: throws, so the suite fails instead of skipping.
 * Missing locally: warns on stderr and returns undefined; use it with `describe.skipIf(!program)`.
 */
export function requireProgram(what: string, installHint: string, ...candidates: string[]): string | undefined {
  const found = findProgram(...candidates)
  if (found) return found
  const message = `${what} not found (looked for ${candidates.join(', ')}); install it with: ${installHint}`
  if (ON_CI) throw new Error(`CI=true and ${message}`)
  process.stderr.write(`\n!!! SKIPPING: ${message} !!!\n\n`)
  return undefined
}
