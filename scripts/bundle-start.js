// The bundle's loader (dist/bundle/start.js, built by scripts/bundle.mjs): runs its scripts (cli.cjs, commands.cjs and
// the validator plugins bundled in), with a V8 code cache of each script kept per command.
// Node's own compile cache keeps only what V8 compiles as it first reads a file, not the functions a command then
// runs: those were compiled again on every start (a quarter of the instructions of a one-claim check). This cache is
// made as a command ends, so it holds them.
// Builtins by getBuiltinModule, not import: an ES module's import of a builtin builds a facade that reads every export.
const {isAscii} = process.getBuiltinModule('node:buffer')
const {mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} = process.getBuiltinModule('node:fs')
const {createRequire, getCompileCacheDir} = process.getBuiltinModule('node:module')
const path = process.getBuiltinModule('node:path')
const {fileURLToPath} = process.getBuiltinModule('node:url')
const {debuglog} = process.getBuiltinModule('node:util')
const vm = process.getBuiltinModule('node:vm')

/** Each script of the bundle → the SHA-256 of its text. A code cache is good for one text only, so this names it. */
const SCRIPTS = /* SCRIPTS */ {}
/** This package's command ids (`check`, `baseline:save` …). */
const OWN_COMMANDS = /* OWN_COMMANDS */ []

/** A package that scripts/bundle.mjs left out of a script, so that it requires the one copy in another. */
const SHARED = {'@oclif/core': () => load('cli.cjs').oclifCore}

const here = path.dirname(fileURLToPath(import.meta.url))
// NODE_DEBUG=phasegate_cache tells what happens to each cache.
const debug = debuglog('phasegate_cache')
// In Node's compile cache directory, whose name carries Node's version, the V8 flags and the user; none when that
// cache is off (NODE_DISABLE_COMPILE_CACHE=1 turns this one off too).
const cacheDir = getCompileCacheDir?.() && path.join(getCompileCacheDir(), 'phasegate')

/** The command the arguments name: one of this package's, by id, or undefined (help, a typo, oclif's own). */
export const command = ownCommand(process.argv.slice(2))
// Each command runs its own part of the CLI, so each keeps its own cache; the rest share one.
const cacheKey = command?.replace(/:/g, '-') ?? 'other'

const loaded = new Map()
const unsaved = []

/** module.exports of a script of the bundle (a name in SCRIPTS), run once. oclif-*.cjs reach it as a global. */
export function load(name) {
  if (loaded.has(name)) return loaded.get(name)
  const file = path.join(here, name)
  const bytes = readFileSync(file)
  // ASCII (as scripts/bundle.mjs writes the scripts) becomes a string without decoding UTF-8.
  const source = isAscii(bytes) ? bytes.latin1Slice() : bytes.utf8Slice()
  const cacheFile =
    cacheDir && SCRIPTS[name] && cacheDirIsPrivate()
      ? path.join(cacheDir, `${SCRIPTS[name].slice(0, 16)}-${cacheKey}.cache`)
      : undefined
  const cachedData = cacheFile ? readCache(cacheFile) : undefined
  // The script is a function (scripts/bundle.mjs): of a CommonJS module's parameters, then how it imports and loads
  // another script of the bundle.
  const script = new vm.Script(source, {cachedData, filename: file})
  if (cacheFile && (cachedData === undefined || script.cachedDataRejected)) {
    debug('%s: %s, kept when the command ends', name, cachedData ? 'cache rejected' : 'no cache')
    if (unsaved.push({cacheFile, name, script}) === 1) process.once('exit', saveCaches)
  } else if (cacheFile) debug('%s: cache accepted', name)
  const module = {exports: {}}
  // Set before it runs, so a script that loads this one meanwhile gets its exports so far, as require() does.
  loaded.set(name, module.exports)
  script.runInThisContext()(module.exports, requireFrom(file), module, file, here, importHere, load)
  loaded.set(name, module.exports)
  return module.exports
}

/** require for a script: Node's, but for the packages the scripts share (SHARED). */
function requireFrom(file) {
  const require = createRequire(file)
  return Object.assign((id) => (Object.hasOwn(SHARED, id) ? SHARED[id]() : require(id)), {
    cache: require.cache,
    resolve: require.resolve,
  })
}

/** What the scripts import (oclif: installed plugins), resolved from here. */
function importHere(specifier, options) {
  return import(specifier, options)
}

function readCache(file) {
  try {
    return readFileSync(file)
  } catch {
    return undefined
  }
}

let privateDir
/**
 * Whether the cache folder is this user's and no one else can write to it: a cache holds code that runs as the user,
 * so one that another user could have put there is neither read nor written.
 */
function cacheDirIsPrivate() {
  if (privateDir === undefined) {
    try {
      const stat = statSync(cacheDir)
      privateDir = process.platform === 'win32' || (stat.uid === process.getuid() && (stat.mode & 0o022) === 0)
      if (!privateDir) debug("%s is not this user's alone: its caches are not used", cacheDir)
    } catch {
      // Not there yet: saveCaches makes it, for this user alone.
      privateDir = true
    }
  }
  return privateDir
}

/** Each cache the scripts lacked, with the functions this run compiled; written whole or not at all. */
function saveCaches() {
  for (const {cacheFile, name, script} of unsaved) {
    const temp = `${cacheFile}.${process.pid}.tmp`
    try {
      mkdirSync(cacheDir, {mode: 0o700, recursive: true})
      writeFileSync(temp, script.createCachedData())
      renameSync(temp, cacheFile)
      debug('%s: cache written to %s', name, cacheFile)
    } catch (error) {
      // A cache only saves time: a run that cannot write one is the same run.
      removeIfThere(temp)
      debug('%s: cache not written: %s', name, error.message)
    }
  }
}

/** Removes a file that may not be there, nor its folder be a folder. */
function removeIfThere(file) {
  try {
    rmSync(file, {force: true})
  } catch {
    // Nothing was there to remove.
  }
}

/** The id of this package's command that argv names, as a word or a topic and a word (`baseline save`). */
function ownCommand([first, second]) {
  return [`${first}:${second}`, first].find((id) => OWN_COMMANDS.includes(id))
}

globalThis[Symbol.for('phasegate.load')] = load
