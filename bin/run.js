#!/usr/bin/env node
// The Node version is checked first, by code that Node as old as 12 can parse (no ?., ??, top-level await), so an old
// Node gets a message instead of a SyntaxError or a crash in the native addon built for another Node.
import {createRequire} from 'module'
import {unsupportedNode} from './engines.js'

const tooOld = unsupportedNode(process.version, createRequire(import.meta.url)('../package.json').engines.node)
if (tooOld) {
  process.stderr.write(tooOld + '\n')
  // 2: like a configuration error, the run cannot start until the set-up changes (gate-file.md, exit codes).
  process.exit(2)
} else {
  import('./main.js')
}
