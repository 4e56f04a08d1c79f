// What the scenario runner needs from a database, whichever driver it is. The SQLite worker
// (sqlite-worker.js) speaks the same Unit/UnitResult through messages.
import type {Value} from './params.js'
import type {DriverStatement} from './sql.js'

/** One timed piece of work on a session: one operation, or a batch of them; in one transaction or not. */
export interface Unit {
  /** The values of each operation, indexed as $1, $2, … are. */
  ops: Value[][]
  /** BEGIN before the first operation and COMMIT after the last; any failure rolls everything back. */
  transaction: boolean
}

/**
 * A driver error while running a unit: which operation of the unit and which statement (0-based; -1 = BEGIN/COMMIT).
 */
export interface OpFailure {
  op: number
  statement: number
  message: string
}

/** Failures kept word for word per unit; the rest are only counted. */
export const FAILURES_KEPT = 3

export interface UnitResult {
  /** Time of each operation that succeeded and stayed committed, in ms; empty when a transaction rolled back. */
  opMs: number[]
  /** The whole unit, BEGIN to COMMIT included, in ms. */
  durationMs: number
  /** Driver errors in this unit. */
  failed: number
  /** The first few of them. */
  failures: OpFailure[]
}

/** One connection running one scenario's statements. */
export interface Session {
  /** Opening the connection and its per-connection set-up (on_connect), in ms. */
  readonly connectMs: number
  run(unit: Unit): Promise<UnitResult>
  /** Closes the connection; never throws. */
  close(): Promise<void>
}

/** A database the validator measures: a control connection for setup, checks and teardown, and sessions. */
export interface Store {
  /** Where the evidence comes from, with any password redacted. */
  readonly source: string
  /** The control connection's connect time, in ms. */
  readonly connectMs: number
  /** SQL without parameters (setup, teardown); it may hold several statements. */
  exec(sql: string): Promise<void>
  /** The first column of the first row, or `{row: false}` when the query returns none. */
  firstValue(statement: DriverStatement, values: Value[]): Promise<{row: false} | {row: true; value: unknown}>
  /**
   * Makes room for `sessions` sessions before they connect (SQLite: their threads started), so connecting is timed
   * alone.
   */
  reserve?(sessions: number): Promise<void>
  /** A new connection ready to run `statements`; throws when it cannot connect. */
  openSession(statements: DriverStatement[]): Promise<Session>
  /** Ends every session at once, mid-statement if need be (on abort); the control connection stays for teardown. */
  closeSessions(): Promise<void>
  /** Ends every connection and thread and removes what the store created; never throws. */
  close(): Promise<void>
}

/** A driver error as notes show it: SQLITE_ERROR: no such table: x / ERROR 42P01: relation "x" does not exist. */
export function describeDriverError(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const {code, severity} = error as Error & {code?: unknown; severity?: unknown}
  const message = error.message.trim() || error.name
  if (typeof code !== 'string' || message.includes(code)) return message
  return typeof severity === 'string' ? `${severity} ${code}: ${message}` : `${code}: ${message}`
}
