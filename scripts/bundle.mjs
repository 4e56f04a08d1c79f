// npm run bundle [-- --meta]: the CLI as a few files in dist/bundle/ that bin/main.js starts, so `gate` reads a
// handful of files instead of ~550 modules. Built from the compiled dist/ (run after tsc -b).
//   start.js       the loader (scripts/bundle-start.js): runs the scripts below with a V8 code cache per command
//   cli.cjs        oclif's core, started with the commands and hooks below (scripts/bundle-cli.js): all --help reads
//   commands.cjs   every command of dist/commands and the gate:validators hooks, as oclif loads them to run one
//   plugin-*.cjs   each bundled validator plugin (plugins/*), run when a gate needs its validators
//   oclif-commands.cjs, oclif-hooks.cjs   what oclif requires for commands and hooks (its explicit strategy)
// Everything is inside except better-sqlite3 (the db plugin's embedded database, in its worker, from the installed
// package) and the oclif plugins that live in node_modules (help, plugins, not-found, autocomplete), loaded when
// installed.
// dist/bundle/ sits two folders below the root like dist/<folder>/, so `new URL('../../templates/', import.meta.url)`
// and the like still reach templates/, schemas/ and gates/.
import {build} from 'esbuild'
import {createHash} from 'node:crypto'
import {copyFileSync, existsSync, globSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {asciiOnly, eagerModuleBodies, importThrough, isBuiltin, requireBuiltins} from './bundle-rewrites.mjs'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const FINAL = path.join(ROOT, 'dist', 'bundle')
// Built aside and moved in place at the end, so a gate started meanwhile (a test) finds the old bundle or the new one.
const OUT = path.join(ROOT, 'dist', `bundle.${process.pid}.partial`)
const pjson = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'))
const BUNDLED_PLUGINS = pjson.oclif.plugins.filter((name) => name.startsWith('gate-validator-'))
// typescript: oclif reads tsconfig.json with it only to transpile, which the bundle turns off.
const EXTERNAL = ['better-sqlite3', 'pg-native', 'typescript']

/** What dist/lazy.js requires on first use → its own bundle in dist/bundle/lazy/. */
const LAZY = {
  ajv: 'ajv.cjs',
  'ajv/dist/2020.js': 'ajv2020.cjs',
  handlebars: 'handlebars.cjs',
  'hdr-histogram-js': 'hdr-histogram-js.cjs',
  undici: 'undici.cjs',
}
const LAZY_COUNT = Object.keys(LAZY).length
/**
 * CommonJS packages the code imports dynamically (`await import('undici')`) → the file in dist/bundle/lazy/ it
 * requires instead. esbuild gives a bundled CommonJS module to import() as a default export only, so
 * `const {Pool} = await import('undici')` found no Pool; Node's own import() also names the exports.
 */
const DYNAMIC = {ioredis: 'ioredis.cjs', pg: 'pg.cjs', saxes: 'saxes.cjs', undici: 'undici.cjs', ws: 'ws.cjs'}

const commandFiles = globSync('**/*.js', {cwd: path.join(ROOT, 'dist', 'commands')}).sort()
const commandId = (file) => file.replace(/\.js$/, '').split(path.sep).join(':')

const BUILTIN_NAMES = (
  await import(pathToFileURL(path.join(ROOT, 'dist', 'validators', 'builtin.js')).href)
).builtinValidators.map((validator) => validator.name)
const VALIDATOR_NAMES = Object.fromEntries(
  await Promise.all(BUNDLED_PLUGINS.map(async (name) => [name, await validatorNames(name)])),
)
const entries = {
  // commands.cjs: every command, and the gate:validators hooks (all but --help and oclif's own commands need them).
  commands: [
    ...commandFiles.map((file, i) => `import C${i} from './dist/commands/${file.split(path.sep).join('/')}'`),
    `export const commands = {${commandFiles.map((file, i) => `'${commandId(file)}': C${i}`).join(', ')}}`,
    "export * from 'gate-entry:validators'",
  ].join('\n'),
  // Each bundled plugin's hook loads the plugin only when the run needs one of its validators (or all are asked for):
  // a gate of built-in validators does not read and run the six plugins' code.
  validators: [
    `export {default as builtin} from './dist/validators/builtin.js'`,
    // A needed name that no bundled plugin and no built-in validator has: every plugin answers in full, so what says
    // the name is unknown lists them all (and a plugin installed apart may have it).
    `const KNOWN = ${JSON.stringify([...BUILTIN_NAMES, ...Object.values(VALIDATOR_NAMES).flat()].sort())}`,
    'const provides = (needed, names) =>',
    '  !needed || needed.some((name) => names.includes(name) || !KNOWN.includes(name))',
    ...BUNDLED_PLUGINS.map(
      (name) =>
        `export async function ${hookName(name)}(options) {\n` +
        `  if (!provides(options.needed, ${JSON.stringify(VALIDATOR_NAMES[name])})) return []\n` +
        `  return __gateLoad('${pluginScript(name)}').default.call(this, options)\n` +
        '}',
    ),
  ].join('\n'),
  cli: readFileSync(path.join(ROOT, 'scripts', 'bundle-cli.js'), 'utf8').replace(
    '/* BUNDLED_PLUGINS */ []',
    JSON.stringify(
      BUNDLED_PLUGINS.map((name) => ({
        identifier: hookName(name),
        name,
        version: JSON.parse(readFileSync(path.join(ROOT, 'plugins', short(name), 'package.json'), 'utf8')).version,
      })),
    ),
  ),
}

/** The names of the validators a bundled plugin's hook returns, asked of its compiled hook with the CLI's API. */
async function validatorNames(name) {
  const api = await import(pathToFileURL(path.join(ROOT, 'dist', 'index.js')).href)
  const hook = await import(pathToFileURL(path.join(ROOT, 'plugins', short(name), 'dist', 'hook.js')).href)
  const validators = await hook.default({api})
  return validators.map((validator) => validator.name)
}

function short(name) {
  return name.replace(/^gate-validator-/, '')
}

function hookName(name) {
  return short(name).replace(/\W/g, '_')
}

function pluginScript(name) {
  return `plugin-${short(name)}.cjs`
}

// The entries are generated here, so they live in a namespace of their own and resolve from the root.
const entryPlugin = {
  name: 'gate-entries',
  setup(b) {
    b.onResolve({filter: /^gate-entry:/}, (args) => ({namespace: 'gate-entry', path: args.path.slice(11)}))
    b.onLoad({filter: /.*/, namespace: 'gate-entry'}, (args) => ({
      contents: entries[args.path],
      loader: 'js',
      resolveDir: ROOT,
    }))
  },
}

// dist/lazy.js requires through createRequire(import.meta.url), which a bundle cannot follow. Without that line its
// literal require() calls are the bundler's. The heavy packages it names (LAZY) are bundled on their own into
// dist/bundle/lazy/*.cjs and required from there on first use: inlined, they would be read and parsed by every command
// that imports lazy.js (undici alone is ~1 MB). The ahead-of-time compiled schema validators are named by URL; the
// bundle looks them up by file name instead.
const lazyPlugin = {
  name: 'gate-lazy',
  setup(b) {
    b.onLoad({filter: /[\\/]dist[\\/]lazy\.js$/}, (args) => {
      const source = readFileSync(args.path, 'utf8')
      const withoutRequire = source.replace(/^const require = createRequire\(import\.meta\.url\);\n/m, '')
      const schemas = globSync('*.validate.cjs', {cwd: path.join(ROOT, 'schemas')}).sort()
      const table = `{${schemas.map((f) => `'${f}': () => require('../schemas/${f}')`).join(', ')}}`
      const bundled = withoutRequire.replace(
        'require(fileURLToPath(file))',
        `(${table})[fileURLToPath(file).split(/[\\\\/]/).pop()]()`,
      )
      let split = bundled
      for (const [name, file] of Object.entries(LAZY))
        split = split.replace(`require('${name}')`, `require('./lazy/${file}')`)
      if (withoutRequire === source || bundled === withoutRequire || split.split('./lazy/').length !== 1 + LAZY_COUNT) {
        throw new Error('scripts/bundle.mjs: dist/lazy.js no longer has the shape the bundle rewrites')
      }

      return {contents: split, loader: 'js'}
    })
    b.onResolve({filter: /^\.\/lazy\//}, (args) => ({external: true, path: args.path}))
  },
}

// Every import('<DYNAMIC package>') in the compiled code becomes a require of its lazy file, wrapped as Node's import()
// would give it: the exports by name, and the whole module as default.
const DYNAMIC_IMPORT = new RegExp(`\\bimport\\((['"])(${Object.keys(DYNAMIC).join('|')})\\1\\)`, 'g')

function requireDynamicImports(source) {
  return source.replace(
    DYNAMIC_IMPORT,
    (_, quote, name) =>
      `Promise.resolve().then(() => { const m = require('./lazy/${DYNAMIC[name]}'); return {...m, default: m} })`,
  )
}

// Each import of a builtin in an ES module becomes a require of it where it stood (`import {a as b} from 'node:fs'` →
// `const {a: b} = require('node:fs')`). The bundle's scripts are CommonJS in shape, where esbuild's own form of an
// import goes through a namespace object (__toESM copies a getter for every export of a default import); when the
// bundle was ES modules, Node built a facade that read every export, and some load more of Node (node:process).

// The compiled code (dist/, plugins' dist/) and the ES modules of packages, with both rewrites above.
const sourcePlugin = {
  name: 'gate-sources',
  setup(b) {
    b.onLoad({filter: /\.m?js$/, namespace: 'file'}, (args) => {
      const source = readFileSync(args.path, 'utf8')
      const ours = !args.path.includes(`${path.sep}node_modules${path.sep}`) && /[\\/]dist[\\/]/.test(args.path)
      const contents = requireBuiltins(ours ? requireDynamicImports(source) : source)
      return contents === source ? undefined : {contents, loader: 'js'}
    })
  },
}

// What no rewrite above reached (an import of a builtin in code another plugin loads): a CommonJS stand-in.
const builtinPlugin = {
  name: 'gate-builtins',
  setup(b) {
    b.onResolve({filter: /^(node:)?[a-z_/]+$/}, (args) => {
      if (args.kind !== 'import-statement' || !isBuiltin(args.path)) return
      return {namespace: 'gate-builtin', path: args.path}
    })
    b.onLoad({filter: /.*/, namespace: 'gate-builtin'}, (args) => ({
      contents: `module.exports = require(${JSON.stringify(args.path)})`,
      loader: 'js',
    }))
  },
}

// oclif makes its loggers with the debug package, whose Node half loads tty and util and probes the terminal's colours
// at start-up (~7 ms). Unless DEBUG is set when gate starts, every logger is off for the whole process, so a stand-in
// gives oclif loggers that are off and loads the real package only when DEBUG asks for it.
const debugPlugin = {
  name: 'gate-debug',
  setup(b) {
    b.onResolve({filter: /^debug$/}, (args) =>
      args.importer.includes(`${path.sep}@oclif${path.sep}core${path.sep}`)
        ? {namespace: 'gate-debug', path: 'debug'}
        : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'gate-debug'}, () => ({
      contents: [
        "if (process.env.DEBUG) module.exports = require('debug/src/index.js')",
        'else {',
        '  const off = (namespace) => Object.assign(() => {}, {',
        '    enabled: false, namespace, log() {}, extend: (ns, delimiter = ":") => off(namespace + delimiter + ns),',
        '  })',
        '  module.exports = Object.assign(off, {enabled: () => false, enable() {}, disable: () => ""})',
        '}',
      ].join('\n'),
      loader: 'js',
      resolveDir: path.join(ROOT, 'node_modules', '@oclif', 'core'),
    }))
  },
}

// oclif requires these packages as it starts but calls them only on paths a gate command rarely takes: finding the
// commands of a plugin without a manifest (tinyglobby), a package.json without an oclif section (lilconfig), the
// engines warning that bin/main.js turns off (semver), a spinner (cli-spinners), a shell (child_process), stdin
// (readline), performance marks (perf_hooks, when OCLIF_PERFORMANCE is set). Each stands in oclif's code as an object
// that requires it on first use (scripts/stand-ins/on-first-use.cjs), the packages bundled on their own into
// dist/bundle/lazy/: their code is not read, compiled and run on every start. Two more that oclif calls on every start
// answer those calls themselves when the answer is certain (scripts/stand-ins/fast-paths.cjs): ejs (help renders each
// description as a template; ~8 ms of --help) and minimatch (each dependency against each core plugin's name).
// wsl-utils, imported for isWsl alone, is is-wsl.
const OCLIF_ON_FIRST_USE = ['cli-spinners', 'ejs', 'lilconfig', 'minimatch', 'semver', 'tinyglobby']
const OCLIF_BUILTINS_ON_FIRST_USE = ['node:child_process', 'node:perf_hooks', 'node:readline']
const FAST_PATHS = new Set(['ejs', 'minimatch'])
const STAND_INS = path.join(ROOT, 'scripts', 'stand-ins')
const oclifRequire = createRequire(path.join(ROOT, 'node_modules', '@oclif', 'core', 'package.json'))
const onFirstUsePlugin = {
  name: 'gate-on-first-use',
  setup(b) {
    const names = [...OCLIF_ON_FIRST_USE, ...OCLIF_BUILTINS_ON_FIRST_USE, 'wsl-utils']
    const filter = new RegExp(`^(${names.join('|')})$`)
    b.onResolve({filter}, (args) => {
      if (!args.importer.includes(`${path.sep}@oclif${path.sep}core${path.sep}`)) return undefined
      if (args.path === 'wsl-utils') return {path: path.join(STAND_INS, 'wsl-utils.js')}
      return {namespace: 'gate-on-first-use', path: args.path}
    })
    b.onLoad({filter: /.*/, namespace: 'gate-on-first-use'}, (args) => {
      const real = args.path.startsWith('node:') ? args.path : `./lazy/oclif-${args.path}.cjs`
      const own = FAST_PATHS.has(args.path) ? `require('./fast-paths.cjs')[${JSON.stringify(args.path)}](load)` : '{}'
      return {
        contents: [
          'let real',
          `const load = () => (real ??= require(${JSON.stringify(real)}))`,
          `module.exports = require('./on-first-use.cjs')(load, ${own})`,
        ].join('\n'),
        loader: 'js',
        resolveDir: STAND_INS,
      }
    })
  },
}

// oclif sorts each plugin's commands with localeCompare, which sets up an ICU collator on every start; the same order
// comes from scripts/stand-ins/fast-paths.cjs (compareIds) without it.
const OCLIF_COMMAND_SORT = '.sort((a, b) => a.id.localeCompare(b.id))'
const oclifSortPlugin = {
  name: 'gate-oclif-sort',
  setup(b) {
    b.onLoad({filter: /[\\/]@oclif[\\/]core[\\/]lib[\\/]config[\\/]plugin\.js$/}, (args) => {
      const source = readFileSync(args.path, 'utf8')
      if (source.split(OCLIF_COMMAND_SORT).length !== 2) {
        throw new Error(`scripts/bundle.mjs: ${args.path} no longer sorts commands as the bundle rewrites`)
      }
      const compare = JSON.stringify(path.join(STAND_INS, 'fast-paths.cjs'))
      return {
        contents: source.replace(OCLIF_COMMAND_SORT, `.sort((a, b) => require(${compare}).compareIds(a.id, b.id))`),
        loader: 'js',
      }
    })
  },
}

rmSync(OUT, {force: true, recursive: true})
// The scripts start.js runs (CommonJS in shape: it gives them require, module, __filename and __dirname). They sit in
// dist/bundle/, where import.meta.url (their own URL) still reaches the root's folders.
const scriptOptions = {
  absWorkingDir: ROOT,
  banner: {js: "var __gateImportMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
  bundle: true,
  charset: 'ascii',
  define: {'import.meta.url': '__gateImportMetaUrl'},
  entryNames: '[name]',
  external: EXTERNAL,
  format: 'cjs',
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
  minifySyntax: true,
  minifyWhitespace: true,
  outExtension: {'.js': '.cjs'},
  outdir: OUT,
  platform: 'node',
  plugins: [entryPlugin, lazyPlugin, sourcePlugin, builtinPlugin, debugPlugin, onFirstUsePlugin, oclifSortPlugin],
  target: 'node22',
}
const result = await build({...scriptOptions, entryPoints: {cli: 'gate-entry:cli'}})
// The commands script requires @oclif/core of cli.cjs (start.js hands it over): one copy, whose classes and settings
// the commands share with the oclif that runs them.
const commands = await build({
  ...scriptOptions,
  entryPoints: {commands: 'gate-entry:commands'},
  external: [...EXTERNAL, '@oclif/core'],
})
const plugins = await build({
  ...scriptOptions,
  entryPoints: Object.fromEntries(
    BUNDLED_PLUGINS.map((name) => [
      pluginScript(name).replace(/\.cjs$/, ''),
      path.join(ROOT, 'plugins', short(name), 'dist', 'hook.js'),
    ]),
  ),
})
Object.assign(result.metafile.outputs, commands.metafile.outputs, plugins.metafile.outputs)
const lazy = await build({
  absWorkingDir: ROOT,
  bundle: true,
  entryPoints: {
    ...Object.fromEntries(
      Object.entries({...LAZY, ...DYNAMIC}).map(([name, file]) => [
        file.replace(/\.cjs$/, ''),
        createRequire(import.meta.url).resolve(name),
      ]),
    ),
    ...Object.fromEntries(OCLIF_ON_FIRST_USE.map((name) => [`oclif-${name}`, oclifRequire.resolve(name)])),
  },
  format: 'cjs',
  legalComments: 'linked',
  logLevel: 'warning',
  metafile: true,
  minifySyntax: true,
  minifyWhitespace: true,
  outExtension: {'.js': '.cjs'},
  outdir: path.join(OUT, 'lazy'),
  platform: 'node',
  target: 'node22',
})
Object.assign(result.metafile.outputs, lazy.metafile.outputs)

// esbuild wraps each bundled module's body in a method (`__commonJS({"path"(exports, module) {…}})`), which V8 compiles
// only when it first runs: after Node's compile cache is written, so every start compiled the bodies again (~10 ms of
// `gate --help`). Written as a parenthesized function, V8 compiles a body with its file and the cache keeps it.
for (const file of globSync('lazy/*.cjs', {cwd: OUT})) {
  writeFileSync(path.join(OUT, file), eagerModuleBodies(readFileSync(path.join(OUT, file), 'utf8'), 'script'))
}

// The scripts start.js runs: each import() through the one start.js lends, in ASCII, which start.js reads without
// decoding, and written as the function start.js calls (its text taken as it is: no copy with a wrapper around it).
// Each script's SHA-256 names its code caches.
const SCRIPTS = {}
const parameters = 'exports, require, module, __filename, __dirname, __gateImport, __gateLoad'
for (const file of ['cli.cjs', 'commands.cjs', ...BUNDLED_PLUGINS.map(pluginScript)]) {
  const body = asciiOnly(importThrough(readFileSync(path.join(OUT, file), 'utf8'), '__gateImport'))
  const source = `(function (${parameters}) {"use strict";${body}\n})`
  if (/[^\0-\x7f]/.test(source)) throw new Error(`scripts/bundle.mjs: ${file} is not ASCII after asciiOnly`)
  writeFileSync(path.join(OUT, file), source)
  SCRIPTS[file] = createHash('sha256').update(source).digest('hex')
}
writeFileSync(
  path.join(OUT, 'start.js'),
  readFileSync(path.join(ROOT, 'scripts', 'bundle-start.js'), 'utf8')
    .replace('/* SCRIPTS */ {}', JSON.stringify(SCRIPTS))
    .replace('/* OWN_COMMANDS */ []', JSON.stringify(commandFiles.map((file) => commandId(file)))),
)
// What oclif loads for commands and hooks (package.json's settings as scripts/bundle-cli.js points them): the exports
// of commands.cjs, through the loader start.js has set. CommonJS, which oclif requires; an ES module would cost an
// import() each (~1 ms) and a package.json lookup for its type.
for (const shim of ['oclif-commands.cjs', 'oclif-hooks.cjs']) {
  writeFileSync(path.join(OUT, shim), "module.exports = globalThis[Symbol.for('phasegate.load')]('commands.cjs')\n")
}

// The SQLite driver of the db plugin runs in a worker it starts from a file next to its own code.
copyFileSync(path.join(ROOT, 'plugins', 'db', 'dist', 'sqlite-worker.js'), path.join(OUT, 'sqlite-worker.js'))
const old = `${FINAL}.${process.pid}.old`
if (existsSync(FINAL)) renameSync(FINAL, old)
renameSync(OUT, FINAL)
rmSync(old, {force: true, recursive: true})

// --meta: what went into which file, for esbuild's analyzer (https://esbuild.github.io/analyze/).
if (process.argv.includes('--meta')) writeFileSync(path.join(ROOT, 'bundle-meta.json'), JSON.stringify(result.metafile))
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0)
console.error(
  `bundle: dist/bundle/, ${Object.keys(result.metafile.outputs).length} files, ${(bytes / 1e6).toFixed(1)} MB`,
)
