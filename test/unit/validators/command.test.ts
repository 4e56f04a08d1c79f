import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {afterEach, describe, expect, it} from 'vitest'

import {measure as measureWith, runContext, samplesOf, valueOf} from '../../helpers/evidence.js'

import {killAllServicesSync} from '../../../src/services/index.js'
import {command} from '../../../src/validators/command.js'
import {collectEvidence, type RunContext} from '../../../src/validators/runner.js'

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/validators')
const NODE = JSON.stringify(process.execPath)
const LINUX = process.platform === 'linux'
const measure = (options: Record<string, unknown>, overrides: Partial<RunContext> = {}) =>
  measureWith(command, options, {gateDir: FIXTURES, ...overrides})

afterEach(() => killAllServicesSync())

describe('command validator', () => {
  it('measures wall time and peak memory of each run, after the warm-up', async () => {
    const evidence = await measure({run: `${NODE} -e 0`, runs: 3, warmup: 1})
    expect(evidence.kind).toBe('measured')
    expect(evidence.source).toBe(`command: ${NODE} -e 0`)
    const durations = samplesOf(evidence.metrics.duration)
    expect(durations).toHaveLength(3)
    expect(durations.every((ms) => ms > 0)).toBe(true)
    expect(evidence.durationMs).toBeCloseTo(durations.reduce((sum, ms) => sum + ms, 0))
    expect(valueOf(evidence.metrics.failures)).toBe(0)
    if (LINUX) expect(samplesOf(evidence.metrics.rss).every((bytes) => bytes > 0)).toBe(true)
    else expect(evidence.notes?.join('\n')).toContain('rss is not measured')
  })

  it.runIf(LINUX)('counts the memory of children in the process group', async () => {
    // The measured process spawns a child that holds 64 MiB for a moment.
    const child = 'Buffer.alloc(64 * 1024 * 1024, 1); setTimeout(() => {}, 300)'
    const parent = `require('child_process').spawnSync(process.execPath, ['-e', '${child}'], {stdio: 'inherit'})`
    const evidence = await measure({run: `${NODE} -e "${parent}"`, runs: 1, warmup: 0})
    expect(samplesOf(evidence.metrics.rss)[0]).toBeGreaterThan(64 * 1024 * 1024)
  })

  it('counts failing runs and quotes their exit code and last stderr lines', async () => {
    const evidence = await measure({run: 'echo "disk full" >&2; exit 3', runs: 4, warmup: 0})
    expect(valueOf(evidence.metrics.failures)).toBe(4)
    expect(evidence.metrics.duration).toBeUndefined() // no successful run: dropped by the runner with a note
    expect(evidence.notes).toEqual(
      expect.arrayContaining([
        'run 1 exited with code 3: disk full',
        '…and 1 more failed runs',
        'metric duration was dropped: it has no samples',
      ]),
    )
  })

  it('kills a run over its timeout, with everything it started, and counts it as a failure', async () => {
    const evidence = await measure({run: 'sleep 30 & sleep 30', runs: 1, timeout: '200ms', warmup: 0})
    expect(valueOf(evidence.metrics.failures)).toBe(1)
    expect(evidence.notes).toContain('run 1 timed out after 200 ms')
  })

  it('runs in cwd relative to the gate directory, with env added', async () => {
    const check = "process.exit(process.env.GREETING === 'hi' && require('fs').existsSync('k6-summary.json') ? 0 : 5)"
    const evidence = await measure({
      cwd: '../validators',
      env: {GREETING: 'hi'},
      run: `${NODE} -e "${check}"`,
      runs: 1,
      warmup: 0,
    })
    expect(valueOf(evidence.metrics.failures)).toBe(0)
  })

  it('stops between runs when interrupted', async () => {
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('SIGINT')), 100)
    const outcome = await collectEvidence(
      command,
      {run: 'sleep 30', runs: 50, warmup: 0},
      runContext({gateDir: FIXTURES, signal: controller.signal}),
    )
    expect(outcome).toEqual({noData: 'interrupted'})
  })

  it('gives NO_DATA when the working directory does not exist', async () => {
    const outcome = await collectEvidence(command, {cwd: 'no-such-dir', run: 'true'}, runContext({gateDir: FIXTURES}))
    expect(outcome).toEqual({
      noData: `validator command failed: working directory ${path.join(FIXTURES, 'no-such-dir')} does not exist`,
    })
  })
})
