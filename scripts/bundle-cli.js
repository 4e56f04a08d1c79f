// The bundle's CLI (dist/bundle/cli.cjs, built by scripts/bundle.mjs; dist/bundle/start.js loads it and bin/main.js
// runs its main): package.json's oclif settings, pointed at the bundled commands and hooks. The root stays the package
// root, so oclif.manifest.json answers --help without loading a command, and templates/, schemas/ and gates/ are where
// the sources expect them.
import {Config, Plugin, execute, settings} from '@oclif/core'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

/** The validator plugins inside the bundle: name, version and their hook's export in oclif-hooks.cjs. */
const BUNDLED_PLUGINS = /* BUNDLED_PLUGINS */ []
const root = fileURLToPath(new URL('../../', import.meta.url))
const here = fileURLToPath(new URL('.', import.meta.url))

/**
 * Runs gate. `command`: the id of this package's command that argv names, if any. A topic alone, a mistyped command
 * and anything else start oclif with its plugins: not-found suggests and exits 127.
 */
export async function main(command) {
  const pjson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  pjson.oclif = {
    ...pjson.oclif,
    commands: {identifier: 'commands', strategy: 'explicit', target: './dist/bundle/oclif-commands.cjs'},
    hooks: {...pjson.oclif.hooks, 'gate:validators': {identifier: 'builtin', target: './dist/bundle/oclif-hooks.cjs'}},
    // oclif's own plugins load from node_modules when installed (a release of the Action has none, and oclif would
    // warn about each on every command). One of this package's commands needs none of them (their commands, the help
    // command, not-found's suggestions, autocomplete's hooks after a plugin install; --help is oclif's core): ~10 ms.
    plugins: command
      ? []
      : pjson.oclif.plugins.filter((name) => !name.startsWith('gate-validator-') && installed(name)),
  }
  // oclif finds its core plugins among the dependencies by matching each against each plugin as a glob (~100
  // minimatch compilations, some 8 ms of every start); the plugins named above are all it can match.
  pjson.dependencies = Object.fromEntries(pjson.oclif.plugins.map((name) => [name, pjson.dependencies?.[name] ?? '*']))

  // The bundle is JavaScript already: oclif need not look for TypeScript to transpile (it would under NODE_ENV=test).
  // Whoever turns oclif's linked-plugin warning back on (bin/main.js) gets its transpiling behaviour with it.
  if (process.env.OCLIF_DISABLE_LINKED_ESM_WARNING === 'true') settings.enableAutoTranspile = false

  const config = await Config.load({pjson, root})
  // Each bundled validator plugin is still a plugin of its own to oclif, described here instead of by its
  // package.json, so its validators are listed under its name and a hook that fails is a warning naming it.
  for (const {identifier, name, version} of BUNDLED_PLUGINS) {
    const hooks = {'gate:validators': {identifier, target: './oclif-hooks.cjs'}}
    const plugin = new Plugin({isRoot: true, pjson: {name, oclif: {hooks}, type: 'module', version}, root: here})
    await plugin.load()
    config.plugins.set(name, plugin)
  }

  await execute({loadOptions: config})
}

/** @oclif/core as commands.cjs requires it (dist/bundle/start.js hands it over): the one copy, in this script. */
export * as oclifCore from '@oclif/core'

/** Whether node_modules in the root or a folder above it (a project that installed phasegate) holds the package. */
function installed(name) {
  for (let dir = root; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'node_modules', name, 'package.json'))) return true
    if (path.dirname(dir) === dir) return false
  }
}
