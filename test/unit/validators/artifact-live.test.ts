// The importers against the tools installed here, not only against the committed samples: a new
// hyperfine or autocannon that changed its output would fail here first.
import {execFile} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, type Server} from 'node:http'
import type {AddressInfo} from 'node:net'
import os from 'node:os'
import path from 'node:path'
import {promisify} from 'node:util'
import {fileURLToPath} from 'node:url'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {artifact} from '../../../src/validators/artifact.js'
import {measure, samplesOf, valueOf} from '../../helpers/evidence.js'
import {requireProgram} from '../../integration/servers/required.js'

const run = promisify(execFile)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const HYPERFINE = requireProgram('hyperfine', 'apt-get install hyperfine', 'hyperfine')
const scratch = mkdtempSync(path.join(os.tmpdir(), 'phasegate-live-artifacts-'))
afterAll(() => rmSync(scratch, {force: true, recursive: true}))

describe.skipIf(!HYPERFINE)('artifact format hyperfine, with the hyperfine installed here', () => {
  it('imports what `hyperfine --export-json` writes now', async () => {
    const file = path.join(scratch, 'hyperfine.json')
    await run(HYPERFINE!, ['--runs', '3', '--shell=none', '--export-json', file, '--command-name', 'noop', 'true'], {
      timeout: 30_000,
    })
    const evidence = await measure(
      artifact,
      {file: 'hyperfine.json', format: 'hyperfine', metrics: ['times', 'failures', 'runs']},
      {gateDir: scratch},
    )
    expect(samplesOf(evidence.metrics.times)).toHaveLength(3)
    expect(evidence.metrics.failures).toEqual({events: 0, trials: 3, type: 'proportion'})
    expect(valueOf(evidence.metrics.runs)).toBe(3)
    expect(evidence.source).toBe('hyperfine hyperfine.json (noop)')
  })
})

describe('artifact format autocannon, with the autocannon installed here', () => {
  let server: Server
  let url: string
  let served = 0
  beforeAll(async () => {
    // Every 10th request is answered 500, so the run has failures to count.
    server = createServer((_request, response) => {
      response.writeHead(++served % 10 === 0 ? 500 : 200).end('ok')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise((resolve) => server.close(resolve))
  })

  it('imports what `autocannon --json` writes now, failures counted', async () => {
    const cli = path.join(ROOT, 'node_modules', 'autocannon', 'autocannon.js')
    const {stdout} = await run(process.execPath, [cli, '--json', '--amount', '200', '--connections', '2', url], {
      timeout: 60_000,
    })
    writeFileSync(path.join(scratch, 'autocannon.json'), stdout)
    const evidence = await measure(
      artifact,
      {file: 'autocannon.json', format: 'autocannon', metrics: ['latency.p99', 'requests.total', 'error_rate']},
      {gateDir: scratch},
    )
    expect(valueOf(evidence.metrics['requests.total'])).toBe(200)
    expect(evidence.metrics.error_rate).toEqual({events: 20, trials: 200, type: 'proportion'})
    expect(evidence.metrics['latency.p99']).toMatchObject({dimension: 'duration', type: 'value'})
    expect(evidence.source).toContain(`autocannon autocannon.json (${url}, 2 connections`)
  })
})
