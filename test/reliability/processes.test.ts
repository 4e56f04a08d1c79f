// Processes a gate starts that try to outlive it, and signals other than Ctrl-C, through the real CLI: whatever a
// service or a command starts is stopped with it, even once it has left the process group and its parent, and the
// CLI exits once the results are out.
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'

import {alive, makeProject, ROOT, runGate, waitFor} from '../integration/helpers.js'

const SERVERS = path.join(ROOT, 'test/fixtures/servers')
const projects: Array<{dir: string; cleanup(): void}> = []
const PID_FILES = ['service-setsid.pid', 'service-fork.pid', 'command-setsid.pid', 'command-fork.pid']
afterAll(() => {
  // A failed assertion must not leave the escaped sleeps behind.
  for (const {dir} of projects) {
    const written = PID_FILES.filter((name) => existsSync(path.join(dir, name)))
    for (const pid of pidsFrom(dir, written).filter(alive)) process.kill(pid, 'SIGKILL')
  }
  for (const project of projects) project.cleanup()
})

function project(): string {
  const made = makeProject({})
  projects.push(made)
  return made.dir
}

function pidsFrom(dir: string, names: string[]): number[] {
  return names.map((name) => Number(readFileSync(path.join(dir, name), 'utf8')))
}

describe.runIf(process.platform === 'linux')('escaped children', () => {
  it(
    'a service and a command that start setsid and double-forked children: the CLI exits with its results, and ' +
      'none of them survives',
    async () => {
      const dir = project()
      const escape = (name: string) => `sh -c 'echo $$ > ${path.join(dir, name)}; exec sleep 300'`
      // The command returns only once its escapees have written their pids (at most 5 s): on a busy machine it could
      // end first.
      const waitForFiles = (...names: string[]) =>
        `for i in $(seq 100); do ${names.map((name) => `[ -s ${path.join(dir, name)} ] &&`).join(' ')} break; sleep ` +
        `0.05; done`
      // A setsid child and a double-forked one, each writing its pid to PREFIX-setsid.pid and PREFIX-fork.pid.
      const escapees = (prefix: string) =>
        `setsid ${escape(`${prefix}-setsid.pid`)} & (${escape(`${prefix}-fork.pid`)} &)`
      const waitForEscapees = waitForFiles('command-setsid.pid', 'command-fork.pid')
      writeFileSync(
        path.join(dir, 'gates', 'escape.yaml'),
        `version: 1
services:
  web:
    command: "${escapees('service')} ; node ${path.join(SERVERS, 'hello.mjs')}"
    ready: { log: 'listening on (?<url>http://\\S+)' }
targets:
  - id: escapes
    validator: command
    with: { run: "${escapees('command')} ; ${waitForEscapees}", runs: 1, warmup: 0 }
    expect: [ "failures == 0" ]
`,
      )
      const r = await runGate(['check', 'escape', '--json'], {cwd: dir, timeoutMs: 60_000})
      expect(r.signal, 'the CLI hung after printing its results').toBeNull()
      expect(r.code, r.stderr).toBe(0)
      expect(JSON.parse(r.stdout).decision.outcome).toBe('PROCEED')
      expect(PID_FILES.every((name) => existsSync(path.join(dir, name)))).toBe(true)
      const pids = pidsFrom(dir, PID_FILES)
      expect(await waitFor(() => !pids.some(alive), 5000)).toBe(true)
    },
    90_000,
  )
})
