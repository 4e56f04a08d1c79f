import {execFile} from 'node:child_process'
import {existsSync, statSync} from 'node:fs'
import {mkdtemp, rm} from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

import {median} from 'simple-statistics'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'

import {makeWasmValidator, type WasmOptions} from '../../../plugins/wasm/src/wasm.js'
import {evaluateGate} from '../../../src/engine/index.js'
import * as api from '../../../src/index.js'
import {collectEvidence} from '../../../src/validators/runner.js'
import {mixedSigns} from '../../fixtures/wasm/twins.js'
import {measure, runContext, samplesOf, valueOf} from '../../helpers/evidence.js'
import {parseExpectation} from '../../../src/engine/expectation.js'

const run = promisify(execFile)
const wasm = makeWasmValidator(api)
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'wasm')
const ASC = path.join(ROOT, 'node_modules', 'assemblyscript', 'bin', 'asc.js')
const KERNEL_SOURCE = path.join(ROOT, 'demo', 'kernel', 'assembly', 'mandelbrot.ts')
const KERNEL = path.join(ROOT, 'demo', 'dist', 'kernel', 'mandelbrot.wasm')
/** Short timing runs: these tests check behaviour, never how fast anything is. */
const QUICK = {duration: '10s', rounds: 6, warmup: '100ms'}

/** Builds the demo kernel with its own npm script (`build:kernel`) when it is missing or older than its source. */
async function ensureKernelBuilt(): Promise<void> {
  if (existsSync(KERNEL) && statSync(KERNEL).mtimeMs >= statSync(KERNEL_SOURCE).mtimeMs) return
  await run('npm', ['run', 'build:kernel', '--workspace', 'demo', '--silent'], {cwd: ROOT})
}

describe('wasm validator', () => {
  let built: string
  /** A fixture module compiled into the temp dir (absolute, so it resolves whatever the gate dir). */
  const compiled = (name: string): string => path.join(built, `${name}.wasm`)
  const fixture = (
    options: Partial<WasmOptions> & Pick<WasmOptions, 'export' | 'inputs'>,
  ): Record<string, unknown> => ({js: 'twins.js', module: compiled('fixtures'), ...QUICK, ...options})
  const inFixtures = {gateDir: FIXTURES}

  beforeAll(async () => {
    built = await mkdtemp(path.join(os.tmpdir(), 'phasegate-wasm-'))
    for (const name of ['fixtures', 'clock']) {
      await run(
        process.execPath,
        [ASC, path.join(FIXTURES, 'assembly', `${name}.ts`), '-O3', '--runtime', 'stub', '-o', compiled(name)],
        {cwd: ROOT},
      )
    }

    await ensureKernelBuilt()
  })
  afterAll(async () => {
    if (built) await rm(built, {force: true, recursive: true})
  })

  it('measures the demo kernel end to end: same answers, a positive speedup per round, per-op latencies', async () => {
    const evidence = await measure(
      wasm,
      {
        export: 'mandelbrotTile',
        inputs: {count: 40, generate: 'tiles'},
        js: '../demo/kernel/mandelbrot.js',
        module: '../demo/dist/kernel/mandelbrot.wasm',
        ...QUICK,
      },
      {gateDir: path.join(ROOT, 'gates')},
    )
    expect(evidence.kind).toBe('measured')
    expect(valueOf(evidence.metrics.mismatches)).toBe(0)
    const speedups = samplesOf(evidence.metrics.speedup)
    expect(speedups).toHaveLength(6)
    for (const speedup of speedups) expect(speedup).toBeGreaterThan(0)
    expect(samplesOf(evidence.metrics.op_latency).length).toBeGreaterThanOrEqual(6 * 40)
    expect(samplesOf(evidence.metrics.js_op_latency).length).toBeGreaterThanOrEqual(6 * 40)
    expect(evidence.source).toBe(
      'wasm: mandelbrotTile of ../demo/dist/kernel/mandelbrot.wasm against ../demo/kernel/mandelbrot.js, 40 inputs ' +
        'from tiles(40, seed 1)',
    )
    const notes = evidence.notes?.join('\n')
    expect(notes).toContain('outputs: wasm and js agree exactly on all 40 inputs')
    expect(notes).toMatch(/timing: 6 rounds of 40 calls per side after .* of warmup/)
    expect(notes).toMatch(
      /speedup: median of the 6 per-round ratios .*x; ratio of the median per-op times \(js .* \/ wasm .*\) .*x/,
    )
    expect(notes).toMatch(/op_latency: (every call timed on its own|calls under 10 µs are timed in groups)/)
  })

  it('reports a module that gives other answers, with the first mismatching inputs, and does not time it', async () => {
    const evidence = await measure(wasm, fixture({export: 'square', inputs: {file: 'squares.json'}}), inFixtures)
    expect(evidence.metrics).toEqual({mismatches: {dimension: 'count', type: 'value', value: 3}})
    expect(evidence.notes).toEqual([
      'the module imports env.abort, provided by the validator',
      'outputs differ on 3 of 6 inputs (compared exactly); not timed: a speedup over code that gives other answers ' +
        'means nothing',
      'input #3 [46341]: wasm -2147479015, js 2147488281',
      'input #4 [100000]: wasm 1410065408, js 10000000000',
      'input #5 [65536]: wasm 0, js 4294967296',
    ])
  })

  it("falls back to the js module's default export when none is named like the wasm export", async () => {
    const evidence = await measure(
      wasm,
      fixture({export: 'square', inputs: {file: 'squares.json'}, js: 'default-twin.js'}),
      inFixtures,
    )
    expect(valueOf(evidence.metrics.mismatches)).toBe(3)
  })

  it(
    'counts an abort in the module as a mismatch, with its message, on generated inputs that follow the ' + 'seed',
    async () => {
      const options = fixture({export: 'checkedSqrt', inputs: {count: 50, generate: 'mixedSigns'}})
      const negative = (seed: number): number => mixedSigns(50, seed).filter(([x]) => x! < 0).length
      const evidence = await measure(wasm, options, inFixtures)
      expect(negative(1)).toBeGreaterThan(0)
      expect(valueOf(evidence.metrics.mismatches)).toBe(negative(1))
      expect(evidence.notes?.[2]).toMatch(
        new RegExp(
          String.raw`^input #\d+ \[-0\.\d+\]: wasm threw abort: negative input at ` +
            String.raw`test\/fixtures\/wasm\/assembly\/fixtures\.ts:\d+:\d+, js NaN$`,
        ),
      )
      // The same seed gives the same inputs, another seed others.
      expect((await measure(wasm, options, inFixtures)).notes).toEqual(evidence.notes)
      const reseeded = await measure(wasm, options, {...inFixtures, seed: 2})
      expect(valueOf(reseeded.metrics.mismatches)).toBe(negative(2))
      expect(reseeded.notes?.[2]).not.toBe(evidence.notes?.[2])
    },
  )

  it('matches floats within the tolerance, and only within it', async () => {
    const exact = await measure(
      wasm,
      fixture({export: 'hypot', inputs: {count: 20, generate: 'floatPairs'}}),
      inFixtures,
    )
    expect(valueOf(exact.metrics.mismatches)).toBe(20)
    expect(exact.metrics.speedup).toBeUndefined()
    const close = await measure(
      wasm,
      fixture({export: 'hypot', inputs: {count: 20, generate: 'floatPairs'}, tolerance: 1e-6}),
      inFixtures,
    )
    expect(valueOf(close.metrics.mismatches)).toBe(0)
    expect(close.notes).toContain('outputs: wasm and js agree within tolerance 0.000001 on all 20 inputs')
    expect(samplesOf(close.metrics.speedup)).toHaveLength(6)
  })

  it('FAILs `median(speedup) >= 1x` through the engine for a module slower than its JavaScript twin', async () => {
    const collected = await collectEvidence(
      wasm,
      fixture({export: 'triangle', inputs: {count: 30, generate: 'triangles'}}),
      runContext(inFixtures),
    )
    if (!('evidence' in collected)) throw new Error(`NO_DATA: ${collected.noData}`)
    expect(median(samplesOf(collected.evidence.metrics.speedup))).toBeLessThan(1)
    // The twin's closed form takes nanoseconds: too short to time one call at a time.
    expect(collected.evidence.notes?.join('\n')).toMatch(
      /op_latency: calls under 10 µs are timed in groups of consecutive calls \(.*js: 30 calls\)/,
    )
    const {decision, targets} = evaluateGate({confidence: 0.95, minConsensus: 0.85, resamples: 2000, seed: 1}, [
      {
        collected,
        expectations: ['median(speedup) >= 1x', 'mismatches == 0'].map((text) => parseExpectation(text)),
        id: 'wasm-speedup',
        level: 'error',
        required: true,
        title: 'WebAssembly kernel at least as fast as JavaScript',
        validator: 'wasm',
        weight: 1,
      },
    ])
    expect(targets[0]?.status).toBe('FAIL')
    expect(targets[0]?.expectations.map(({expression, status}) => [expression, status])).toEqual([
      ['median(speedup) >= 1x', 'FAIL'],
      ['mismatches == 0', 'PASS'],
    ])
    expect(decision).toMatchObject({deciding: ['wasm-speedup'], outcome: 'BLOCK', rule: 1})
  })

  describe('is NO_DATA with a reason naming the option', () => {
    const noData = async (options: Record<string, unknown>): Promise<string> => {
      const outcome = await collectEvidence(wasm, options, runContext(inFixtures))
      if (!('noData' in outcome)) throw new Error(`expected NO_DATA, got evidence from ${outcome.evidence.source}`)
      return outcome.noData
    }

    it('for an export the module does not have', async () => {
      expect(await noData(fixture({export: 'cube', inputs: {file: 'squares.json'}}))).toMatch(
        new RegExp(
          String.raw`^validator wasm failed: export: .*fixtures\.wasm has no exported function "cube"; it exports ` +
            String.raw`the functions triangle, square, hypot, checkedSqrt$`,
        ),
      )
    })

    it('for a module file that does not exist', async () => {
      expect(await noData(fixture({export: 'square', inputs: {file: 'squares.json'}, module: 'missing.wasm'}))).toBe(
        `validator wasm failed: module: cannot read ${path.join(FIXTURES, 'missing.wasm')} (no such file); build it ` +
          `first, or fix the path (relative to the gate's directory ${FIXTURES})`,
      )
    })

    it('for a file that is not WebAssembly', async () => {
      expect(await noData(fixture({export: 'square', inputs: {file: 'squares.json'}, module: 'squares.json'}))).toMatch(
        /^validator wasm failed: module: .*squares\.json is not a WebAssembly module Node can compile: CompileError: /,
      )
    })

    it('for a module importing what the validator does not provide', async () => {
      expect(
        await noData(fixture({export: 'elapsed', inputs: {file: 'squares.json'}, module: compiled('clock')})),
      ).toMatch(
        new RegExp(
          String.raw`^validator wasm failed: module: .*clock\.wasm imports clock\.now \(function\), which the wasm ` +
            String.raw`validator does not provide; it provides the functions env\.abort, env\.trace, env\.seed$`,
        ),
      )
    })

    it('for a js module that does not exist, or has no twin', async () => {
      expect(await noData(fixture({export: 'square', inputs: {file: 'squares.json'}, js: 'missing.js'}))).toMatch(
        /^validator wasm failed: js: cannot read .*missing\.js \(no such file\)/,
      )
      expect(
        await noData(
          fixture({export: 'square', inputs: {file: 'squares.json'}, js: '../../../demo/kernel/mandelbrot.js'}),
        ),
      ).toBe(
        'validator wasm failed: js: ../../../demo/kernel/mandelbrot.js exports no function "square" and no default ' +
          'function; it exports the functions mandelbrotTile, tiles',
      )
    })

    it('for an inputs file that is missing, not JSON, or not argument lists', async () => {
      expect(await noData(fixture({export: 'square', inputs: {file: 'nothing.json'}}))).toMatch(
        /^validator wasm failed: inputs\.file: cannot read .*nothing\.json \(no such file\)/,
      )
      expect(await noData(fixture({export: 'square', inputs: {file: 'not-json.json'}}))).toMatch(
        new RegExp(
          String.raw`^validator wasm failed: inputs\.file: .*not-json\.json is not JSON \(.*\); it must hold an ` +
            String.raw`array of argument lists such as \[\[1, 2\], \[3, 4\]\]$`,
        ),
      )
      expect(await noData(fixture({export: 'square', inputs: {file: 'not-lists.json'}}))).toMatch(
        new RegExp(
          String.raw`^validator wasm failed: inputs\.file: .*not-lists\.json: input #2 is 2, not an argument list; ` +
            String.raw`expected an array of argument lists such as \[\[1, 2\], \[3, 4\]\]$`,
        ),
      )
    })

    it('for a generator the js module does not export, or one that gives no argument lists', async () => {
      expect(await noData(fixture({export: 'square', inputs: {generate: 'nope'}}))).toBe(
        'validator wasm failed: inputs.generate: twins.js has no exported function "nope" to generate the inputs',
      )
      expect(await noData(fixture({export: 'square', inputs: {count: 5, generate: 'notLists'}}))).toMatch(
        /^validator wasm failed: inputs\.generate: notLists\(5, 1\): input #1 is 0, not an argument list/,
      )
    })

    it('for options its schema refuses', async () => {
      expect(
        await noData(fixture({export: 'square', inputs: {file: 'squares.json', generate: 'triangles'} as never})),
      ).toMatch(/^validator wasm rejected its options: .*option "inputs" must match exactly one schema in oneOf/)
      expect(await noData({export: 'square', js: 'twins.js', module: compiled('fixtures')})).toMatch(
        /^validator wasm rejected its options: validator "wasm" needs option "inputs"/,
      )
    })
  })

  describe('stops between batches', () => {
    const endless: WasmOptions = {
      duration: '60s',
      export: 'mandelbrotTile',
      inputs: {count: 20, generate: 'tiles'},
      js: '../demo/kernel/mandelbrot.js',
      module: '../demo/dist/kernel/mandelbrot.wasm',
      rounds: 10_000,
      tolerance: 0,
      warmup: '100ms',
    }
    const {timeoutMs: _timeoutMs, ...shared} = runContext({gateDir: path.join(ROOT, 'gates')})

    it('once aborted, without another round', async () => {
      const controller = new AbortController()
      const progress: string[] = []
      const collecting = wasm.collect(
        {
          ...shared,
          progress({message = ''}) {
            progress.push(message)
            if (message.startsWith('round ')) controller.abort()
          },
          signal: controller.signal,
        },
        endless,
      )
      await expect(collecting).rejects.toThrow('This operation was aborted')
      expect(progress.filter((message) => message.startsWith('round '))).toEqual([
        expect.stringMatching(/^round 1\/10000: speedup .*x$/),
      ])
    })

    it('when a timer fires the abort: the timed loop leaves the event loop free between batches', async () => {
      // Were the loop to hold the thread, the timer could not fire and this would run for the whole 60 s budget.
      await expect(wasm.collect({...shared, signal: AbortSignal.timeout(500)}, endless)).rejects.toThrow(
        'The operation was aborted due to timeout',
      )
    })
  })
})
