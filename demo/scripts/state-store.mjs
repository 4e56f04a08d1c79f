#!/usr/bin/env node
// The demo's state store as one process: open the store, create 50 sessions, set and read 1000 keys,
// list sessions, close. gates/storage.yaml runs it with the `command` validator for its peak memory.
//   node demo/scripts/state-store.mjs [DB]   DB: empty for a temporary SQLite file, a SQLite path, or postgres://…
import {mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const SESSIONS = 50
const KEYS = 1000
const SCHEMA = [
  'CREATE TABLE IF NOT EXISTS kv_state (key TEXT PRIMARY KEY, value TEXT NOT NULL)',
  'CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, owner TEXT NOT NULL, state TEXT NOT NULL)',
]

const target = process.argv[2] ?? ''
const store = /^postgres(ql)?:\/\//.test(target) ? await postgresStore(target) : await sqliteStore(target)
try {
  for (const statement of SCHEMA) await store.run(statement, [])
  const run = `${process.pid}-${Date.now().toString(36)}`
  for (let i = 0; i < SESSIONS; i++)
    await store.run('INSERT INTO sessions (id, owner, state) VALUES ($1, $2, $3)', [
      `${run}-${i}`,
      `owner-${i % 5}`,
      'active',
    ])
  for (let i = 0; i < KEYS; i++)
    await store.run(
      'INSERT INTO kv_state (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
      [`${run}-${i}`, 'x'.repeat(64)],
    )
  let found = 0
  for (let i = 0; i < KEYS; i++)
    found += (await store.all('SELECT value FROM kv_state WHERE key = $1', [`${run}-${i}`])).length
  const listed = (await store.all('SELECT id FROM sessions WHERE id LIKE $1', [`${run}-%`])).length
  if (found !== KEYS || listed !== SESSIONS)
    throw new Error(`read back ${found}/${KEYS} keys and ${listed}/${SESSIONS} sessions`)
  // Clean up what this run wrote, so a persistent database does not grow run after run.
  await store.run('DELETE FROM kv_state WHERE key LIKE $1', [`${run}-%`])
  await store.run('DELETE FROM sessions WHERE id LIKE $1', [`${run}-%`])
  console.log(`state store ok: ${SESSIONS} sessions, ${KEYS} keys set and read back`)
} finally {
  await store.close()
}

async function sqliteStore(file) {
  const {default: Database} = await import('better-sqlite3')
  const temporary = file === '' ? mkdtempSync(path.join(os.tmpdir(), 'state-store-')) : undefined
  const db = new Database(temporary ? path.join(temporary, 'state.sqlite') : file.replace(/^sqlite:/, ''))
  db.pragma('journal_mode = WAL')
  // SQLite reads $1 as a named parameter "1": bind by those names.
  const named = (values) => Object.fromEntries(values.map((value, index) => [String(index + 1), value]))
  return {
    all: async (sql, values) => db.prepare(sql).all(named(values)),
    run: async (sql, values) => void db.prepare(sql).run(named(values)),
    close: async () => {
      db.close()
      if (temporary) rmSync(temporary, {force: true, recursive: true})
    },
  }
}

async function postgresStore(url) {
  const {default: pg} = await import('pg')
  const client = new pg.Client({connectionString: url})
  await client.connect()
  return {
    all: async (sql, values) => (await client.query(sql, values)).rows,
    run: async (sql, values) => void (await client.query(sql, values)),
    close: () => client.end(),
  }
}
