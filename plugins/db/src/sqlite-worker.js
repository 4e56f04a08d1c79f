// @ts-check
// One SQLite session on its own thread: better-sqlite3 is synchronous, so connections on one thread
// would only take turns; on threads they really overlap, as an application's threads would.
// Plain JavaScript so Node loads it as is, from src/ in tests and from dist/ when installed.
import {parentPort} from 'node:worker_threads'

import Database from 'better-sqlite3'

/** @typedef {import('./driver.js').Unit} Unit */
/** @typedef {import('./driver.js').UnitResult} UnitResult */
/** @typedef {import('./sql.js').DriverStatement} DriverStatement */
/** @typedef {import('./sqlite.js').WorkerRequest} WorkerRequest */
/** @typedef {import('./sqlite.js').WorkerReply} WorkerReply */

/** @type {import('better-sqlite3').Database | undefined} */
let db
/** @type {DriverStatement[]} */
let statements = []
let failuresKept = 0
/** Prepared lazily, so a statement that cannot be prepared fails each operation like any other driver error. */
/** @type {Map<number, import('better-sqlite3').Statement>} */
let prepared = new Map()

if (!parentPort) throw new Error('sqlite-worker.js runs as a worker thread')
const port = parentPort

// better-sqlite3 loads its native module at the first connection: done here, so connect_latency is the connection's own
// time.
new Database(':memory:').close()
port.on('message', (/** @type {WorkerRequest} */ request) => {
  port.postMessage(handle(request))
})
port.postMessage(/** @type {WorkerReply} */ ({kind: 'ready'}))

/** @param {WorkerRequest} request @returns {WorkerReply} */
function handle(request) {
  try {
    switch (request.kind) {
      case 'open': {
        closeDb()
        const started = performance.now()
        db = new Database(request.file, {fileMustExist: true, timeout: request.busyTimeoutMs})
        for (const sql of request.onConnect) db.exec(sql)
        const ms = performance.now() - started
        statements = request.statements
        failuresKept = request.failuresKept
        prepared = new Map()
        return {kind: 'opened', ms}
      }

      case 'run':
        return {kind: 'result', result: runUnit(request.unit)}
      case 'close':
        closeDb()
        return {kind: 'closed'}
    }
  } catch (error) {
    return {kind: 'error', message: describe(error)}
  }
}

function closeDb() {
  if (db?.open) db.close()
  db = undefined
}

/** @param {Unit} unit @returns {UnitResult} */
function runUnit(unit) {
  if (!db) throw new Error('the session is not open')
  const connection = db
  /** @type {UnitResult} */
  const result = {durationMs: 0, failed: 0, failures: [], opMs: []}
  /** @param {number} op @param {number} statement @param {unknown} error */
  const fail = (op, statement, error) => {
    result.failed++
    if (result.failures.length < failuresKept) result.failures.push({message: describe(error), op, statement})
  }

  const started = performance.now()
  if (unit.transaction) {
    try {
      // IMMEDIATE takes the write lock up front, where busy_timeout can wait for it; a deferred
      // transaction that later needs it fails at once with SQLITE_BUSY instead.
      connection.exec('BEGIN IMMEDIATE')
    } catch (error) {
      fail(0, -1, error)
      result.durationMs = performance.now() - started
      return result
    }
  }

  for (const [op, values] of unit.ops.entries()) {
    const opStarted = performance.now()
    const failedAt = runOperation(connection, values, (statement, error) => fail(op, statement, error))
    if (failedAt === undefined) result.opMs.push(performance.now() - opStarted)
    else if (unit.transaction) break
  }

  if (unit.transaction) {
    if (result.failed > 0) {
      if (connection.inTransaction) connection.exec('ROLLBACK')
      result.opMs = []
    } else {
      try {
        connection.exec('COMMIT')
      } catch (error) {
        fail(unit.ops.length - 1, -1, error)
        if (connection.inTransaction) connection.exec('ROLLBACK')
        result.opMs = []
      }
    }
  }

  result.durationMs = performance.now() - started
  return result
}

/**
 * Runs one operation's statements in order; stops at the first error.
 * @param {import('better-sqlite3').Database} connection
 * @param {import('./params.js').Value[]} values
 * @param {(statement: number, error: unknown) => void} fail
 * @returns {number | undefined} the statement that failed
 */
function runOperation(connection, values, fail) {
  for (const [index, statement] of statements.entries()) {
    try {
      let stmt = prepared.get(index)
      if (!stmt) {
        stmt = connection.prepare(statement.sql)
        prepared.set(index, stmt)
      }

      const bound = statement.params.map((param) => bindable(values[param]))
      // Rows are read in full, as an application would.
      if (stmt.reader) stmt.raw().all(...bound)
      else stmt.run(...bound)
    } catch (error) {
      fail(index, error)
      return index
    }
  }

  return undefined
}

/** @param {import('./params.js').Value | undefined} value */
function bindable(value) {
  if (typeof value === 'boolean') return value ? 1 : 0
  return value ?? null
}

/** @param {unknown} error */
function describe(error) {
  if (!(error instanceof Error)) return String(error)
  const code = /** @type {{code?: unknown}} */ (error).code
  const message = error.message.trim() || error.name
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message
}
