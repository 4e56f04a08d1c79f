// Loads what a wasm target compares: the module's export, its JavaScript twin, and the argument lists.
import {readFile, stat} from 'node:fs/promises'
import path from 'node:path'
import {pathToFileURL} from 'node:url'

import {describeError, describeValue} from './outputs.js'
import {type WasmImports, type WasmInstance, type WasmMemory, type WasmModule, WebAssembly} from './webassembly.js'

export type Operation = (...args: unknown[]) => unknown

/** Where the argument lists come from: a JSON file, or a generator exported by the js module. */
export type InputsOption = {file: string} | {count?: number; generate: string}

export interface Subjects {
  wasm: Operation
  js: Operation
  /** One argument list per operation. */
  inputs: unknown[][]
  /** "200 inputs from tiles(200, seed 1)" */
  inputsLabel: string
  /** Imports the module declared (all provided by the host), e.g. ["env.abort"]. */
  imports: string[]
}

export interface SubjectOptions {
  module: string
  export: string
  js: string
  inputs: InputsOption
}

/** Generated inputs when `count` is left out. */
export const DEFAULT_INPUT_COUNT = 100
export const MAX_INPUTS = 100_000

/** The host functions a module may import: what AssemblyScript's runtime asks for. */
const PROVIDED_IMPORTS = ['env.abort', 'env.trace', 'env.seed']

interface Host {
  gateDir: string
  seed: number
  log(message: string): void
}

export async function loadSubjects(options: SubjectOptions, host: Host): Promise<Subjects> {
  const {imports, operation: wasm} = await loadWasmExport(options, host)
  const twin = await loadJsModule(options.js, host.gateDir)
  const js = twinOf(twin, options)
  const {inputs, label} = await loadInputs(options.inputs, twin, options.js, host)
  return {imports, inputs, inputsLabel: label, js, wasm}
}

async function loadWasmExport(options: SubjectOptions, host: Host): Promise<{imports: string[]; operation: Operation}> {
  const file = path.resolve(host.gateDir, options.module)
  let bytes: Buffer
  try {
    bytes = await readFile(file)
  } catch (error) {
    throw new Error(
      `module: cannot read ${file} (${reasonOf(error)}); build it first, or fix the path (relative to the gate's ` +
        `directory ${host.gateDir})`,
      {cause: error},
    )
  }

  let compiled: WasmModule
  try {
    compiled = await WebAssembly.compile(bytes)
  } catch (error) {
    throw new Error(`module: ${file} is not a WebAssembly module Node can compile: ${describeError(error)}`, {
      cause: error,
    })
  }

  const declared = WebAssembly.Module.imports(compiled)
  const missing = declared.filter(
    ({kind, module, name}) => kind !== 'function' || !PROVIDED_IMPORTS.includes(`${module}.${name}`),
  )
  if (missing.length > 0) {
    const list = missing.map(({kind, module, name}) => `${module}.${name} (${kind})`).join(', ')
    throw new Error(
      `module: ${file} imports ${list}, which the wasm validator does not provide; it provides the ` +
        `functions ${PROVIDED_IMPORTS.join(', ')}`,
    )
  }

  let memory: WasmMemory | undefined
  let instance: WasmInstance
  try {
    instance = await WebAssembly.instantiate(
      compiled,
      hostImports(host, () => memory),
    )
  } catch (error) {
    throw new Error(`module: ${file} failed to instantiate: ${describeError(error)}`, {cause: error})
  }

  const exported = instance.exports
  if (exported.memory instanceof WebAssembly.Memory) memory = exported.memory
  const operation = exported[options.export]
  if (typeof operation !== 'function') {
    const functions = WebAssembly.Module.exports(compiled)
      .filter(({kind}) => kind === 'function')
      .map(({name}) => name)
    const exported = functions.length > 0 ? `the functions ${functions.join(', ')}` : 'no functions'
    throw new Error(`export: ${file} has no exported function "${options.export}"; it exports ${exported}`)
  }

  return {imports: declared.map(({module, name}) => `${module}.${name}`), operation: operation as Operation}
}

/**
 * env.abort, env.trace and env.seed as AssemblyScript calls them; strings are read from the module's exported memory.
 */
function hostImports(host: Host, memory: () => WasmMemory | undefined): WasmImports {
  return {
    env: {
      abort(message: number, fileName: number, line: number, column: number): never {
        const where = fileName ? ` at ${readString(memory(), fileName) ?? '?'}:${line}:${column}` : ''
        throw new WasmAbort(`${readString(memory(), message) ?? 'abort'}${where}`)
      },
      // A fixed seed: the module's Math.random gives the same numbers run after run.
      seed: (): number => host.seed,
      trace(message: number, count: number, ...values: number[]): void {
        host.log(
          `wasm trace: ${readString(memory(), message) ?? ''} ${values.slice(0, Math.max(0, count)).join(', ')}`.trim(),
        )
      },
    },
  }
}

/** What the module's `abort` reports: an AssemblyScript `throw`, a failed assertion, an out-of-bounds access. */
export class WasmAbort extends Error {
  override name = 'abort'
}

/** An AssemblyScript string: UTF-16LE whose byte length is the u32 just before it; undefined when it cannot be read. */
function readString(memory: WasmMemory | undefined, pointer: number): string | undefined {
  if (!memory || pointer < 4 || pointer > memory.buffer.byteLength) return undefined
  const bytes = new DataView(memory.buffer).getUint32(pointer - 4, true)
  if (bytes % 2 !== 0 || pointer + bytes > memory.buffer.byteLength) return undefined
  return Buffer.from(memory.buffer, pointer, bytes).toString('utf16le')
}

async function loadJsModule(option: string, gateDir: string): Promise<Record<string, unknown>> {
  const file = path.resolve(gateDir, option)
  try {
    await stat(file)
  } catch (error) {
    throw new Error(
      `js: cannot read ${file} (${reasonOf(error)}); fix the path (relative to the gate's directory ${gateDir})`,
      {cause: error},
    )
  }

  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>
  } catch (error) {
    throw new Error(`js: cannot load ${file} as an ES module: ${describeError(error)}`, {cause: error})
  }
}

/** The twin: the js module's export named like the wasm export, else its default export. */
function twinOf(twin: Record<string, unknown>, options: SubjectOptions): Operation {
  const named = twin[options.export]
  if (typeof named === 'function') return named as Operation
  if (typeof twin.default === 'function') return twin.default as Operation
  const functions = Object.keys(twin).filter((key) => typeof twin[key] === 'function')
  throw new Error(
    `js: ${options.js} exports no function "${options.export}" and no default function; it ` +
      `exports ${functions.length > 0 ? `the functions ${functions.join(', ')}` : 'no functions'}`,
  )
}

async function loadInputs(
  option: InputsOption,
  twin: Record<string, unknown>,
  jsOption: string,
  host: Host,
): Promise<{inputs: unknown[][]; label: string}> {
  if ('file' in option) {
    const file = path.resolve(host.gateDir, option.file)
    let text: string
    try {
      text = await readFile(file, 'utf8')
    } catch (error) {
      throw new Error(
        `inputs.file: cannot read ${file} (${reasonOf(error)}); fix the path (relative to the gate's ` +
          `directory ${host.gateDir})`,
        {cause: error},
      )
    }

    let parsed: unknown
    try {
      parsed = JSON.parse(text)
    } catch (error) {
      throw new Error(
        `inputs.file: ${file} is not JSON (${(error as Error).message}); it must hold an array of argument lists ` +
          `such as [[1, 2], [3, 4]]`,
        {cause: error},
      )
    }

    const inputs = argumentLists(parsed, `inputs.file: ${file}`)
    return {inputs, label: `${inputs.length} inputs from ${option.file}`}
  }

  const generate = twin[option.generate]
  if (typeof generate !== 'function') {
    throw new Error(`inputs.generate: ${jsOption} has no exported function "${option.generate}" to generate the inputs`)
  }

  const count = option.count ?? DEFAULT_INPUT_COUNT
  let generated: unknown
  try {
    generated = await generate(count, host.seed)
  } catch (error) {
    throw new Error(`inputs.generate: ${option.generate}(${count}, ${host.seed}) threw ${describeError(error)}`, {
      cause: error,
    })
  }

  const inputs = argumentLists(generated, `inputs.generate: ${option.generate}(${count}, ${host.seed})`)
  return {inputs, label: `${inputs.length} inputs from ${option.generate}(${count}, seed ${host.seed})`}
}

/** Checks the inputs are a non-empty array of argument arrays; `where` starts every complaint. */
function argumentLists(value: unknown, where: string): unknown[][] {
  const expected = 'an array of argument lists such as [[1, 2], [3, 4]]'
  if (!Array.isArray(value)) throw new Error(`${where} gave ${describeValue(value)}; expected ${expected}`)
  if (value.length === 0) throw new Error(`${where} gave no inputs; expected ${expected}`)
  if (value.length > MAX_INPUTS) throw new Error(`${where} gave ${value.length} inputs; at most ${MAX_INPUTS}`)
  const bad = value.findIndex((entry) => !Array.isArray(entry))
  if (bad >= 0)
    throw new Error(
      `${where}: input #${bad + 1} is ${describeValue(value[bad])}, not an argument list; expected ${expected}`,
    )
  return value as unknown[][]
}

function reasonOf(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code
  return code === 'ENOENT' ? 'no such file' : (code ?? describeError(error))
}
