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
  walk(parse(source, {ecmaVersion: 'latest', sourceType}), (node) => {
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
  })
  return applyEdits(source, edits)
}

/**
 * The script with each `import(…)` expression calling `through(…)` instead: a script compiled by node:vm cannot import
 * without an experimental flag, so the module that runs it lends its own import.
 */
export function importThrough(source, through) {
  const edits = []
  walk(parse(source, {ecmaVersion: 'latest', sourceType: 'script'}), (node) => {
    if (node.type === 'ImportExpression') {
      edits.push({end: node.start + 'import'.length, start: node.start, text: through})
    }
  })
  return applyEdits(source, edits)
}

/**
 * The script in ASCII alone, for a loader that reads ASCII as one byte a character without decoding UTF-8. esbuild
 * escapes strings already; this escapes what it leaves: regular expression literals and template literals. A template
 * is tagged or not (a tag that reads `.raw` would see the escape, so `String.raw` with such text is refused).
 */
export function asciiOnly(source) {
  const edits = []
  const tagged = new Set()
  walk(parse(source, {ecmaVersion: 'latest', sourceType: 'script'}), (node) => {
    if (node.type === 'Literal' && node.regex && NON_ASCII.test(node.raw)) {
      edits.push({end: node.end, start: node.start, text: escape(node.raw)})
    }
    if (node.type === 'TemplateLiteral' && node.quasis.some((quasi) => NON_ASCII.test(quasi.value.raw))) {
      if (tagged.has(node)) throw new Error(`String.raw\`…\` with text outside ASCII at ${node.start}: not escaped`)
      for (const quasi of node.quasis) edits.push({end: quasi.end, start: quasi.start, text: escape(quasi.value.raw)})
    }
    if (node.type === 'TaggedTemplateExpression' && isStringRaw(node.tag)) tagged.add(node.quasi)
  })
  return applyEdits(source, edits)
}
const NON_ASCII = /[^\0-\x7f]/
const hex = (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`

/** The raw text of a regular expression or template literal, each character outside ASCII as a \u escape. */
function escape(raw) {
  let out = ''
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] === '\\' && i + 1 < raw.length) {
      const next = raw[++i]
      // A backslash before U+2028/9 continues a template's line (the text has nothing there); before another
      // character outside ASCII, it stands for that character.
      if (next === '\u2028' || next === '\u2029') continue
      out += NON_ASCII.test(next) ? hex(next) : `\\${next}`
    } else out += NON_ASCII.test(raw[i]) ? hex(raw[i]) : raw[i]
  }
  return out
}
const isStringRaw = (tag) =>
  tag.type === 'MemberExpression' && tag.object.name === 'String' && tag.property.name === 'raw' && !tag.computed

/** Calls `visit` on every node of the tree, a parent before its children. */
export function walk(node, visit) {
  visit(node)
  for (const value of Object.values(node)) {
    for (const child of Array.isArray(value) ? value : [value]) if (typeof child?.type === 'string') walk(child, visit)
  }
}

/** The source with each edit's range [start, end) replaced by its text; the ranges do not overlap. */
function applyEdits(source, edits) {
  let out = source
  for (const {end, start, text} of edits.sort((a, b) => b.start - a.start))
    out = out.slice(0, start) + text + out.slice(end)
  return out
}
