#!/usr/bin/env node
import {execute} from '@oclif/core'

// Plugins run from their compiled dist/ by design, so oclif's warning on every command that a linked ESM plugin
// "cannot be auto-transpiled" tells a plugin author nothing; OCLIF_DISABLE_LINKED_ESM_WARNING=false shows it.
process.env.OCLIF_DISABLE_LINKED_ESM_WARNING ??= 'true'

await execute({dir: import.meta.url})
