// The source rewrites scripts/bundle.mjs makes (scripts/bundle-rewrites.mjs): a rewritten module must do what the
// module did, and a form a rewrite cannot keep exactly must be left as it was.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {pathToFileURL} from 'node:url'
import {afterAll, describe, expect, it} from 'vitest'

// @ts-expect-error: a build script, JavaScript without types
import {asciiOnly, eagerModuleBodies, importThrough, requireBuiltins} from '../../scripts/bundle-rewrites.mjs'

const dir = mkdtempSync(path.join(os.tmpdir(), 'phasegate-rewrites-'))
afterAll(() => rmSync(dir, {force: true, recursive: true}))

let count = 0
/** `ok` of the module as the bundle's banner runs it: with `require` made for it. */
async function run(source: string): Promise<unknown> {
  const file = path.join(dir, `m${count++}.mjs`)
  const banner = "import {createRequire as __gateCreateRequire} from 'node:module'\n"
  const required = /\bconst require = /.test(source) ? '' : 'const require = __gateCreateRequire(import.meta.url)\n'
  writeFileSync(file, banner + required + source)
  return ((await import(pathToFileURL(file).href)) as {ok: unknown}).ok
}

describe('requireBuiltins', () => {
  const rewritten = {
    'a default and named imports':
      "import fs, {readFileSync as r, statSync} from 'node:fs'\n" +
      'export const ok = r === fs.readFileSync && statSync === fs.statSync',
    'a bare builtin name': "import {join} from 'path'\nexport const ok = join('a', 'b') === `a${path.sep}b`",
    'an import for its effects': "import 'node:fs'\nexport const ok = true",
    'a string-named import': "import {\"readFileSync\" as r} from 'node:fs'\nexport const ok = typeof r === 'function'",
  }
  it.each(Object.entries(rewritten))('rewrites %s into requires that give the same', async (_, source) => {
    const out = requireBuiltins(source)
    expect(out).not.toMatch(/^import\b.*['"](node:)?(fs|path)['"]/m)
    expect(await run(source.replace('`a${path.sep}b`', JSON.stringify(`a${path.sep}b`)))).toBe(true)
    expect(await run(out.replace('`a${path.sep}b`', JSON.stringify(`a${path.sep}b`)))).toBe(true)
  })

  const kept = {
    'a namespace import (its default is module.exports)':
      "import * as os from 'node:os'\n" +
      "export const ok = typeof os.default.cpus === 'function' && os.cpus === os.default.cpus",
    'a default and a namespace import': "import fs, * as ns from 'node:fs'\nexport const ok = ns.default === fs",
    'an import of default by name':
      "import {default as p} from 'node:path'\nexport const ok = typeof p.join === 'function'",
    'a module with its own require':
      "import {createRequire} from 'node:module'\nconst require = createRequire(import.meta.url)\n" +
      "export const ok = typeof require('node:path').join === 'function'",
    'an import of a package': "import {parse} from 'acorn'\nexport const ok = typeof parse === 'function'",
  }
  it.each(Object.entries(kept))('leaves %s as it was', async (_, source) => {
    expect(requireBuiltins(source)).toBe(source)
    expect(await run(source)).toBe(true)
  })
})

describe('eagerModuleBodies', () => {
  it('writes each module wrapper as a parenthesized function that runs as the method did', async () => {
    const source =
      'var __commonJS = (cb, mod) => () =>\n' +
      '  (mod || (0, cb[Object.keys(cb)[0]])((mod = {exports: {}}).exports, mod), mod.exports)\n' +
      'var __esm = (fn, res) => () => (fn && (res = (0, fn[Object.keys(fn)[0]])((fn = 0))), res)\n' +
      'var require_a = __commonJS({"a.js"(exports, module) { module.exports = {n: 41} }})\n' +
      'var init_b = __esm({"b.js"() { require_a().n++ }})\n' +
      'init_b()\nexport const ok = require_a().n === 42'
    const out = eagerModuleBodies(source, 'module')
    expect(out).toContain('{"a.js":(function(exports, module) { module.exports = {n: 41} })}')
    expect(out).toContain('{"b.js":(function() { require_a().n++ })}')
    expect(await run(out)).toBe(true)
  })
})

/** What a script gives as module.exports, run as start.js runs it: CommonJS parameters, then import() lent to it. */
async function runScript(source: string, through = (specifier: string) => import(specifier)): Promise<unknown> {
  const module = {exports: {} as Record<string, unknown>}
  new Function('module', '__gateImport', source)(module, through)
  return await module.exports.ok
}

describe('importThrough', () => {
  it('makes every import() a call of the function lent, with its arguments, wherever it stands', async () => {
    const source =
      "const named = 'node:path'\n" +
      'module.exports.ok = Promise.all(' +
      '[import(named), import("node:os", {}), (async () => (await import(`node:fs`)))()])' +
      '.then(([p, o, f]) => typeof p.join === "function" && typeof o.cpus === "function" && !!f.readFileSync)\n' +
      '// import("not code") and "import(in a string)" stay as they are\n'
    const asked: string[] = []
    const out = importThrough(source, '__gateImport')
    expect(out.replace(/\/\/.*$/m, '')).not.toMatch(/\bimport\(/)
    expect(out).toContain('// import("not code") and "import(in a string)"')
    expect(await runScript(out, (specifier) => (asked.push(specifier), import(specifier)))).toBe(true)
    expect(asked.sort()).toEqual(['node:fs', 'node:os', 'node:path'])
  })
})

describe('asciiOnly', () => {
  it('escapes what esbuild leaves outside ASCII (regular expressions, templates) to the same values', async () => {
    const source =
      'const unit = /^[a-zµ%]+$/u, sign = /[≤≥]/, escaped = /\\µ/, pair = /😀/u\n' +
      'const plain = `≤ ${1} ≥`, html = (s, ...v) => s.join("|") + v.join(""), tagged = html`FAIL ≤ ${2} ok`\n' +
      // Strings as esbuild writes them, escaped.
      'module.exports.ok = [unit.test("\\xb5s"), sign.test("\\u2265"), escaped.test("\\xb5"), ' +
      'pair.test("\\u{1f600}"), plain, tagged]'
    const out = asciiOnly(source)
    expect(out).toMatch(/^[\0-\x7f]*$/)
    expect(await runScript(out)).toEqual(await runScript(source))
    expect(await runScript(out)).toEqual([true, true, true, true, '≤ 1 ≥', 'FAIL ≤ | ok2'])
  })

  it('leaves ASCII as it was and refuses String.raw with text outside ASCII (its .raw would change)', () => {
    const ascii = 'const a = /[a-z]/, b = `x ${1}`, c = String.raw`\\u00b5`'
    expect(asciiOnly(ascii)).toBe(ascii)
    expect(() => asciiOnly('const c = String.raw`µ`')).toThrow(/String\.raw/)
  })
})
