// PostgreSQL through node-postgres: a control client for setup, checks and teardown, and one client (one
// server backend) per session. Each session's statements are named prepared statements, as an application's would be.
import type pg from 'pg'

import {
  describeDriverError,
  FAILURES_KEPT,
  type OpFailure,
  type Session,
  type Store,
  type Unit,
  type UnitResult,
} from './driver.js'
import type {Value} from './params.js'
import type {DriverStatement} from './sql.js'

export interface PostgresSettings {
  url: string
  /** The URL as notes may show it: the password replaced. */
  redactedUrl: string
  onConnect: string[]
  connectTimeoutMs: number
}

/** How long close waits for the server to say goodbye before the socket is destroyed. */
const CLOSE_GRACE_MS = 1000

type PgModule = typeof pg

export async function openPostgres(settings: PostgresSettings): Promise<Store> {
  const {default: driver} = await import('pg')
  let control: {client: pg.Client; ms: number}
  try {
    control = await connect(driver, settings)
  } catch (error) {
    throw new Error(`cannot connect to ${settings.redactedUrl}: ${describeDriverError(error)}`, {cause: error})
  }

  return new PostgresStore(driver, control.client, control.ms, settings)
}

/** A connected client with its per-connection set-up done; the time both took. */
async function connect(driver: PgModule, settings: PostgresSettings): Promise<{client: pg.Client; ms: number}> {
  const client = new driver.Client({
    application_name: 'phasegate',
    connectionString: settings.url,
    connectionTimeoutMillis: settings.connectTimeoutMs,
  })
  // A backend that dies while the client is idle emits 'error'; unheard, it would crash the CLI. The next query reports
  // it.
  client.on('error', () => {})
  const started = performance.now()
  try {
    await client.connect()
    for (const sql of settings.onConnect) await client.query(sql)
  } catch (error) {
    await end(client)
    throw error
  }

  return {client, ms: performance.now() - started}
}

class PostgresStore implements Store {
  readonly source: string
  private readonly sessions = new Set<PostgresSession>()
  private statementSet = 0
  private closed = false

  constructor(
    private readonly driver: PgModule,
    private readonly control: pg.Client,
    readonly connectMs: number,
    private readonly settings: PostgresSettings,
  ) {
    this.source = `postgres: ${settings.redactedUrl}`
  }

  async exec(sql: string): Promise<void> {
    await this.control.query(sql)
  }

  async firstValue(statement: DriverStatement, values: Value[]): Promise<{row: false} | {row: true; value: unknown}> {
    const result = await this.control.query({
      rowMode: 'array',
      text: statement.sql,
      values: statement.params.map((param) => values[param] ?? null),
    })
    if (result.fields.length === 0) throw new Error('a check must be a query that returns rows (SELECT …)')
    const row = result.rows[0] as unknown[] | undefined
    return row === undefined ? {row: false} : {row: true, value: row[0]}
  }

  async openSession(statements: DriverStatement[]): Promise<Session> {
    const {client, ms} = await connect(this.driver, this.settings)
    if (this.closed) {
      await end(client)
      throw new Error('the store is closed')
    }

    // Names unique per scenario: a new scenario's statements never reuse an old prepared plan.
    const session = new PostgresSession(client, ms, statements, `phasegate_${++this.statementSet}`, () =>
      this.sessions.delete(session),
    )
    this.sessions.add(session)
    return session
  }

  async closeSessions(): Promise<void> {
    this.closed = true
    // A closed socket does not stop a statement the server is running (pg_sleep, a lock wait): cancel them first.
    const pids = [...this.sessions].map((session) => session.pid).filter((pid) => pid > 0)
    if (pids.length > 0)
      await this.control.query('SELECT pg_cancel_backend(pid) FROM unnest($1::int[]) AS pid', [pids]).catch(() => {})
    await Promise.all([...this.sessions].map((session) => session.close()))
  }

  async close(): Promise<void> {
    await this.closeSessions()
    await end(this.control)
  }
}

class PostgresSession implements Session {
  private open = true
  /** The server backend's process id. */
  readonly pid: number
  constructor(
    private readonly client: pg.Client,
    readonly connectMs: number,
    private readonly statements: DriverStatement[],
    private readonly prefix: string,
    private readonly forget: () => void,
  ) {
    this.pid = Number((client as pg.Client & {processID?: unknown}).processID ?? 0)
  }

  async run(unit: Unit): Promise<UnitResult> {
    const result: UnitResult = {durationMs: 0, failed: 0, failures: [], opMs: []}
    const fail = (failure: Omit<OpFailure, 'message'>, error: unknown): void => {
      result.failed++
      if (result.failures.length < FAILURES_KEPT)
        result.failures.push({...failure, message: describeDriverError(error)})
    }

    const started = performance.now()
    if (unit.transaction) {
      try {
        await this.client.query('BEGIN')
      } catch (error) {
        fail({op: 0, statement: -1}, error)
        result.durationMs = performance.now() - started
        return result
      }
    }

    for (const [op, values] of unit.ops.entries()) {
      const opStarted = performance.now()
      const failedAt = await this.operation(values, (statement, error) => fail({op, statement}, error))
      if (failedAt === undefined) result.opMs.push(performance.now() - opStarted)
      else if (unit.transaction) break
    }

    if (unit.transaction) {
      if (result.failed > 0) {
        // The failure may be the connection itself; then there is nothing to roll back.
        await this.client.query('ROLLBACK').catch(() => {})
        result.opMs = []
      } else {
        try {
          await this.client.query('COMMIT')
        } catch (error) {
          fail({op: unit.ops.length - 1, statement: -1}, error)
          await this.client.query('ROLLBACK').catch(() => {})
          result.opMs = []
        }
      }
    }

    result.durationMs = performance.now() - started
    return result
  }

  async close(): Promise<void> {
    if (!this.open) return
    this.open = false
    this.forget()
    await end(this.client)
  }

  /** Runs one operation's statements in order; stops at the first error and returns its index. */
  private async operation(
    values: Value[],
    fail: (statement: number, error: unknown) => void,
  ): Promise<number | undefined> {
    for (const [index, statement] of this.statements.entries()) {
      try {
        await this.client.query({
          name: `${this.prefix}_${index}`,
          rowMode: 'array',
          text: statement.sql,
          values: statement.params.map((param) => values[param] ?? null),
        })
      } catch (error) {
        fail(index, error)
        return index
      }
    }

    return undefined
  }
}

/** Ends a client politely, and destroys its socket when the server does not answer in time; never throws. */
async function end(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const gaveUp = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      client.connection.stream.destroy()
      resolve()
    }, CLOSE_GRACE_MS)
  })
  try {
    await Promise.race([client.end().catch(() => {}), gaveUp])
  } finally {
    clearTimeout(timer)
  }
}
