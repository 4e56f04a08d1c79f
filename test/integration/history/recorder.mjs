// A writer for the concurrency tests: records COUNT copies of a run into the project's history through
// the built dist/ and prints each id once committed. MODE "reopen" opens the history anew for each run, as
// `gate check` does (closing checkpoints the WAL); "keep" holds one connection, so the time goes into the writes.
// usage: node recorder.mjs <dist/history/index.js> <project dir> <fixture.json> <label> <count> <reopen|keep>
import {readFileSync} from 'node:fs'
import {pathToFileURL} from 'node:url'

const [historyModule, cwd, fixture, label, count, mode] = process.argv.slice(2)
const {openHistory} = await import(pathToFileURL(historyModule).href)
const {collected, results} = JSON.parse(readFileSync(fixture, 'utf8'))
let history = openHistory(cwd)
for (let i = 0; i < Number(count); i++) {
  const id = `${label}-${i}`
  if (mode === 'reopen' && i > 0) history = openHistory(cwd)
  history.record({...results, id, startedAt: new Date(Date.UTC(2026, 0, 1) + i * 1000).toISOString()}, collected)
  if (mode === 'reopen') history.close()
  process.stdout.write(`committed ${id}\n`)
}

if (mode !== 'reopen') history.close()
