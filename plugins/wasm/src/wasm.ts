import {setImmediate as yieldToEventLoop} from 'node:timers/promises'

import type {CollectContext, Evidence, PhasegateApi, SampleReservoir, Validator} from 'phasegate'

import {describeOutcome, describeValue, outcomeOf, sameOutcome} from './outputs.js'
import {DEFAULT_INPUT_COUNT, type InputsOption, loadSubjects, MAX_INPUTS, type Subjects} from './subjects.js'
import {MIN_TIMED_MS, Side, type Timing, timeSides} from './timing.js'

export interface WasmOptions {
  module: string
  export: string
  js: string
  inputs: InputsOption
  tolerance: number
  warmup: string
  rounds: number
  batch?: number
  duration: string
}

/** Mismatching inputs shown in the notes; the metric counts them all. */
const MISMATCHES_SHOWN = 3
/** The outputs check yields to the event loop this often, so an abort is seen. */
const YIELD_EVERY_MS = 20

export function makeWasmValidator(api: PhasegateApi): Validator<WasmOptions> {
  const path = (what: string): Record<string, unknown> => ({
    description: `${what}, relative to the gate file’s directory.`,
    minLength: 1,
    type: 'string',
  })
  return api.defineValidator<WasmOptions>({
    name: 'wasm',
    description:
      'Compares an exported function of a WebAssembly module with its JavaScript twin: runs both on every input and ' +
      'counts the inputs whose outputs differ; when none do, warms both up and times them in rounds of paired ' +
      'batches on the same inputs, in alternating order, giving the speedup (js time / wasm time) per round and ' +
      'each operation’s latency.',
    kind: 'measured',
    options: {
      additionalProperties: false,
      properties: {
        batch: {
          description: 'Calls per batch; both sides run the same inputs in a round. Default: one pass over the inputs.',
          maximum: 1_000_000,
          minimum: 1,
          type: 'integer',
        },
        duration: api.durationOption(
          'Time budget of the timed rounds: no round starts after it (the first always runs); the notes say when it ' +
            'cut the rounds short.',
          '30s',
        ),
        export: {
          description:
            'The module’s exported function to measure; the js module exports its twin under the same name (or as ' +
            'its default export).',
          minLength: 1,
          type: 'string',
        },
        inputs: {
          description:
            'Where the argument lists come from: {file: PATH}, a JSON array of argument lists such as [[1, 2], [3, ' +
            '4]] (PATH relative to the gate file’s directory), or {generate: NAME, count: N}, a function the js ' +
            'module exports, called as NAME(N, seed) with the run’s seed and returning such an array (N defaults to ' +
            '100).',
          oneOf: [
            {
              additionalProperties: false,
              properties: {file: path('A JSON file holding an array of argument lists such as [[1, 2], [3, 4]]')},
              required: ['file'],
              type: 'object',
            },
            {
              additionalProperties: false,
              properties: {
                count: {
                  description: `How many argument lists to ask for (default ${DEFAULT_INPUT_COUNT}).`,
                  maximum: MAX_INPUTS,
                  minimum: 1,
                  type: 'integer',
                },
                generate: {
                  description:
                    'Name of a function the js module exports: NAME(count, seed) returns an array of argument lists.',
                  minLength: 1,
                  type: 'string',
                },
              },
              required: ['generate'],
              type: 'object',
            },
          ],
        },
        js: path(
          'The JavaScript ES module holding the reference implementation (a named export like `export`, else its ' +
            'default export)',
        ),
        module: path('The .wasm file to measure'),
        rounds: {
          default: 30,
          description: 'Timed rounds; each gives one speedup sample (a wasm batch and a js batch on the same inputs).',
          maximum: 10_000,
          minimum: 1,
          type: 'integer',
        },
        tolerance: {
          default: 0,
          description:
            'How far numeric outputs may differ and still match: |wasm − js| ≤ tolerance × max(1, |js|). 0 (the ' +
            'default) means exactly equal; NaN always matches NaN.',
          minimum: 0,
          type: 'number',
        },
        warmup: api.durationOption(
          'How long both sides run, in alternation and untimed, before the timed rounds (JIT tiering of both the ' +
            'JavaScript and the WebAssembly).',
          '1s',
        ),
      },
      required: ['module', 'export', 'js', 'inputs'],
      type: 'object',
    },
    metrics: [
      {
        description:
          'One sample per timed round: the js batch time divided by the wasm batch time on the same inputs. Absent ' +
          'when outputs mismatch.',
        dimension: 'ratio',
        name: 'speedup',
        type: 'samples',
      },
      {
        description:
          'Time of one call of the WebAssembly function, in ms (calls under 10 µs: the average over a small group ' +
          'of consecutive calls). Absent when outputs mismatch.',
        dimension: 'duration',
        name: 'op_latency',
        type: 'samples',
      },
      {
        description:
          'Time of one call of the JavaScript twin, in ms, measured the same way. Absent when outputs mismatch.',
        dimension: 'duration',
        name: 'js_op_latency',
        type: 'samples',
      },
      {
        description: 'Inputs on which the module’s output differs from the twin’s (or either throws).',
        dimension: 'count',
        name: 'mismatches',
        type: 'value',
      },
    ],
    collect: (ctx, options) => measureWasm(api, ctx, options),
  })
}

async function measureWasm(api: PhasegateApi, ctx: CollectContext, options: WasmOptions): Promise<Evidence> {
  const warmupMs = api.readDuration(options.warmup, 'warmup')
  const budgetMs = api.readDuration(options.duration, 'duration')
  const checkpoint = async (): Promise<void> => {
    await yieldToEventLoop()
    ctx.signal.throwIfAborted()
  }

  ctx.progress({message: 'loading the module, its twin and the inputs'})
  const subjects = await loadSubjects(options, ctx)
  await checkpoint()
  const source = `wasm: ${options.export} of ${options.module} against ${options.js}, ${subjects.inputsLabel}`
  const notes =
    subjects.imports.length > 0 ? [`the module imports ${subjects.imports.join(', ')}, provided by the validator`] : []

  const mismatched = await compareOutputs(subjects, options.tolerance, ctx, checkpoint)
  const agreement = options.tolerance === 0 ? 'exactly' : `within tolerance ${options.tolerance}`
  if (mismatched.count > 0) {
    return {
      kind: 'measured',
      metrics: {mismatches: {dimension: 'count', type: 'value', value: mismatched.count}},
      notes: [
        ...notes,
        `outputs differ ` +
          `on ${mismatched.count} of ${subjects.inputs.length} inputs (compared ${agreement}); not timed: a speedup ` +
          `over code that gives other answers means nothing`,
        ...mismatched.shown,
      ],
      source,
    }
  }

  notes.push(`outputs: wasm and js agree ${agreement} on all ${subjects.inputs.length} inputs`)
  const reservoir = (side: string): SampleReservoir =>
    new api.SampleReservoir(api.LOAD_DEFAULTS.reservoirSize, `${ctx.seed}:${ctx.target.id}:${side}`)
  const wasm = new Side('wasm', subjects.wasm, reservoir('wasm'))
  const js = new Side('js', subjects.js, reservoir('js'))
  const batch = options.batch ?? subjects.inputs.length
  ctx.progress({fraction: 0, message: `warming up for ${options.warmup}`})
  const timing = await timeSides(
    wasm,
    js,
    subjects.inputs,
    {batch, budgetMs, rounds: options.rounds, warmupMs},
    {
      checkpoint,
      median: (values) =>
        quantile(
          api,
          [...values].sort((a, b) => a - b),
          0.5,
        ),
      round(done, speedup, elapsedMs) {
        ctx.progress({
          fraction: Math.min(1, Math.max(done / options.rounds, elapsedMs / budgetMs)),
          message: `round ${done}/${options.rounds}: speedup ${api.formatValue(speedup, 'ratio')}`,
        })
      },
    },
  )
  notes.push(...timingNotes(api, {batch, js, options, timing, wasm}))
  return {
    durationMs: timing.elapsedMs,
    kind: 'measured',
    metrics: {
      js_op_latency: {dimension: 'duration', samples: js.opMs.samples(), seen: js.opMs.seen, type: 'samples'},
      mismatches: {dimension: 'count', type: 'value', value: 0},
      op_latency: {dimension: 'duration', samples: wasm.opMs.samples(), seen: wasm.opMs.seen, type: 'samples'},
      speedup: {dimension: 'ratio', samples: timing.speedups, type: 'samples'},
    },
    notes,
    source,
  }
}

/** Runs both on every input; the count of inputs whose outcomes differ, and the first few as notes. */
async function compareOutputs(
  subjects: Subjects,
  tolerance: number,
  ctx: CollectContext,
  checkpoint: () => Promise<void>,
): Promise<{count: number; shown: string[]}> {
  const shown: string[] = []
  let count = 0
  let yielded = performance.now()
  for (const [index, args] of subjects.inputs.entries()) {
    const wasm = outcomeOf(subjects.wasm, args)
    const js = outcomeOf(subjects.js, args)
    if (!sameOutcome(wasm, js, tolerance)) {
      count++
      if (shown.length < MISMATCHES_SHOWN)
        shown.push(
          `input #${index + 1} ${describeValue(args)}: wasm ${describeOutcome(wasm)}, js ${describeOutcome(js)}`,
        )
    }

    if (performance.now() - yielded > YIELD_EVERY_MS) {
      ctx.progress({message: `checking outputs: ${index + 1}/${subjects.inputs.length} inputs, ${count} mismatches`})
      await checkpoint()
      yielded = performance.now()
    }
  }

  if (count > shown.length) shown.push(`… and ${count - shown.length} more mismatching inputs`)
  return {count, shown}
}

function timingNotes(
  api: PhasegateApi,
  run: {batch: number; js: Side; options: WasmOptions; timing: Timing; wasm: Side},
): string[] {
  const {batch, js, options, timing, wasm} = run
  const ms = (value: number): string => api.formatValue(value, 'duration')
  const ratio = (value: number): string => api.formatValue(value, 'ratio')
  const rounds = timing.speedups.length
  const notes = [
    `timing: ${rounds} rounds of ${batch} calls per side after ${ms(timing.warmupMs)} of warmup; each round runs ` +
      `the wasm batch and the js batch on the same inputs, in alternating order (wasm then js, then js then wasm), ` +
      `so both see the same machine state`,
  ]
  if (timing.stoppedEarly)
    notes.push(
      `stopped after ${rounds} of ${options.rounds} rounds: the duration budget of ${options.duration} was spent`,
    )
  const grouped = [wasm, js].filter((side) => side.group > 1)
  notes.push(
    grouped.length === 0
      ? 'op_latency: every call timed on its own with performance.now()'
      : `op_latency: calls under ${ms(MIN_TIMED_MS)} are timed in groups of consecutive calls ` +
          `(${grouped.map((side) => `${side.name}: ${side.group} calls`).join(', ')}) with performance.now(); each ` +
          `sample is a group's time divided by its calls, so it is an average that hides variation inside the group`,
  )
  const wasmOps = [...wasm.opMs.samples()].sort((a, b) => a - b)
  const jsOps = [...js.opMs.samples()].sort((a, b) => a - b)
  const wasmMedian = quantile(api, wasmOps, 0.5)
  const jsMedian = quantile(api, jsOps, 0.5)
  notes.push(
    `speedup: median of the ${rounds} per-round ratios ${ratio(
      quantile(
        api,
        [...timing.speedups].sort((a, b) => a - b),
        0.5,
      ),
    )}; ratio of the median per-op times (js ${ms(jsMedian)} / wasm ${ms(wasmMedian)}) ${ratio(jsMedian / wasmMedian)}`,
  )
  const spread = (sorted: number[]): string => {
    const at = (level: number): string => ms(quantile(api, sorted, level))
    return `p50 ${at(0.5)}, p95 ${at(0.95)}, p99 ${at(0.99)}, max ${ms(sorted.at(-1) ?? Number.NaN)}`
  }
  notes.push(`per-op time, wasm: ${spread(wasmOps)}; js: ${spread(jsOps)}`)
  return notes
}

/** The engine's type-7 quantile of sorted values; NaN for none, where simple-statistics would throw. */
export function quantile(api: PhasegateApi, sorted: readonly number[], p: number): number {
  return sorted.length === 0 ? Number.NaN : api.quantileSorted([...sorted], p)
}
