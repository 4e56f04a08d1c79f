// A throw-away PostgreSQL server for integration tests: its own data directory in a temp dir, on a free
// port of 127.0.0.1 and a private socket directory, run as the `postgres` user when the tests run as root.
import {execFileSync, spawnSync} from 'node:child_process'
import {chownSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {freePort} from './process.js'
import {requireProgram} from './required.js'

const VERSIONS = ['17', '16', '15', '14', '13']

/** initdb, or undefined (locally) when PostgreSQL is not installed; pg_ctl is its sibling. */
export const INITDB = requireProgram(
  'PostgreSQL (initdb, pg_ctl, postgres)',
  'apt-get install postgresql',
  'initdb',
  ...VERSIONS.map((version) => `/usr/lib/postgresql/${version}/bin/initdb`),
  '/usr/pgsql/bin/initdb',
)

export interface PostgresServer {
  /** postgres://postgres@127.0.0.1:PORT/DATABASE, trust authentication. */
  url: string
  /** The same server with a password in the URL (trust ignores it), to see that messages redact it. */
  urlWithPassword: string
  port: number
  database: string
  /** Stops the server at once (pg_ctl stop -m immediate) and removes its directory; safe to call twice. */
  stop(): Promise<void>
}

/** Starts a new server with one database; a few seconds, mostly initdb. */
export async function startPostgres(database = 'phasegate'): Promise<PostgresServer> {
  if (!INITDB) throw new Error('PostgreSQL is not installed: guard the suite with describe.skipIf(!INITDB)')
  const bin = path.dirname(INITDB)
  const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-pg-'))
  const data = path.join(dir, 'data')
  const log = path.join(dir, 'server.log')
  const asOwner = ownerOf(dir)
  let started = false
  const stop = async (): Promise<void> => {
    if (started) {
      started = false
      const stopped = spawnSync(...asOwner(path.join(bin, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']), {
        encoding: 'utf8',
        timeout: 20_000,
      })
      // pg_ctl could not stop it: end the postmaster itself, which takes its children with it.
      if (stopped.status !== 0) killPostmaster(data)
    }

    rmSync(dir, {force: true, recursive: true})
  }

  try {
    run(
      'initdb',
      asOwner(path.join(bin, 'initdb'), [
        '-D',
        data,
        '-A',
        'trust',
        '-U',
        'postgres',
        '-E',
        'UTF8',
        '--no-sync',
        '--no-instructions',
      ]),
    )
    const port = await freePort()
    // No fsync: tests check behaviour, and a throw-away server need not survive a power cut (nor wait on a shared
    // disk).
    const settings =
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=120 -c fsync=off -c ` +
      `synchronous_commit=off -c full_page_writes=off`
    started = true
    run(
      'pg_ctl start',
      asOwner(path.join(bin, 'pg_ctl'), ['-D', data, '-l', log, '-o', settings, '-w', '-t', '30', 'start']),
      () => readLog(log),
    )
    const url = `postgres://postgres@127.0.0.1:${port}/${database}`
    await createDatabase(`postgres://postgres@127.0.0.1:${port}/postgres`, database)
    return {database, port, stop, url, urlWithPassword: `postgres://postgres:s3cret-pw@127.0.0.1:${port}/${database}`}
  } catch (error) {
    await stop()
    throw error
  }
}

/** As root the server runs as `postgres` (it refuses root) from a directory that user owns; otherwise as ourselves. */
function ownerOf(dir: string): (program: string, args: string[]) => [string, string[]] {
  if (process.getuid?.() !== 0) return (program, args) => [program, args]
  const uid = Number(execFileSync('id', ['-u', 'postgres'], {encoding: 'utf8'}).trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres'], {encoding: 'utf8'}).trim())
  chownSync(dir, uid, gid)
  return (program, args) => ['runuser', ['-u', 'postgres', '--', program, ...args]]
}

function run(what: string, [program, args]: [string, string[]], details: () => string = () => ''): void {
  const result = spawnSync(program, args, {encoding: 'utf8', timeout: 60_000})
  if (result.status !== 0)
    throw new Error(`${what} failed (${result.status ?? result.signal}): ${result.stderr || result.stdout}${details()}`)
}

function readLog(log: string): string {
  try {
    return `\nserver log:\n${readFileSync(log, 'utf8')}`
  } catch {
    return ''
  }
}

function killPostmaster(data: string): void {
  try {
    const pid = Number(readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0])
    if (pid > 0) process.kill(pid, 'SIGKILL')
  } catch {
    // No pid file or no such process: nothing is left running.
  }
}

async function createDatabase(adminUrl: string, database: string): Promise<void> {
  const {default: pg} = await import('pg')
  const client = new pg.Client({connectionString: adminUrl})
  await client.connect()
  try {
    await client.query(`CREATE DATABASE "${database}"`)
  } finally {
    await client.end()
  }
}
