// The bundle's entry (dist/bundle/cli.js, built by scripts/bundle.mjs): package.json's oclif settings, pointed at the
// bundled commands and hooks. The root stays the package root, so oclif.manifest.json answers --help without loading
// a command, and templates/, schemas/ and gates/ are where the sources expect them.
import {execute, settings} from '@oclif/core'
import {existsSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('../../', import.meta.url))
const pjson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
pjson.oclif = {
  ...pjson.oclif,
  commands: {identifier: 'commands', strategy: 'explicit', target: './dist/bundle/commands.js'},
  hooks: {
    ...pjson.oclif.hooks,
    // One hook per bundled plugin: one that fails costs only its own validators (the warning names phasegate).
    'gate:validators': /* BUNDLED_HOOKS */ [].map((identifier) => ({
      identifier,
      target: './dist/bundle/validators.js',
    })),
  },
  // The validator plugins are inside the bundle; oclif's own plugins load from node_modules when installed (a release
  // of the Action has none, and oclif would warn about each on every command).
  plugins: pjson.oclif.plugins.filter((name) => !name.startsWith('gate-validator-') && installed(name)),
}

// The bundle is JavaScript already: oclif need not look for TypeScript to transpile (it would under NODE_ENV=test).
// Whoever turns oclif's linked-plugin warning back on (bin/run.js) gets its transpiling behaviour with it.
if (process.env.OCLIF_DISABLE_LINKED_ESM_WARNING === 'true') settings.enableAutoTranspile = false

/** Whether node_modules in the root or a folder above it (a project that installed phasegate) holds the package. */
function installed(name) {
  for (let dir = root; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'node_modules', name, 'package.json'))) return true
    if (path.dirname(dir) === dir) return false
  }
}

await execute({loadOptions: {pjson, root}})
