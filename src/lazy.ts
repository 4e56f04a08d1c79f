// Heavy CommonJS packages, each loaded on its first use instead of at start-up: a run that never sends a
// request, renders a template, reads a histogram or a results file does not pay for loading them (undici alone is ~100 ms).
import type BetterSqlite3 from 'better-sqlite3'
import type Handlebars from 'handlebars'
import type * as Ajv2020 from 'ajv/dist/2020.js'
import type * as HdrHistogram from 'hdr-histogram-js'
import {createRequire} from 'node:module'
import type * as Undici from 'undici'

const require = createRequire(import.meta.url)

function lazyPackage<T>(name: string): () => T {
  let loaded: T | undefined
  return () => (loaded ??= require(name) as T)
}

export const undici: () => typeof Undici = lazyPackage('undici')
export const hdrHistogram: () => typeof HdrHistogram = lazyPackage('hdr-histogram-js')
/** ajv's draft 2020-12 build, for reading results files: saving one does not need it. */
export const ajv2020: () => typeof Ajv2020 = lazyPackage('ajv/dist/2020.js')
export const handlebars: () => typeof Handlebars = lazyPackage('handlebars')
/** The native SQLite driver behind .gate/history.db. */
export const betterSqlite3: () => typeof BetterSqlite3 = lazyPackage('better-sqlite3')
