// The part of Node's WebAssembly API this plugin uses, typed here: TypeScript declares it only in the DOM libs, which a
// Node package must not pull in.

export interface WasmModule {
  readonly brand?: 'WebAssembly.Module'
}

export interface WasmMemory {
  readonly buffer: ArrayBuffer
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>
}

export interface WasmImportDescriptor {
  module: string
  name: string
  kind: 'function' | 'global' | 'memory' | 'table' | 'tag'
}

export interface WasmExportDescriptor {
  name: string
  kind: WasmImportDescriptor['kind']
}

export type WasmImports = Record<string, Record<string, unknown>>

interface WebAssemblyApi {
  compile(bytes: Uint8Array): Promise<WasmModule>
  instantiate(module: WasmModule, imports: WasmImports): Promise<WasmInstance>
  Module: {
    imports(module: WasmModule): WasmImportDescriptor[]
    exports(module: WasmModule): WasmExportDescriptor[]
  }
  Memory: abstract new (...args: never[]) => WasmMemory
}

/** Node's global WebAssembly object. */
export const WebAssembly = (globalThis as unknown as {WebAssembly: WebAssemblyApi}).WebAssembly
