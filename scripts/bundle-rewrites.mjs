// Rewrites of JavaScript source that scripts/bundle.mjs makes, as functions of source text alone (tested in
// test/unit/bundle-rewrites.test.ts).
import {parse} from 'acorn'
import {builtinModules} from 'node:module'

const BUILTINS = new Set(builtinModules)
export const isBuiltin = (name) => name.startsWith('node:') || BUILTINS.has(name)
const MAY_IMPORT_BUILTIN = /\bimport\b[^;]*?['"](node:)?[a-z_/]+['"]/

/**
 * Each import of a builtin in an ES module as a require where it stood (`import {a as b} from 'node:fs'` →
 * `const {a: b} = require('node:fs')`); other imports, and modules that declare their own `require`, as they were.
 */
export function requireBuiltins(source) {
  if (!MAY_IMPORT_BUILTIN.test(source)) return source
  let program
  try {
    program = parse(source, {ecmaVersion: 'latest', sourceType: 'module'})
  } catch {
    return source // not an ES module after all: esbuild reports what is wrong with it
  }
  // A module of its own `require` (`const require = createRequire(…)`) would reach it before it is set.
  if (program.body.some((node) => declares(node, 'require'))) return source
  const edits = []
  for (const node of program.body) {
    if (node.type !== 'ImportDeclaration' || !isBuiltin(node.source.value)) continue
    // Only the forms a require gives exactly: a default import (module.exports) and named ones other than `default`.
    // A namespace import (whose `default` is module.exports) is left to builtinPlugin's stand-in.
    const named = node.specifiers.filter((spec) => spec.type === 'ImportSpecifier')
    const names = named.map((spec) => (spec.imported.type === 'Literal' ? spec.imported.value : spec.imported.name))
    if (node.specifiers.some((spec) => spec.type === 'ImportNamespaceSpecifier') || names.includes('default')) continue
    const from = `require(${JSON.stringify(node.source.value)})`
    const whole = node.specifiers.find((spec) => spec.type === 'ImportDefaultSpecifier')
    const pairs = named.map((spec, i) => {
      const imported = /^[A-Za-z_$][\w$]*$/.test(names[i]) ? names[i] : JSON.stringify(names[i])
      return imported === spec.local.name ? imported : `${imported}: ${spec.local.name}`
    })
    const statements = []
    if (whole) statements.push(`const ${whole.local.name} = ${from};`)
    if (pairs.length > 0) statements.push(`const {${pairs.join(', ')}} = ${whole ? whole.local.name : from};`)
    if (node.specifiers.length === 0) statements.push(`${from};`)
    edits.push({end: node.end, start: node.start, text: statements.join(' ')})
  }
  return applyEdits(source, edits)
}

/** Whether a top-level statement declares `name` (a variable, function or class, exported or not). */
function declares(node, name) {
  const declaration = node.type.startsWith('Export') && node.declaration ? node.declaration : node
  if (declaration.type === 'VariableDeclaration') {
    return declaration.declarations.some((d) => d.id.type === 'Identifier' && d.id.name === name)
  }
  return ['FunctionDeclaration', 'ClassDeclaration'].includes(declaration.type) && declaration.id?.name === name
}

/** The source with every `__commonJS`/`__esm` wrapper's method written as a parenthesized function expression. */
export function eagerModuleBodies(source, sourceType) {
  const edits = []
  const visit = (node) => {
    if (
      node.type === 'CallExpression' &&
      /^__(commonJS|esm)$/.test(node.callee.name ?? '') &&
      node.arguments[0]?.type === 'ObjectExpression'
    ) {
      for (const property of node.arguments[0].properties) {
        if (!property.method) continue
        const body = property.value
        edits.push({end: body.start, start: property.key.end, text: ':(function'})
        edits.push({end: body.end, start: body.end, text: ')'})
      }
    }
    for (const value of Object.values(node)) {
      for (const child of Array.isArray(value) ? value : [value]) if (typeof child?.type === 'string') visit(child)
    }
  }
  visit(parse(source, {ecmaVersion: 'latest', sourceType}))
  return applyEdits(source, edits)
}

/** The source with each edit's range [start, end) replaced by its text; the ranges do not overlap. */
function applyEdits(source, edits) {
  let out = source
  for (const {end, start, text} of edits.sort((a, b) => b.start - a.start))
    out = out.slice(0, start) + text + out.slice(end)
  return out
}
