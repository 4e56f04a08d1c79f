// SQLite through better-sqlite3: a control connection on the main thread (setup, checks, teardown) and
// each session on its own worker thread (sqlite-worker.js), all on one file in WAL mode.
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {Worker} from 'node:worker_threads'

import type BetterSqlite3 from 'better-sqlite3'

import {describeDriverError, FAILURES_KEPT, type Session, type Store, type Unit, type UnitResult} from './driver.js'
import type {Value} from './params.js'
import type {DriverStatement} from './sql.js'

/** What the main thread asks a session's worker. */
export type WorkerRequest =
  | {kind: 'close'}
  | {
      kind: 'open'
      busyTimeoutMs: number
      failuresKept: number
      file: string
      onConnect: string[]
      statements: DriverStatement[]
    }
  | {kind: 'run'; unit: Unit}

export type WorkerReply =
  | {kind: 'ready'}
  | {kind: 'closed'}
  | {kind: 'error'; message: string}
  | {kind: 'opened'; ms: number}
  | {kind: 'result'; result: UnitResult}

export interface SqliteSettings {
  /** Absolute path of the database file; undefined: a temporary file, removed at close. */
  file: string | undefined
  busyTimeoutMs: number
  onConnect: string[]
}

const WORKER_URL = new URL('sqlite-worker.js', import.meta.url)

export async function openSqlite(settings: SqliteSettings): Promise<Store> {
  const {default: Database} = await import('better-sqlite3')
  const temporary = settings.file === undefined ? mkdtempSync(path.join(os.tmpdir(), 'phasegate-db-')) : undefined
  const file = settings.file ?? path.join(temporary!, 'store.sqlite')
  let control: BetterSqlite3.Database
  let connectMs: number
  try {
    // Loads the native module, so the control connection's time is the connection's own (as in each session's thread).
    new Database(':memory:').close()
    const started = performance.now()
    control = new Database(file, {timeout: settings.busyTimeoutMs})
    for (const sql of settings.onConnect) control.exec(sql)
    connectMs = performance.now() - started
    // Kept in the file: every later connection, each session's too, is in WAL mode, where readers and a writer do not
    // block each other.
    control.pragma('journal_mode = WAL')
  } catch (error) {
    if (temporary) rmSync(temporary, {force: true, recursive: true})
    throw new Error(`cannot open SQLite database ${file}: ${describeDriverError(error)}`, {cause: error})
  }

  return new SqliteStore(control, file, temporary, connectMs, settings)
}

class SqliteStore implements Store {
  readonly source: string
  private readonly idle: SessionThread[] = []
  private readonly threads = new Set<SessionThread>()
  private closed = false

  constructor(
    private readonly control: BetterSqlite3.Database,
    private readonly file: string,
    private readonly temporary: string | undefined,
    readonly connectMs: number,
    private readonly settings: SqliteSettings,
  ) {
    this.source = temporary ? 'sqlite: a temporary database file, removed after the run' : `sqlite: ${file}`
  }

  async exec(sql: string): Promise<void> {
    this.control.exec(sql)
  }

  async firstValue(statement: DriverStatement, values: Value[]): Promise<{row: false} | {row: true; value: unknown}> {
    const prepared = this.control.prepare(statement.sql)
    if (!prepared.reader) throw new Error('a check must be a query that returns rows (SELECT …)')
    const row = prepared.raw().get(...statement.params.map((param) => bindable(values[param]))) as unknown[] | undefined
    return row === undefined ? {row: false} : {row: true, value: row[0]}
  }

  /**
   * Starts threads until `sessions` wait idle, and waits until each is ready: thread start-up is not connection time.
   */
  async reserve(sessions: number): Promise<void> {
    while (!this.closed && this.idle.length < sessions) this.idle.push(this.spawn())
    await Promise.all(this.idle.map((thread) => thread.ready))
  }

  async openSession(statements: DriverStatement[]): Promise<Session> {
    if (this.closed) throw new Error('the store is closed')
    const thread = this.idle.pop() ?? this.spawn()
    const reply = await thread.call({
      busyTimeoutMs: this.settings.busyTimeoutMs,
      failuresKept: FAILURES_KEPT,
      file: this.file,
      kind: 'open',
      onConnect: this.settings.onConnect,
      statements,
    })
    if (reply.kind !== 'opened') {
      this.release(thread)
      throw new Error(reply.kind === 'error' ? reply.message : `unexpected reply ${reply.kind}`)
    }

    return new SqliteSession(thread, reply.ms, () => this.release(thread))
  }

  async closeSessions(): Promise<void> {
    this.closed = true
    await Promise.all([...this.threads].map((thread) => thread.terminate()))
    this.threads.clear()
    this.idle.length = 0
  }

  async close(): Promise<void> {
    await this.closeSessions()
    try {
      if (this.control.open) this.control.close()
    } finally {
      if (this.temporary) rmSync(this.temporary, {force: true, recursive: true})
    }
  }

  private spawn(): SessionThread {
    const thread = new SessionThread()
    this.threads.add(thread)
    return thread
  }

  /** A thread whose session closed waits for the next scenario; a broken one is ended. */
  private release(thread: SessionThread): void {
    if (this.closed) return
    if (thread.broken) {
      this.threads.delete(thread)
      void thread.terminate()
    } else {
      this.idle.push(thread)
    }
  }
}

class SqliteSession implements Session {
  private open = true
  constructor(
    private readonly thread: SessionThread,
    readonly connectMs: number,
    private readonly release: () => void,
  ) {}

  async run(unit: Unit): Promise<UnitResult> {
    const reply = await this.thread.call({kind: 'run', unit})
    if (reply.kind === 'result') return reply.result
    throw new Error(reply.kind === 'error' ? reply.message : `unexpected reply ${reply.kind}`)
  }

  async close(): Promise<void> {
    if (!this.open) return
    this.open = false
    if (!this.thread.broken) await this.thread.call({kind: 'close'}).catch(() => {})
    this.release()
  }
}

/** A worker thread that answers one request at a time. */
class SessionThread {
  broken = false
  /** Settles when the thread has loaded the driver (or failed to). */
  readonly ready: Promise<void>
  private readonly worker: Worker
  private pending: undefined | {reject(error: Error): void; resolve(reply: WorkerReply): void}

  constructor() {
    this.worker = new Worker(WORKER_URL)
    let started!: () => void
    this.ready = new Promise((resolve) => (started = resolve))
    this.worker.on('message', (reply: WorkerReply) =>
      reply.kind === 'ready' ? started() : this.settle((pending) => pending.resolve(reply)),
    )
    this.worker.on('error', (error) => this.fail(new Error(`the session's worker thread failed: ${error.message}`)))
    this.worker.on('exit', (code) => {
      this.fail(new Error(`the session's worker thread ended (exit code ${code})`))
      started()
    })
  }

  async call(request: WorkerRequest): Promise<WorkerReply> {
    await this.ready
    if (this.broken) throw new Error("the session's worker thread has ended")
    if (this.pending) throw new Error('a session runs one request at a time')
    return new Promise((resolve, reject) => {
      this.pending = {reject, resolve}
      this.worker.postMessage(request)
    })
  }

  async terminate(): Promise<void> {
    this.broken = true
    await this.worker.terminate()
    this.fail(new Error('the session was closed'))
  }

  private fail(error: Error): void {
    this.broken = true
    this.settle((pending) => pending.reject(error))
  }

  private settle(action: (pending: NonNullable<SessionThread['pending']>) => void): void {
    const {pending} = this
    this.pending = undefined
    if (pending) action(pending)
  }
}

function bindable(value: Value | undefined): null | number | string {
  if (typeof value === 'boolean') return value ? 1 : 0
  return value ?? null
}
