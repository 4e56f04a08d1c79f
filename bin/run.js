#!/usr/bin/env node
import module from 'node:module'

// Node keeps the compiled code of the bundle on disk (in the OS temp dir), so the next start skips parsing it.
module.enableCompileCache?.()

// Plugins run from their compiled dist/ by design, so oclif's warning on every command that a linked ESM plugin
// "cannot be auto-transpiled" tells a plugin author nothing; OCLIF_DISABLE_LINKED_ESM_WARNING=false shows it.
process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= 'true'

// The bundle that `npm run compile` builds (scripts/bundle.mjs): the commands, hooks and bundled plugins of dist/ in a
// few files.
await import('../dist/bundle/cli.js')
