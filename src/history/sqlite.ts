// The history's SQLite: Node's own (node:sqlite), with the two helpers better-sqlite3 had built in.
import type {DatabaseSync, SQLInputValue} from 'node:sqlite'

/** An open history. */
export type Database = DatabaseSync

/**
 * Named parameters as node:sqlite binds them: one left undefined is not bound, so it is NULL where the statement names
 * it, and no error where it does not (node:sqlite refuses to bind a name the statement lacks).
 */
export function named(values: Record<string, unknown>): Record<string, SQLInputValue> {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as Record<
    string,
    SQLInputValue
  >
}

/** A pragma's value (`user_version`, `application_id`). */
export function pragma(db: Database, name: string): unknown {
  return Object.values(db.prepare(`PRAGMA ${name}`).get() ?? {})[0]
}

/** Runs `change` in an immediate write transaction: all of it is committed, or none when it throws. */
export function immediate<T>(db: Database, change: (db: Database) => T): T {
  db.exec('BEGIN IMMEDIATE')
  try {
    const result = change(db)
    db.exec('COMMIT')
    return result
  } catch (error) {
    if (db.isTransaction) db.exec('ROLLBACK')
    throw error
  }
}
