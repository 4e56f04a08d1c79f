// Opening .gate/history.db: a file that is not ours, is damaged or was written by a newer phasegate is refused
// with its name and what to do, before anything is written to it.
import {existsSync, statSync} from 'node:fs'
import path from 'node:path'

import {UserError} from '../errors.js'
import {nodeSqlite} from '../lazy.js'
import {makeDirectory, STATE_DIR} from '../results/store.js'
import {APPLICATION_ID, SCHEMA_VERSION, migrate, schemaVersion} from './schema.js'
import {type Database, pragma} from './sqlite.js'

export const HISTORY_FILE = 'history.db'

/** How long a writer waits for another process's transaction before giving up (SQLITE_BUSY). */
export const BUSY_TIMEOUT_MS = 5000
const SQLITE_BUSY = 5
const SQLITE_CORRUPT = 11
const SQLITE_NOTADB = 26

/** .gate/history.db under the project directory, next to .gate/runs/. */
export function historyFile(cwd: string): string {
  return path.join(cwd, STATE_DIR, HISTORY_FILE)
}

/** The file as messages name it: relative to the project when inside it. */
export function shownPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, file)
  return relative && !relative.startsWith('..') ? relative : file
}

/**
 * Opens (creating when asked and missing) and migrates the history; null when it does not exist and `create` is false.
 */
export function openDatabase(file: string, shown: string, create: boolean): Database | null {
  if (existsSync(file) && !statSync(file).isFile()) {
    const aside = `move it aside (e.g. mv ${shown} ${shown}.other) and the next run starts a new history`
    throw new UserError(`${shown} is not a file: ${aside}; the results files in ${STATE_DIR}/runs/ are not affected.`)
  }
  if (!existsSync(file)) {
    if (!create) return null
    makeDirectory(path.dirname(file))
  }

  let db: Database | undefined
  try {
    // Foreign keys are on by default here (better-sqlite3's were set by pragma).
    db = new (nodeSqlite().DatabaseSync)(file, {timeout: BUSY_TIMEOUT_MS})
    // Read-only checks first: a foreign, damaged or newer file is refused before anything is written to it.
    checkIdentity(db, shown)
    db.exec('PRAGMA journal_mode = WAL')
    // In WAL mode NORMAL stays consistent and skips a sync per commit; a power cut may lose the last run's row, which
    // its results file in .gate/runs/ still holds.
    db.exec('PRAGMA synchronous = NORMAL')
    db.exec('PRAGMA foreign_keys = ON')
    if (schemaVersion(db) < SCHEMA_VERSION) migrate(db)
    return db
  } catch (error) {
    db?.close()
    throw historyError(error, shown)
  }
}

function checkIdentity(db: Database, shown: string): void {
  const version = schemaVersion(db)
  if (version > SCHEMA_VERSION) {
    throw new UserError(
      `${shown} was written by a newer phasegate (history schema v${version}; this one reads up to ` +
        `v${SCHEMA_VERSION}): upgrade phasegate to read it. The file was not changed.`,
    )
  }

  const applicationId = pragma(db, 'application_id') as number
  const tables = (db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as {n: number}).n
  if (applicationId !== APPLICATION_ID && (applicationId !== 0 || version !== 0 || tables > 0)) {
    throw new UserError(
      `${shown} is an SQLite database but not a phasegate history: move it aside (e.g. ` +
        `mv ${shown} ${shown}.other); the next run starts a new history. The file was not changed.`,
    )
  }
}

/**
 * SQLite's "not a database", "malformed" and "locked" errors as a user error naming the file; anything else as it is.
 */
export function historyError(error: unknown, shown: string): unknown {
  if (error instanceof UserError) return error
  // SQLite's primary result code (node:sqlite gives the extended one).
  const code =
    typeof (error as {errcode?: unknown}).errcode === 'number' ? (error as {errcode: number}).errcode & 0xff : 0
  if (code === SQLITE_NOTADB || code === SQLITE_CORRUPT) {
    return new UserError(
      `${shown} is damaged or not a database (${(error as Error).message}): move it aside (e.g. ` +
        `mv ${shown} ${shown}.broken) and the next run starts a new history; the results files ` +
        `in ${STATE_DIR}/runs/ are not affected.`,
    )
  }

  if (code === SQLITE_BUSY)
    return new UserError(
      `${shown} stayed locked by another process for over ${BUSY_TIMEOUT_MS / 1000} s: try again when it is done.`,
    )
  return error
}
